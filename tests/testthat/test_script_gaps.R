# What real MXNet 1.9.1 R scripts (vignettes, demos, examples) call and the package lacked
# or did differently (survey of 2026-11-28): mx.varg.symbol.*, mx.model.check.arguments,
# graph.viz with unknown shapes, optimizer arguments, MXNDArray in mx.io.arrayiter, predict
# on RNN models, the log lines with several devices.
context("script gaps")

test_that("mx.varg.symbol.<op> takes one list of symbols and named parameters", {
  a <- mx.symbol.Variable("a")
  b <- mx.symbol.Variable("b")
  l <- c(a, b)
  l$num.args <- 2
  l$name <- "cc"
  s <- mxnet:::mx.varg.symbol.Concat(l)
  ref <- mx.symbol.concat(list(a, b), num.args = 2, name = "cc")
  expect_identical(s$as.json(), ref$as.json())
  shp <- mx.symbol.infer.shape(s, a = c(3, 2), b = c(5, 2))$out.shapes[[1]]
  expect_equal(shp, mx.symbol.infer.shape(ref, a = c(3, 2), b = c(5, 2))$out.shapes[[1]])
  # inputs by name, parameters in R's dotted spelling, as the generated code of the real
  # package passed them (mx.symbol.X(...) was mx.varg.symbol.X(list(...)))
  fc <- mxnet:::mx.varg.symbol.FullyConnected(list(data = a, num.hidden = 4, name = "fc"))
  expect_identical(fc$as.json(),
                   mx.symbol.FullyConnected(data = a, num_hidden = 4, name = "fc")$as.json())
  # one per registry operator, internal ones too; none exported
  ns <- asNamespace("mxnet")
  expect_true(all(c("mx.varg.symbol.Convolution", "mx.varg.symbol.sum_axis",
                    "mx.varg.symbol.internal.plus") %in% ls(ns)))
  expect_false(any(startsWith(getNamespaceExports("mxnet"), "mx.varg.")))
  expect_error(mxnet:::mx.varg.symbol.Concat(a),
               "mx.varg.symbol.Concat: args must be a list of input symbols")
  expect_error(mxnet:::mx.varg.symbol.Concat(list(a, b, 2)),
               "mx.varg.symbol.Concat: Non Symbol parameters is only accepted via key=value")
})

test_that("mx.model.check.arguments finds the data and label arguments as the real one", {
  net <- mx.symbol.SoftmaxOutput(mx.symbol.FullyConnected(mx.symbol.Variable("data"),
                                                          num_hidden = 3, name = "fc"),
                                 name = "sm")
  args <- arguments(net)
  expect_equal(mxnet:::mx.model.check.arguments(net),
               c(args[endsWith(args, "data")], args[endsWith(args, "label")]))
  expect_equal(mxnet:::mx.model.check.arguments(net), c("data", "sm_label"))
  two <- mx.symbol.broadcast_add(mx.symbol.Variable("data"), mx.symbol.Variable("extra_data"))
  expect_error(mxnet:::mx.model.check.arguments(two),
               "mx.model.check.arguments: Multiple fields contains suffix data")
  expect_null(mxnet:::mx.model.check.arguments(mx.symbol.Variable("x")))
  expect_error(mxnet:::mx.model.check.arguments(3),
               "mx.model.check.arguments: symbol must be an MXSymbol")
})

test_that("graph.viz draws a graph without edge labels when shapes stay unknown", {
  skip_if(!nzchar(Sys.which("dot")), "Graphviz's dot is not installed")
  s <- mx.symbol.broadcast_add(mx.symbol.Variable("data"), mx.symbol.Variable("other"),
                               name = "add")
  plain <- graph.viz(s)
  partial <- graph.viz(s, shape = c(2, 3))
  full <- graph.viz(s, shape = list(data = c(2, 3), other = c(2, 3)))
  bytes <- function(f) readBin(unclass(f), "raw", file.size(unclass(f)))
  expect_identical(bytes(partial), bytes(plain))
  expect_false(identical(bytes(full), bytes(plain)))
})

test_that("optimizers take clip_gradient = NULL where the real ones did, and eps = for epsilon", {
  # the real adagrad, adadelta and nag read NULL as no clipping
  # two steps: adagrad's and adadelta's first step hardly depends on the gradient's size
  w <- list(w = mx.nd.array(c(1, -2, 3)))
  g1 <- list(w = mx.nd.array(c(50, -0.1, 0.2)))
  g2 <- list(w = mx.nd.array(c(1, 1, -3)))
  step <- function(opt) {
    up <- mx.opt.get.updater(opt, w)
    w1 <- up(lapply(w, mx.nd.copyto, ctx = mx.cpu()), g1)
    as.array(up(w1, g2)$w)
  }
  for (name in c("adagrad", "adadelta", "nag")) {
    none <- step(mx.opt.create(name, clip_gradient = NULL))
    expect_equal(none, step(mx.opt.create(name, clip_gradient = -1)), info = name)
    expect_false(isTRUE(all.equal(none, step(mx.opt.create(name, clip_gradient = 0.5)))),
                 info = name)
  }
  # the real sgd, rmsprop and adam handed NULL to their update operator, which refused it
  expect_error(mx.opt.create("sgd", clip_gradient = NULL),
               "mx.opt.sgd: clip_gradient must be a single number")
  # R's partial matching, as in both RNN vignettes: eps is adadelta's epsilon
  a <- mx.opt.create("adadelta", rho = 0.9, eps = 1e-3, clip_gradient = NULL)
  expect_equal(a$args$epsilon, 1e-3)
  expect_equal(step(a), step(mx.opt.adadelta(rho = 0.9, epsilon = 1e-3)))
  expect_equal(mx.opt.create("sgd", learning = 0.3)$args$learning.rate, 0.3)
  expect_error(mx.opt.create("adadelta", foo = 1),
               "mx.opt.create: unknown parameter\\(s\\) foo for optimizer \"adadelta\"")
})

test_that("mx.io.arrayiter takes MXNDArray data and labels as the real one", {
  x <- matrix(as.numeric(1:12), 3, 4)
  y <- c(0, 1, 1, 0)
  from.nd <- mx.io.arrayiter(mx.nd.array(x), mx.nd.array(y), batch.size = 2)
  from.r <- mx.io.arrayiter(x, y, batch.size = 2)
  from.nd$reset()
  from.r$reset()
  while (from.r$iter.next()) {
    expect_true(from.nd$iter.next())
    expect_equal(as.array(from.nd$value()$data), as.array(from.r$value()$data))
    expect_equal(as.array(from.nd$value()$label), as.array(from.r$value()$label))
  }
  expect_false(from.nd$iter.next())
})

test_that("predict works on rnn.graph and rnn.graph.unroll models (states and labels zero)", {
  set.seed(7)
  mx.set.seed(7)
  # 12 samples in batches of 4: no padding (predict drops the last batch's padded rows as
  # the real one did, which for one-to-one graphs are not those samples' rows)
  X <- matrix(sample(1:6, 5 * 12, TRUE), 5, 12)
  graphs <- list(
    fused.one = rnn.graph(num_rnn_layer = 1, input_size = 7, num_embed = 3, num_hidden = 4,
                          num_decode = 7, loss_output = "softmax", config = "one-to-one",
                          cell_type = "lstm"),
    unroll.one = rnn.graph.unroll(num_rnn_layer = 1, seq_len = 5, input_size = 7,
                                  num_embed = 3, num_hidden = 4, num_decode = 7,
                                  loss_output = "softmax", config = "one-to-one",
                                  cell_type = "gru"),
    fused.seq = rnn.graph(num_rnn_layer = 2, input_size = 7, num_embed = 3, num_hidden = 4,
                          num_decode = 2, loss_output = "softmax", config = "seq-to-one",
                          cell_type = "gru"))
  for (g in names(graphs)) {
    label <- if (endsWith(g, "one")) X else X[1, ] %% 2
    it <- mx.io.bucket.iter(list("5" = list(data = X, label = label)), batch.size = 4)
    m <- mx.model.buckets(graphs[[g]], it, num.round = 1, verbose = FALSE)
    p <- predict(m, X, array.layout = "colmajor", array.batch.size = 4)
    # mx.infer.rnn binds with the iterator's inputs (labels, zero states): the same outputs
    ref <- as.array(mx.infer.rnn(it, m))
    expect_equal(dim(p), dim(ref), info = g)
    expect_equal(p, ref, tolerance = 1e-6, info = g)
  }
  # a parameter the model lacks is still an error, not a zero
  m$arg.params$cls.weight <- NULL
  expect_error(predict(m, X, array.layout = "colmajor"),
               "predict: the model's parameters lack cls.weight")
})

test_that("several devices: one line says which is used, then 'Start training with 1 devices'", {
  set.seed(3)
  x <- matrix(rnorm(40), 2, 20)
  y <- as.numeric(x[1, ] > 0)
  net <- mx.symbol.SoftmaxOutput(mx.symbol.FullyConnected(mx.symbol.Variable("data"),
                                                          num_hidden = 2))
  msgs <- character(0)
  withCallingHandlers(
    mx.model.FeedForward.create(net, x, y, ctx = list(mx.cpu(1), mx.cpu(2)), num.round = 1,
                                array.batch.size = 10, array.layout = "colmajor"),
    message = function(m) {
      msgs <<- c(msgs, conditionMessage(m))
      invokeRestart("muffleMessage")
    })
  expect_equal(msgs[1], paste0("Training on cpu(1) only; data parallelism over 2 devices is ",
                               "not supported by this engine\n"))
  expect_equal(msgs[2], "Start training with 1 devices\n")
})

test_that("mx.model.buckets and FeedForward.create check rounds and initializer alike", {
  net <- mx.symbol.SoftmaxOutput(mx.symbol.FullyConnected(mx.symbol.Variable("data"),
                                                          num_hidden = 2))
  sym <- rnn.graph.unroll(num_rnn_layer = 1, seq_len = 3, input_size = 5, num_embed = 2,
                          num_hidden = 4, num_decode = 5, loss_output = "softmax",
                          config = "one-to-one")
  it <- mx.io.bucket.iter(list("3" = list(data = matrix(1:12, 3), label = matrix(1:12, 3))),
                          batch.size = 2)
  x <- matrix(1, 2, 4)
  for (bad in list(0, 1.5, NA, c(1, 2))) {
    expect_error(mx.model.FeedForward.create(net, x, c(0, 1, 0, 1), num.round = bad),
                 "mx.model.FeedForward.create: num.round must be a positive integer")
    expect_error(mx.model.buckets(sym, it, num.round = bad),
                 "mx.model.buckets: num.round must be a positive integer")
  }
  expect_error(mx.model.buckets(sym, it, begin.round = 0),
               "mx.model.buckets: begin.round must be a positive integer")
  expect_error(mx.model.FeedForward.create(net, x, c(0, 1, 0, 1), initializer = "xavier"),
               "mx.model.FeedForward.create: initializer must be a function")
  expect_error(mx.model.buckets(sym, it, initializer = "xavier"),
               "mx.model.buckets: initializer must be a function")
})

test_that("get.output with no matching output name says so (CharRnnModel's RNN_state)", {
  s <- mx.symbol.FullyConnected(mx.symbol.Variable("data"), num_hidden = 2, name = "fc")
  inner <- s$get.internals()
  expect_error(inner$get.output(which(inner$outputs %in% "RNN_state")),
               "get.output: index must be a single number or output name, got 0 values")
  expect_equal(inner$get.output(which(inner$outputs %in% "fc_weight"))$outputs, "fc_weight")
})

test_that("predict of a fused RNN model equals real MXNet 1.9.1's simple_bind with zero states", {
  ref.python <- "/tmp/mxnet-ref/bin/python"
  skip_if(!file.exists(ref.python), "no real MXNet 1.9.1 venv at /tmp/mxnet-ref")
  set.seed(2)
  mx.set.seed(2)
  X <- matrix(sample(1:6, 5 * 12, TRUE), 5, 12)
  it <- mx.io.bucket.iter(list("5" = list(data = X, label = X[1, ] %% 2)), batch.size = 4)
  s <- rnn.graph(num_rnn_layer = 2, input_size = 7, num_embed = 3, num_hidden = 4,
                 num_decode = 2, loss_output = "softmax", config = "seq-to-one",
                 cell_type = "lstm")
  m <- mx.model.buckets(s, it, num.round = 2, verbose = FALSE)
  dir <- tempfile("rnn-ref-")
  dir.create(dir)
  mx.model.save(m, file.path(dir, "m"), 2)
  utils::write.table(t(X), file.path(dir, "x.txt"), row.names = FALSE, col.names = FALSE)
  code <- paste(
    "import sys, mxnet as mx, numpy as np",
    "d = sys.argv[1]",
    "sym, args, auxs = mx.model.load_checkpoint(d + '/m', 2)",
    "x = np.loadtxt(d + '/x.txt')",
    "e = sym.simple_bind(mx.cpu(), data=(4, 5), grad_req='null')",
    "e.copy_params_from(args, auxs)",
    "outs = []",
    "for i in range(0, 12, 4):",
    "    e.arg_dict['data'][:] = x[i:i + 4]",
    "    outs.append(e.forward(is_train=False)[0].asnumpy())",
    "np.savetxt(d + '/ref.txt', np.concatenate(outs))", sep = "\n")
  writeLines(code, file.path(dir, "ref.py"))
  status <- system2(ref.python, c(file.path(dir, "ref.py"), dir), stdout = FALSE, stderr = FALSE)
  expect_equal(status, 0L)
  ref <- t(as.matrix(utils::read.table(file.path(dir, "ref.txt"))))
  dimnames(ref) <- NULL
  p <- predict(m, X, array.layout = "colmajor", array.batch.size = 4)
  expect_equal(p, ref, tolerance = 1e-5)
})
