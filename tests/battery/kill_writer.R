# A writer to be killed (run by tests/test_interrupts.py).  MX_WRITER=model.save: save the
# same 32 MB checkpoint over and over (prints SAVED after the first);
# MX_WRITER=callback: train with mx.callback.save.checkpoint writing every epoch.
suppressPackageStartupMessages(library(mxnet))
prefix <- Sys.getenv("MX_PREFIX")
data <- mx.symbol.Variable("data")
net <- mx.symbol.SoftmaxOutput(mx.symbol.FullyConnected(data, num_hidden = 2, name = "fc"))
if (Sys.getenv("MX_WRITER") == "model.save") {
  model <- structure(list(symbol = net,
                          arg.params = list(fc_weight = mx.nd.ones(c(2000, 2000)),
                                            fc_bias = mx.nd.ones(c(2000, 2000)) * 2),
                          aux.params = list()), class = "MXFeedForwardModel")
  mx.model.save(model, prefix, 1)
  cat("SAVED\n")
  repeat mx.model.save(model, prefix, 1)
} else {
  set.seed(1)
  x <- matrix(runif(200 * 1000), 200, 1000)
  y <- as.numeric(x[, 1] > 0.5)
  big <- mx.symbol.SoftmaxOutput(mx.symbol.FullyConnected(
    mx.symbol.FullyConnected(data, num_hidden = 2000, name = "fc1"), num_hidden = 2, name = "fc2"))
  cb <- mx.callback.save.checkpoint(prefix)
  first <- function(iteration, nbatch, env, verbose = TRUE) {
    if (iteration == 1) cat("SAVED\n")
    TRUE
  }
  mx.model.FeedForward.create(big, X = x, y = y, num.round = 100000, array.batch.size = 200,
                              learning.rate = 0.01, array.layout = "rowmajor", verbose = FALSE,
                              epoch.end.callback = function(iteration, nbatch, env, verbose) {
                                cb(iteration, nbatch, env, FALSE)
                                first(iteration, nbatch, env)
                              })
}
