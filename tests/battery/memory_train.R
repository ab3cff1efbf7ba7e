# Training memory (run by tests/test_memory.py): 50 epochs of a small MLP with
# mx.model.FeedForward.create; an epoch.end.callback prints the RSS after each epoch
# ("EPOCH i rss_kib").  Resident memory must not grow with the epochs.
suppressPackageStartupMessages(library(mxnet))
rss <- function() {
  l <- readLines("/proc/self/status")
  as.numeric(sub("^[^0-9]*([0-9]+).*$", "\\1", l[startsWith(l, "VmRSS:")]))
}
set.seed(1)
n <- 1000
x <- matrix(runif(n * 20), n, 20)
y <- as.numeric(x[, 1] + x[, 2] > 1)
data <- mx.symbol.Variable("data")
net <- mx.symbol.FullyConnected(data, num_hidden = 32)
net <- mx.symbol.Activation(net, act_type = "relu")
net <- mx.symbol.FullyConnected(net, num_hidden = 2)
net <- mx.symbol.SoftmaxOutput(net)
mx.set.seed(0)
cb <- function(iteration, nbatch, env, verbose = TRUE) {
  invisible(gc())
  cat(sprintf("EPOCH %d %.0f\n", iteration, rss()))
  TRUE
}
model <- mx.model.FeedForward.create(net, X = x, y = y, num.round = 50,
                                     array.batch.size = 50, learning.rate = 0.05,
                                     array.layout = "rowmajor", verbose = FALSE,
                                     epoch.end.callback = cb)
cat("DONE\n")
