# Symbols and executors from R: names, members, arithmetic, shapes, files, binding.
context("symbol and executor API")

test_that("operators name their arguments and outputs as MXNet R", {
  data <- mx.symbol.Variable("data")
  fc1 <- mx.symbol.FullyConnected(data, name = "fc1", num_hidden = 10)
  act <- mx.symbol.Activation(fc1, name = "relu1", act_type = "relu")
  fc2 <- mx.symbol.FullyConnected(act, name = "fc2", num_hidden = 3)
  net <- mx.symbol.SoftmaxOutput(fc2, name = "sm")
  expect_equal(arguments(net), c("data", "fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias",
                                 "sm_label"))
  expect_equal(outputs(net), "sm_output")
  expect_equal(net$arguments, arguments(net))
  expect_equal(net$outputs, "sm_output")
  expect_true(is.mx.symbol(net))
  expect_false(is.mx.symbol(1))
  auto <- mx.symbol.FullyConnected(data, num_hidden = 2)
  expect_match(arguments(auto)[2], "^fullyconnected[0-9]+_weight$")
  bn <- mx.symbol.BatchNorm(data, name = "bn")
  expect_equal(bn$auxiliary.states, c("bn_moving_mean", "bn_moving_var"))
})

test_that("bare operator calls, dotted parameters and shape parameters", {
  expect_true(is.mx.symbol(mx.symbol.FullyConnected()))
  expect_true(is.mx.symbol(mx.symbol.Convolution()))
  pool <- mx.symbol.Pooling(mx.symbol.Variable("x"), pool.type = "avg", kernel = c(3, 5),
                            name = "p")
  json <- pool$as.json()
  expect_match(json, '"pool_type": "avg"', fixed = TRUE)
  expect_match(json, '"kernel": "(5, 3)"', fixed = TRUE)   # R order reversed
  expect_true(is.mx.symbol(mx.symbol.Activation(pool.type = "relu")))
})

test_that("internals, [[, children, get.output and Group", {
  data <- mx.symbol.Variable("data")
  fc1 <- mx.symbol.FullyConnected(data, name = "fc1", num_hidden = 4)
  net <- mx.symbol.FullyConnected(fc1, name = "fc2", num_hidden = 2)
  int <- internals(net)
  expect_equal(int$outputs, c("data", "fc1_weight", "fc1_bias", "fc1_output", "fc2_weight",
                              "fc2_bias", "fc2_output"))
  got <- int[[match("fc1_output", int$outputs)]]
  expect_equal(arguments(got), c("data", "fc1_weight", "fc1_bias"))
  expect_equal(outputs(int$get.output(4)), "fc1_output")
  expect_equal(outputs(children(net)), c("fc1_output", "fc2_weight", "fc2_bias"))
  g <- mx.symbol.Group(c(net, fc1))
  expect_equal(outputs(g), c("fc2_output", "fc1_output"))
  expect_equal(outputs(mx.symbol.Group(net, fc1)), c("fc2_output", "fc1_output"))
  s3 <- mx.symbol.concat(c(mx.symbol.Variable("a"), mx.symbol.Variable("b")), num.args = 2,
                         name = "cat")
  expect_equal(arguments(s3), c("a", "b"))
  expect_equal(outputs(s3), "cat_output")
  expect_warning(mx.symbol.Concat(c(mx.symbol.Variable("a"), mx.symbol.Variable("b")), 2),
                 "deprecated")
})

test_that("attributes can be read and assigned", {
  x <- mx.symbol.Variable("x")
  x$attributes <- list(`__shape__` = "(1, 2)")
  expect_equal(x$attributes$`__shape__`, "(1, 2)")
  y <- mx.symbol.Variable("y")
  y$attributes$mood <- "calm"
  expect_equal(y$attributes$mood, "calm")
  expect_error(y$attributes <- list(a = 1), "Attribute values must be characters")
})

test_that("infer.shape gives R-ordered shapes, or NULL", {
  data <- mx.symbol.Variable("data")
  conv <- mx.symbol.Convolution(data, kernel = c(5, 5), num_filter = 6, name = "c")
  fc <- mx.symbol.FullyConnected(mx.symbol.Flatten(conv), num_hidden = 10, name = "f")
  s <- mx.symbol.infer.shape(fc, data = c(28, 28, 1, 7))
  expect_equal(s$arg.shapes$c_weight, c(5, 5, 1, 6))
  expect_equal(s$arg.shapes$f_weight, c(24 * 24 * 6, 10))
  expect_equal(s$out.shapes$f_output, c(10, 7))
  prev <- mx.symbol.Variable("prev")
  both <- mx.symbol.elemwise_add(mx.symbol.FullyConnected(data, num_hidden = 3),
                                 mx.symbol.FullyConnected(prev, num_hidden = 3))
  expect_null(mx.symbol.infer.shape(both, data = c(4, 2)))
  expect_error(mx.symbol.infer.shape(fc, c(1, 2)), "key=value")
})

# Evaluate a symbol with given inputs through an executor.
eval_sym <- function(sym, ...) {
  inputs <- list(...)
  shapes <- lapply(inputs, function(v) if (is.null(dim(v))) length(v) else dim(v))
  ex <- do.call(mx.simple.bind, c(list(sym, ctx = mx.cpu()), shapes))
  mx.exec.update.arg.arrays(ex, lapply(inputs, mx.nd.array), match.name = TRUE)
  mx.exec.forward(ex, is.train = FALSE)
  as.array(ex$ref.outputs[[1]])
}

test_that("arithmetic on symbols with symbols and numbers", {
  a <- mx.symbol.Variable("a")
  b <- mx.symbol.Variable("b")
  x <- matrix(c(1, 2, 3, 4, 5, 6), 2)
  y <- matrix(c(2, 2, 5, 1, 0.5, 4), 2)
  expect_equal(eval_sym((a + b) * 2 - 1, a = x, b = y), (x + y) * 2 - 1, tolerance = 1e-6)
  expect_equal(eval_sym(a / b, a = x, b = y), x / y, tolerance = 1e-6)
  expect_equal(eval_sym(2 / a, a = x), 2 / x, tolerance = 1e-6)
  expect_equal(eval_sym(10 - a, a = x), 10 - x, tolerance = 1e-6)
  expect_equal(eval_sym(a ^ 2, a = x), x ^ 2, tolerance = 1e-6)
  expect_equal(eval_sym(-a, a = x), -x, tolerance = 1e-6)
  expect_error(a + "z", "MXSymbol")
  expect_error(a + c(1, 2), "length 2")
})

test_that("save, load and load.json round trip", {
  data <- mx.symbol.Variable("data")
  lro <- mx.symbol.LinearRegressionOutput(mx.symbol.FullyConnected(data, num_hidden = 1))
  f <- tempfile(fileext = ".json")
  mx.symbol.save(lro, f)
  back <- mx.symbol.load(f)
  expect_equal(back$as.json(), lro$as.json())
  expect_equal(arguments(mx.symbol.load.json(lro$as.json())), arguments(lro))
  expect_error(mx.symbol.load(file.path(tempdir(), "nope.json")), "mx.symbol.load: cannot open")
  expect_error(mx.symbol.load.json("{not json"), "mx.symbol.load.json")
})

test_that("executor: forward and backward agree with R's algebra", {
  data <- mx.symbol.Variable("data")
  label <- mx.symbol.Variable("label")
  fc <- mx.symbol.FullyConnected(data, num_hidden = 2, name = "fc")
  net <- mx.symbol.LinearRegressionOutput(fc, label = label, name = "lro")
  ex <- mx.simple.bind(net, ctx = mx.cpu(), grad.req = "write", data = c(4, 3), label = c(2, 3))
  expect_equal(names(ex$ref.arg.arrays), c("data", "fc_weight", "fc_bias", "label"))
  expect_null(ex$ref.grad.arrays$data)          # data and label get no gradient
  X <- matrix(c(1, -2, 0.5, 3, 2, 1, -1, 0, 0.25, 4, 2, -3), 4, 3)
  W <- matrix(c(0.1, -0.2, 0.3, 0.05, -0.1, 0.2, 0.4, -0.3), 4, 2)
  b <- c(0.5, -1)
  Y <- matrix(c(1, 0, 2, -1, 0.5, 0.5), 2, 3)
  mx.exec.update.arg.arrays(ex, list(data = mx.nd.array(X), fc_weight = mx.nd.array(W),
                                     fc_bias = mx.nd.array(b), label = mx.nd.array(Y)),
                            match.name = TRUE)
  mx.exec.forward(ex, is.train = TRUE)
  pred <- t(W) %*% X + b
  expect_equal(as.array(ex$ref.outputs$lro_output), pred, tolerance = 1e-5)
  mx.exec.backward(ex)
  # MXNet's regression outputs: gradient (pred - label) / num_output (2 outputs per sample)
  gW <- X %*% t(pred - Y) / 2
  expect_equal(as.array(ex$ref.grad.arrays$fc_weight), gW, tolerance = 1e-4)
  expect_equal(as.array(ex$ref.grad.arrays$fc_bias), rowSums(pred - Y) / 2, tolerance = 1e-4)
  copy <- ex$outputs[[1]]
  expect_equal(as.array(copy), pred, tolerance = 1e-5)
  expect_error(mx.exec.update.arg.arrays(ex, list(nope = mx.nd.array(X)), match.name = TRUE),
               "'nope' is not an array of the executor")
  expect_error(mx.exec.update.arg.arrays(ex, list(data = mx.nd.array(W)), match.name = TRUE),
               "expects c\\(4, 3\\)")
  expect_error(mx.simple.bind(net, ctx = mx.cpu()), "mx.simple.bind")
  expect_error(mx.exec.forward(1), "MXExecutor")
})

test_that("mx.apply composes symbols", {
  data <- mx.symbol.Variable("data")
  net1 <- mx.symbol.FullyConnected(data = data, name = "fc1", num_hidden = 10)
  net2 <- mx.symbol.FullyConnected(name = "fc3", num_hidden = 10)
  composed <- mx.apply(net2, fc3_data = net1, name = "composed")
  expect_equal(arguments(composed), c("data", "fc1_weight", "fc1_bias", "fc3_weight", "fc3_bias"))
  expect_equal(outputs(composed), "composed_output")
})

test_that("bad input is an R error naming the function", {
  expect_error(mx.symbol.Variable(3), "mx.symbol.Variable: name must be a single string")
  expect_error(arguments("x"), "arguments: only for MXSymbol")
  expect_error(mx.symbol.FullyConnected(data = 5), "mx.symbol.FullyConnected: input 'data'")
  expect_error(mx.symbol.Group(1, 2), "mx.symbol.Group")
  expect_error(mx.symbol.Variable("x")$nothing, "no member 'nothing'")
})

test_that("graph.viz draws the network to a PNG", {
  skip_if(!nzchar(Sys.which("dot")), "Graphviz is not installed")
  data <- mx.symbol.Variable("data")
  net <- mx.symbol.SoftmaxOutput(mx.symbol.FullyConnected(data, num_hidden = 3))
  f <- graph.viz(net, shape = c(4, 2))
  expect_true(file.exists(f))
  expect_equal(readBin(f, "raw", 4), as.raw(c(0x89, 0x50, 0x4e, 0x47)))
})
