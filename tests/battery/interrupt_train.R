# Ctrl-C during a long training call (run by tests/test_interrupts.py, which sends SIGINT to
# this R process after each READY line).  Phase 1: tryCatch(interrupt = ) catches it; phase 2:
# with only an error handler, the interrupt is an error saying so.  After each, the session
# must still compute.
suppressPackageStartupMessages(library(mxnet))
set.seed(1)
x <- matrix(runif(2000 * 20), 2000, 20)
y <- as.numeric(x[, 1] > 0.5)
net <- mx.symbol.SoftmaxOutput(mx.symbol.FullyConnected(
  mx.symbol.Activation(mx.symbol.FullyConnected(mx.symbol.Variable("data"), num_hidden = 64),
                       act_type = "relu"), num_hidden = 2))
train <- function() {
  mx.model.FeedForward.create(net, X = x, y = y, num.round = 100000, array.batch.size = 10,
                              learning.rate = 0.01, array.layout = "rowmajor", verbose = FALSE)
  "finished"
}
check <- function(tag) {
  a <- mx.nd.ones(c(2, 3)) * 2
  cat(tag, sum(as.array(a)), "\n")
}
cat("READY1\n")
r <- tryCatch(train(), interrupt = function(e) paste("INTERRUPT", conditionMessage(e)))
cat("RESULT1", r, "\n")
check("AFTER1")
cat("READY2\n")
r <- tryCatch(train(), error = function(e) paste("ERROR", conditionMessage(e)))
cat("RESULT2", r, "\n")
check("AFTER2")
