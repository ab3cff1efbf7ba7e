# Training, prediction, callbacks, checkpoints and bad input from R.
context("model API")

# Two well separated classes: 2 features, samples in columns.
toy <- function(n = 200, seed = 1) {
  set.seed(seed)
  y <- rep(0:1, length.out = n)
  x <- rbind(rnorm(n, mean = ifelse(y == 1, 2, -2)), rnorm(n, mean = ifelse(y == 1, -1, 1)))
  list(x = x, y = y)
}

toy_net <- function(hidden = 8, classes = 2) {
  data <- mx.symbol.Variable("data")
  fc1 <- mx.symbol.FullyConnected(data, num_hidden = hidden, name = "fc1")
  act <- mx.symbol.Activation(fc1, act_type = "tanh", name = "tanh1")
  fc2 <- mx.symbol.FullyConnected(act, num_hidden = classes, name = "fc2")
  mx.symbol.SoftmaxOutput(fc2, name = "sm")
}

test_that("FeedForward.create trains in the engine with MXNet R's log lines", {
  d <- toy()
  it <- mx.io.arrayiter(d$x, d$y, batch.size = 20, shuffle = TRUE)
  mx.set.seed(0)
  msgs <- character(0)
  model <- withCallingHandlers(
    mx.model.FeedForward.create(toy_net(), it, ctx = mx.cpu(), num.round = 4,
                                eval.data = it, eval.metric = mx.metric.accuracy,
                                learning.rate = 0.1, momentum = 0.9,
                                initializer = mx.init.Xavier()),
    message = function(m) {
      msgs <<- c(msgs, conditionMessage(m))
      invokeRestart("muffleMessage")
    })
  expect_equal(msgs[1], "Start training with 1 devices\n")
  expect_match(msgs[2], "^\\[1\\] Train-accuracy=[0-9.]+\n$")
  expect_match(msgs[3], "^\\[1\\] Validation-accuracy=[0-9.]+\n$")
  expect_equal(length(msgs), 1 + 2 * 4)
  expect_s3_class(model, "MXFeedForwardModel")
  expect_equal(names(model$arg.params), c("fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias"))
  expect_equal(length(model$history$train$accuracy), 4)
  expect_gt(tail(model$history$validation$accuracy, 1), 0.9)
  # the printed value is the history's, with R's 15 significant digits
  v <- as.numeric(sub("^\\[4\\] Validation-accuracy=", "", trimws(msgs[9])))
  expect_equal(v, tail(model$history$validation$accuracy, 1))

  # predict: classes x samples, equal to the network computed in R from the parameters
  p <- predict(model, d$x, array.layout = "colmajor")
  expect_equal(dim(p), c(2, 200))
  P <- lapply(model$arg.params, as.array)
  h <- tanh(t(P$fc1_weight) %*% d$x + P$fc1_bias)
  o <- t(P$fc2_weight) %*% h + P$fc2_bias
  soft <- exp(o) / rep(colSums(exp(o)), each = 2)
  expect_equal(p, soft, tolerance = 1e-4)
  expect_warning(predict(model, t(d$x)), "rowmajor")
  expect_silent(mx.model.FeedForward.create(toy_net(), it, num.round = 1, verbose = FALSE,
                                            eval.metric = mx.metric.accuracy))
})

test_that("R arrays, layouts and mx.mlp", {
  d <- toy(120)
  mx.set.seed(1)
  expect_warning(model <- mx.mlp(t(d$x), d$y, hidden_node = 6, out_node = 2,
                                 num.round = 3, array.batch.size = 30, learning.rate = 0.1,
                                 verbose = FALSE),
                 "Auto detect layout of input matrix, use rowmajor")
  expect_equal(dim(model$arg.params[[1]]), c(2, 6))
  expect_error(mx.mlp(d$x, d$y, hidden_node = 2, out_node = 2, out_activation = "fancy"),
               "not supported")
  reg <- mx.model.FeedForward.create(
    mx.symbol.LinearRegressionOutput(mx.symbol.FullyConnected(mx.symbol.Variable("data"),
                                                              num_hidden = 1)),
    X = d$x, y = d$x[1, ] * 2, array.layout = "colmajor", num.round = 2,
    eval.metric = mx.metric.rmse, verbose = FALSE, learning.rate = 0.01)
  expect_equal(names(reg$history$train), "rmse")
})

test_that("callbacks are called from the engine and can stop training", {
  d <- toy(100)
  it <- mx.io.arrayiter(d$x, d$y, batch.size = 25)
  calls <- c()
  stopper <- function(iteration, nbatch, env, verbose = TRUE) {
    calls <<- c(calls, iteration)
    expect_s3_class(env$model, "MXFeedForwardModel")
    expect_equal(env$metric$get(env$train.metric)$name, "accuracy")
    iteration < 2
  }
  nb <- 0
  counter <- function(iteration, nbatch, env) {
    nb <<- nb + 1
    TRUE
  }
  model <- mx.model.FeedForward.create(toy_net(), it, num.round = 5, verbose = FALSE,
                                       eval.metric = mx.metric.accuracy,
                                       epoch.end.callback = stopper,
                                       batch.end.callback = counter)
  expect_equal(calls, c(1, 2))
  expect_equal(nb, 2 * 4)
  expect_equal(length(model$history$time), 2)

  prefix <- file.path(tempdir(), "cbk")
  logger <- mx.metric.logger$new()
  expect_message(
    mx.model.FeedForward.create(toy_net(), it, num.round = 2, verbose = TRUE,
                                eval.metric = mx.metric.accuracy, eval.data = it,
                                epoch.end.callback = mx.callback.save.checkpoint(prefix),
                                batch.end.callback = mx.callback.log.train.metric(2, logger)),
    "Batch \\[2\\] Train-accuracy=")
  expect_true(file.exists(paste0(prefix, "-0002.params")))
  expect_true(file.exists(paste0(prefix, "-symbol.json")))
  expect_equal(length(logger$train), 2 * 2)

  expect_message(
    mx.model.FeedForward.create(toy_net(), it, num.round = 2, verbose = FALSE,
                                eval.metric = mx.metric.accuracy,
                                batch.end.callback = mx.callback.log.speedometer(25, 2)),
    "Batch \\[4\\] Speed: [0-9.e+]+ samples/sec Train-accuracy=")

  early <- mx.model.FeedForward.create(toy_net(), it, num.round = 10, verbose = FALSE,
                                       eval.metric = mx.metric.accuracy, eval.data = it,
                                       epoch.end.callback = mx.callback.early.stop(
                                         eval.metric = 0.5, maximize = TRUE))
  expect_lt(length(early$history$time), 10)

  boom <- function(iteration, nbatch, env, verbose) stop("boom in callback")
  expect_error(mx.model.FeedForward.create(toy_net(), it, num.round = 2, verbose = FALSE,
                                           epoch.end.callback = boom), "boom in callback")
})

test_that("custom R metrics and R iterators run inside the engine's loop", {
  d <- toy(60)
  it <- mx.io.arrayiter(d$x, d$y, batch.size = 20)
  n <- 0
  m <- mx.metric.custom("mine", function(label, pred) {
    n <<- n + 1
    expect_equal(dim(pred), c(2, 20))
    mean(as.array(label))
  })
  model <- mx.model.FeedForward.create(toy_net(), it, num.round = 2, verbose = FALSE,
                                       eval.metric = m)
  expect_equal(n, 2 * 3)
  expect_equal(model$history$train$mine, c(0.5, 0.5), tolerance = 1e-6)

  RIter <- setRefClass("RIter", contains = "Rcpp_MXArrayDataIter",
                       fields = list(inner = "ANY"),
                       methods = list(
                         reset = function() inner$reset(),
                         iter.next = function() inner$iter.next(),
                         value = function() {
                           v <- inner$value()
                           list(data = v$data, label = v$label)
                         },
                         num.pad = function() inner$num.pad()))
  rit <- RIter$new(inner = mx.io.arrayiter(d$x, d$y, batch.size = 20))
  expect_true(is.mx.dataiter(rit))
  model <- mx.model.FeedForward.create(toy_net(), rit, num.round = 2, verbose = FALSE,
                                       eval.metric = mx.metric.accuracy)
  expect_equal(length(model$history$train$accuracy), 2)
  expect_equal(dim(predict(model, rit)), c(2, 60))
})

test_that("checkpoints: our own round trip and MXNet 1.9.1's LeNet", {
  d <- toy(40)
  model <- mx.model.FeedForward.create(toy_net(), d$x, d$y, array.layout = "colmajor",
                                       num.round = 1, verbose = FALSE)
  prefix <- file.path(tempdir(), "own")
  mx.model.save(model, prefix, 3)
  back <- mx.model.load(prefix, 3)
  expect_equal(predict(back, d$x, array.layout = "colmajor"),
               predict(model, d$x, array.layout = "colmajor"))
  s <- mx.serialize(model)
  expect_true(is.serialized(s))
  f <- tempfile(fileext = ".rds")
  saveRDS(s, f)
  expect_equal(predict(mx.unserialize(readRDS(f)), d$x, array.layout = "colmajor"),
               predict(model, d$x, array.layout = "colmajor"), tolerance = 1e-6)
  expect_error(mx.model.load(file.path(tempdir(), "missing"), 1), "mx.model.load: cannot open")

  fixtures <- file.path(Sys.getenv("MXNET_BRIDGE_ROOT", "../.."), "tests", "fixtures",
                        "mxnet-1.9.1")
  skip_if(!file.exists(file.path(fixtures, "lenet-symbol.json")), "fixtures not found")
  lenet <- mx.model.load(file.path(fixtures, "lenet"), 3)
  io <- mx.nd.load(file.path(fixtures, "lenet-io.nd"))
  x <- as.array(io$data)
  expect_equal(dim(x), c(28, 28, 1, 8))
  expect_equal(predict(lenet, x), as.array(io$output), tolerance = 1e-4)
})

test_that("training parameters: given arg.params, fixed.param, allow.extra.params", {
  d <- toy(40)
  it <- mx.io.arrayiter(d$x, d$y, batch.size = 10)
  init <- mx.model.init.params(toy_net(), list(data = c(2, 10)), NULL, mx.init.uniform(0.1),
                               mx.cpu())$arg.params
  model <- mx.model.FeedForward.create(toy_net(), it, num.round = 2, verbose = FALSE,
                                       arg.params = init, fixed.param = "fc1_weight",
                                       learning.rate = 0.5)
  expect_equal(as.array(model$arg.params$fc1_weight), as.array(init$fc1_weight))
  expect_false(isTRUE(all.equal(as.array(model$arg.params$fc2_weight),
                                as.array(init$fc2_weight))))
  extra <- c(init, list(other_weight = mx.nd.ones(3)))
  expect_error(mx.model.FeedForward.create(toy_net(), it, num.round = 1, verbose = FALSE,
                                           arg.params = extra), "allow.extra.params")
  expect_silent(mx.model.FeedForward.create(toy_net(), it, num.round = 1, verbose = FALSE,
                                            arg.params = extra, allow.extra.params = TRUE))
})

test_that("bad input is an R error before training, and the session goes on", {
  d <- toy(40)
  net <- toy_net()
  fc <- "mx.model.FeedForward.create"
  expect_error(mx.model.FeedForward.create(net, d$x, d$y[1:39], array.layout = "colmajor"),
               "y has 39 labels but X has 40 samples")
  expect_error(mx.model.FeedForward.create(net, d$x, d$y + 3, array.layout = "colmajor",
                                           verbose = FALSE),
               "labels range from 3 to 4 but the network's softmax output has 2 classes")
  x2 <- d$x
  x2[2, 5] <- NA
  expect_error(mx.model.FeedForward.create(net, x2, d$y, array.layout = "colmajor"), "NA")
  expect_error(mx.model.FeedForward.create(net, d$x, d$y, array.layout = "colmajor",
                                           optimizer = "sgdx"), "Unknown optimizer sgdx")
  expect_error(mx.model.FeedForward.create(net, d$x, d$y, array.layout = "colmajor",
                                           eval.metric = "accurasy"), "unknown eval.metric")
  expect_error(mx.model.FeedForward.create(net, d$x, d$y, array.layout = "colmajor",
                                           learning.rte = 0.1), "unknown parameter")
  Empty <- setRefClass("Empty", contains = "Rcpp_MXArrayDataIter",
                       methods = list(reset = function() NULL, iter.next = function() FALSE,
                                      value = function() list(), num.pad = function() 0))
  expect_error(mx.model.FeedForward.create(net, Empty$new()), "Empty input")
  it <- mx.io.arrayiter(d$x, d$y, batch.size = 10)
  bad.eval <- mx.io.arrayiter(rbind(d$x, d$x), d$y, batch.size = 10)
  expect_error(mx.model.FeedForward.create(net, it, eval.data = bad.eval, verbose = FALSE),
               "eval.data's data has dim c\\(4, n\\), the training data has c\\(2, n\\)")
  expect_error(mx.model.FeedForward.create(net, it, eval.data = "x"), "validation set")
  expect_error(mx.model.FeedForward.create("net", it), "symbol must be an MXSymbol")
  expect_error(mx.model.FeedForward.create(net, list(1)), "X must be")
  expect_error(mx.model.FeedForward.create(net, it, num.round = 0), "num.round")
  # still fine afterwards
  m <- mx.model.FeedForward.create(net, it, num.round = 1, verbose = FALSE)
  expect_s3_class(m, "MXFeedForwardModel")
  pdf(NULL)
  expect_error(plot(mx.model.load(file.path(tempdir(), "own"), 3)), "no metric history")
  m2 <- mx.model.FeedForward.create(net, it, num.round = 2, verbose = FALSE,
                                    eval.metric = mx.metric.accuracy, eval.data = it)
  expect_silent(plot(m2))
  dev.off()
})

test_that("MXNet 1.9.1 checkpoints load in R and predict MXNet's outputs", {
  fixtures <- file.path(Sys.getenv("MXNET_BRIDGE_ROOT", "../.."), "tests", "fixtures",
                        "mxnet-1.9.1")
  expect_true(file.exists(file.path(fixtures, "mlp-symbol.json")))
  for (case in list(c("mlp", 0), c("lenet", 3), c("resnet18-narrow", 0))) {
    model <- mx.model.load(file.path(fixtures, case[1]), as.integer(case[2]))
    io <- mx.nd.load(file.path(fixtures, paste0(case[1], "-io.nd")))
    x <- as.array(io$data)
    want <- as.array(io$output)
    got <- predict(model, x, array.layout = "colmajor")
    expect_equal(dim(got), dim(want))
    expect_lt(max(abs(got - want)) / max(abs(want)), 1e-5, label = case[1])
  }
})
