# Fine-tuning as the deck's last sections do it: a checkpoint's internals, a new last layer,
# convolution layers kept fixed with fixed.param, the checkpoint's other layers given through
# arg.params with allow.extra.params.
context("fine-tuning")

# 8x8 grey images of three classes: a bright row band in the top, middle or bottom third.
ft_images <- function(n, seed) {
  set.seed(seed)
  y <- rep(0:2, length.out = n)
  x <- array(runif(8 * 8 * n, 0, 0.3), c(8, 8, 1, n))
  for (i in seq_len(n)) {
    rows <- list(1:2, 4:5, 7:8)[[y[[i]] + 1L]]
    x[, rows, 1, i] <- x[, rows, 1, i] + 1
  }
  list(x = x, y = y)
}

ft_base_net <- function() {
  data <- mx.symbol.Variable("data")
  conv <- mx.symbol.Convolution(data, kernel = c(3, 3), num_filter = 4, name = "conv1")
  act1 <- mx.symbol.Activation(conv, act_type = "relu", name = "relu1")
  pool <- mx.symbol.Pooling(act1, pool_type = "max", kernel = c(2, 2), stride = c(2, 2),
                            name = "pool1")
  flat <- mx.symbol.Flatten(pool, name = "flat")
  fc1 <- mx.symbol.FullyConnected(flat, num_hidden = 16, name = "fc1")
  act2 <- mx.symbol.Activation(fc1, act_type = "relu", name = "relu2")
  fc2 <- mx.symbol.FullyConnected(act2, num_hidden = 3, name = "fc2")
  mx.symbol.SoftmaxOutput(fc2, name = "softmax")
}

ft_train <- function(net, d, rounds, ...) {
  it <- mx.io.arrayiter(d$x, d$y, batch.size = 10, shuffle = FALSE)
  mx.model.FeedForward.create(net, it, ctx = mx.cpu(), num.round = rounds, verbose = FALSE,
                              learning.rate = 0.5, initializer = mx.init.Xavier(), ...)
}

# A checkpoint of the base network, trained a little and loaded back as the deck does.
ft_checkpoint <- function() {
  mx.set.seed(3)
  base <- ft_train(ft_base_net(), ft_images(60, 1), 2)
  prefix <- file.path(tempfile("finetune"), "base")
  dir.create(dirname(prefix))
  mx.model.save(base, prefix, 2)
  mx.model.load(prefix, 2)
}

ft_new_net <- function(pretrained) {
  internals <- pretrained$symbol$get.internals()
  features <- internals[["relu2_output"]]
  fc <- mx.symbol.FullyConnected(features, num_hidden = 2, name = "fc_new")
  mx.symbol.SoftmaxOutput(fc, name = "softmax")
}

test_that("get.internals gives the network cut at any output", {
  pretrained <- ft_checkpoint()
  internals <- pretrained$symbol$get.internals()
  expect_true(all(c("flat_output", "relu2_output", "fc2_output", "softmax_output") %in%
                    internals$outputs))
  features <- internals[["relu2_output"]]
  expect_identical(features$outputs, "relu2_output")
  expect_identical(arguments(features),
                   c("data", "conv1_weight", "conv1_bias", "fc1_weight", "fc1_bias"))
  expect_identical(arguments(ft_new_net(pretrained)),
                   c("data", "conv1_weight", "conv1_bias", "fc1_weight", "fc1_bias",
                     "fc_new_weight", "fc_new_bias", "softmax_label"))
})

test_that("fixed.param keeps the convolution bit-identical; the other layers train", {
  pretrained <- ft_checkpoint()
  net <- ft_new_net(pretrained)
  d <- ft_images(40, 2)
  d$y <- as.numeric(d$y == 1)                      # the new task: middle band or not
  mx.set.seed(4)
  init <- mx.model.init.params(net, list(data = c(8, 8, 1, 10)), NULL, mx.init.Xavier(),
                               mx.cpu())$arg.params
  params <- c(pretrained$arg.params, init[c("fc_new_weight", "fc_new_bias")])
  # the checkpoint's old last layer (fc2) is not in the new network
  expect_error(ft_train(net, d, 1, arg.params = params), "fc2_weight.*allow.extra.params")
  fixed <- c("conv1_weight", "conv1_bias")
  tuned <- ft_train(net, d, 3, arg.params = params, allow.extra.params = TRUE,
                    fixed.param = fixed)
  expect_false("fc2_weight" %in% names(tuned$arg.params))
  for (p in fixed) {
    expect_identical(as.array(tuned$arg.params[[p]]), as.array(pretrained$arg.params[[p]]))
  }
  for (p in c("fc1_weight", "fc1_bias", "fc_new_weight", "fc_new_bias")) {
    expect_gt(max(abs(as.array(tuned$arg.params[[p]]) - as.array(params[[p]]))), 1e-3)
  }
  # without fixed.param the convolution trains too
  free <- ft_train(net, d, 1, arg.params = params, allow.extra.params = TRUE)
  expect_gt(max(abs(as.array(free$arg.params$conv1_weight) -
                      as.array(pretrained$arg.params$conv1_weight))), 1e-4)
})

test_that("with fixed convolution, training equals training the head on fixed features", {
  pretrained <- ft_checkpoint()
  net <- ft_new_net(pretrained)
  d <- ft_images(40, 5)
  d$y <- as.numeric(d$y == 1)
  mx.set.seed(6)
  init <- mx.model.init.params(net, list(data = c(8, 8, 1, 10)), NULL, mx.init.Xavier(),
                               mx.cpu())$arg.params
  head_params <- list(fc1_weight = pretrained$arg.params$fc1_weight,
                      fc1_bias = pretrained$arg.params$fc1_bias,
                      fc_new_weight = init$fc_new_weight, fc_new_bias = init$fc_new_bias)
  tuned <- ft_train(net, d, 3, arg.params = c(head_params, pretrained$arg.params[
                      c("conv1_weight", "conv1_bias")]),
                    fixed.param = c("conv1_weight", "conv1_bias"))
  # the checkpoint's convolution part computes the features once ...
  flat <- pretrained$symbol$get.internals()[["flat_output"]]
  exec <- mx.simple.bind(flat, ctx = mx.cpu(), data = dim(d$x))
  mx.exec.update.arg.arrays(exec, pretrained$arg.params[c("conv1_weight", "conv1_bias")],
                            match.name = TRUE)
  mx.exec.update.arg.arrays(exec, list(data = mx.nd.array(d$x)), match.name = TRUE)
  mx.exec.forward(exec, is.train = FALSE)
  feats <- as.array(exec$ref.outputs[[1]])
  expect_equal(dim(feats), c(4 * 3 * 3, 40))
  # ... and a network of the remaining layers alone trains on them
  data <- mx.symbol.Variable("data")
  act <- mx.symbol.Activation(mx.symbol.FullyConnected(data, num_hidden = 16, name = "fc1"),
                              act_type = "relu")
  head <- mx.symbol.SoftmaxOutput(mx.symbol.FullyConnected(act, num_hidden = 2,
                                                           name = "fc_new"), name = "softmax")
  alone <- ft_train(head, list(x = feats, y = d$y), 3, arg.params = head_params)
  for (p in names(head_params)) {
    expect_equal(as.array(tuned$arg.params[[p]]), as.array(alone$arg.params[[p]]),
                 tolerance = 1e-5)
  }
})
