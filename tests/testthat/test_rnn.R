# The RNN API: mx.io.bucket.iter, rnn.graph(.unroll), mx.model.buckets, mx.infer.rnn*.

rnn_fixtures <- function() {
  file.path(Sys.getenv("MXNET_BRIDGE_ROOT", "../.."), "tests", "fixtures", "mxnet-1.9.1")
}

have_op <- function(name) exists(paste0("mx.symbol.", name), envir = asNamespace("mxnet"))

rel2 <- function(got, want) sqrt(sum((got - want)^2)) / sqrt(sum(want^2))

toy_buckets <- function() {
  set.seed(11)
  d3 <- matrix(sample(0:4, 3 * 10, TRUE), 3, 10)
  d5 <- matrix(sample(0:4, 5 * 6, TRUE), 5, 6)
  list("3" = list(data = d3, label = colSums(d3)),
       "5" = list(data = d5, label = d5 * 2))
}

test_that("mx.io.bucket.iter gives the batches an independent computation gives", {
  b <- toy_buckets()
  it <- mx.io.bucket.iter(b, batch.size = 4, data.mask.element = 0)
  expect_equal(it$bucket.names, c("3", "5"))
  it$reset()
  expect_equal(it$batch.per.epoch, 3 + 2)
  got <- list()
  while (it$iter.next()) {
    v <- it$value()
    got[[length(got) + 1L]] <- list(bucket = names(it$bucketID), id = unname(it$bucketID),
                                    data = as.array(v$data), mask = as.array(v$seq.mask),
                                    label = as.array(v$label), pad = it$num.pad())
  }
  expect_length(got, 5)
  # expected: each bucket's samples in order, batches of 4, the last one completed with the
  # bucket's first samples; mask = length - number of zeros per column
  k <- 0
  for (nm in names(b)) {
    n <- ncol(b[[nm]]$data)
    order <- c(seq_len(n), seq_len(4 * ceiling(n / 4) - n))
    for (j in seq_len(ceiling(n / 4))) {
      k <- k + 1
      cols <- order[(j - 1) * 4 + 1:4]
      g <- got[[k]]
      expect_equal(g$bucket, nm)
      expect_equal(g$id, j)
      expect_equal(g$data, b[[nm]]$data[, cols])
      expect_equal(as.vector(g$mask), as.integer(nm) - apply(b[[nm]]$data[, cols] == 0, 2, sum))
      lab <- b[[nm]]$label
      expect_equal(g$label, if (is.null(dim(lab))) lab[cols] else lab[, cols])
      expect_equal(g$pad, if (j == ceiling(n / 4)) 4 * ceiling(n / 4) - n else 0)
    }
  }
  expect_false(it$iter.next())
})

test_that("mx.io.bucket.iter shuffles as set.seed(seed) and sample() say", {
  b <- toy_buckets()
  it <- mx.io.bucket.iter(b, batch.size = 4, shuffle = TRUE, seed = 5)
  it$reset()
  set.seed(5)
  plan <- sample(rep(c("3", "5"), times = c(3, 2)))
  perm3 <- sample(10)
  perm5 <- sample(6)
  expect_equal(names(it$bucket.plan), plan)
  expect_equal(unname(it$bucket.plan), ave(seq_along(plan), plan, FUN = seq_along))
  expect_equal(it$buckets[["3"]]$data, b[["3"]]$data[, perm3])
  expect_equal(it$buckets[["3"]]$label, b[["3"]]$label[perm3])
  expect_equal(it$buckets[["5"]]$label, b[["5"]]$label[, perm5])
  n <- 0
  while (it$iter.next()) n <- n + 1
  expect_equal(n, 5)
})

test_that("rnn.graph.unroll names its parameters and states as the real package", {
  s <- rnn.graph.unroll(num_rnn_layer = 2, seq_len = 3, input_size = 7, num_embed = 4,
                        num_hidden = 5, num_decode = 7, loss_output = "softmax",
                        config = "one-to-one", cell_type = "lstm", output_last_state = TRUE)
  args <- arguments(s)
  expect_true(all(c("data", "label", "embed.weight", "l1.i2h.weight", "l1.h2h.bias",
                    "l2.i2h.weight", "cls.weight", "cls.bias", "init_1_h", "init_1_c",
                    "init_2_h", "init_2_c") %in% args))
  expect_length(outputs(s), 1 + 4)
  expect_equal(outputs(s)[[1]], "loss_output")
  sh <- mx.symbol.infer.shape(s, data = c(3, 8), label = c(3, 8), init_1_h = c(5, 8),
                              init_1_c = c(5, 8), init_2_h = c(5, 8), init_2_c = c(5, 8))
  expect_equal(sh$arg.shapes$l1.i2h.weight, c(4, 20))
  expect_equal(sh$arg.shapes$l2.i2h.weight, c(5, 20))
  expect_equal(sh$out.shapes[[1]], c(7, 24))
  g <- rnn.graph.unroll(num_rnn_layer = 1, seq_len = 2, input_size = 7, num_embed = 4,
                        num_hidden = 5, num_decode = 7, config = "one-to-one",
                        cell_type = "gru", prefix = "p.")
  expect_true(all(c("p.l1.gates.i2h.weight", "p.l1.trans.h2h.bias", "p.embed.weight") %in%
                    arguments(g)))
  expect_equal(mx.symbol.infer.shape(g, data = c(2, 3))$out.shapes[[1]], c(5, 2, 3))
})

test_that("mx.infer.rnn.one.unroll carries the states: two halves equal the whole", {
  mx.set.seed(3)
  mk <- function(L) rnn.graph.unroll(num_rnn_layer = 2, seq_len = L, input_size = 6,
                                     num_embed = 3, num_hidden = 4, num_decode = 6,
                                     loss_output = "softmax", config = "one-to-one",
                                     cell_type = "lstm", output_last_state = TRUE)
  sh <- mx.symbol.infer.shape(mk(2), data = c(2, 3), label = c(2, 3),
                              init_1_h = c(4, 3), init_1_c = c(4, 3),
                              init_2_h = c(4, 3), init_2_c = c(4, 3))$arg.shapes
  keep <- setdiff(names(sh), c("data", "label", grep("^init_", names(sh), value = TRUE)))
  params <- mx.init.create(mx.init.uniform(0.5), sh[keep], mx.cpu())
  x <- matrix(c(1, 2, 3, 4, 5, 0, 2, 2, 1, 3, 3, 4), 4, 3)
  whole <- mx.infer.rnn.one.unroll(mx.nd.array(x), mk(4), num_hidden = 4,
                                   arg.params = params, aux.params = list())
  a <- mx.infer.rnn.one.unroll(mx.nd.array(x[1:2, ]), mk(2), num_hidden = 4,
                               arg.params = params, aux.params = list())
  b <- mx.infer.rnn.one.unroll(mx.nd.array(x[3:4, ]), mk(2), num_hidden = 4,
                               arg.params = params, aux.params = list(),
                               init_states = a[-1])
  expect_length(whole, 5)
  # the last states of the whole sequence are those after the second half
  for (k in 2:5) expect_equal(as.array(b[[k]]), as.array(whole[[k]]), tolerance = 1e-5)
  # probabilities: rows are sample-major (sample 1 steps 1..4, sample 2, ...)
  pw <- as.array(whole[[1]])
  idx <- function(steps) as.vector(outer(steps, (0:2) * 4, "+"))
  expect_equal(as.vector(as.array(b[[1]])), as.vector(pw[, idx(3:4)]), tolerance = 1e-5)
  expect_equal(as.vector(as.array(a[[1]])), as.vector(pw[, idx(1:2)]), tolerance = 1e-5)
  expect_false(isTRUE(all.equal(as.array(a[[2]]), as.array(whole[[2]]))))
})

parity_case <- function(case, make_symbol) {
  path <- file.path(rnn_fixtures(), "train-rnn-rpkg.nd")
  skip_if(!file.exists(path), "train-rnn-rpkg fixture not found")
  meta <- jsonlite_read(sub("\\.nd$", ".json", path))
  nd <- mx.nd.load(path)
  pre <- paste0(case, ":")
  get <- function(prefix) {
    keys <- names(nd)[startsWith(names(nd), paste0(pre, prefix))]
    stats::setNames(nd[keys], substring(keys, nchar(pre) + nchar(prefix) + 1))
  }
  cm <- meta$cases[[case]]
  lens <- names(cm$buckets)
  buckets <- lapply(lens, function(L) {
    lab <- as.array(nd[[paste0(pre, "bucket", L, ":label")]])
    list(data = as.array(nd[[paste0(pre, "bucket", L, ":data")]]), label = lab)
  })
  names(buckets) <- lens
  it <- mx.io.bucket.iter(buckets, batch.size = meta$batch_size, shuffle = FALSE)
  syms <- lapply(as.integer(lens), function(L) make_symbol(L, cm))
  names(syms) <- lens
  s <- meta$settings
  opt <- mx.opt.create("sgd", learning.rate = s[["learning.rate"]], momentum = s$momentum,
                       wd = s$wd, rescale.grad = s[["rescale.grad"]])
  init <- get("init:")
  model <- mx.model.buckets(syms, it, num.round = meta$rounds, arg.params = init,
                            optimizer = opt, verbose = FALSE)
  final <- get("final:")
  expect_setequal(names(model$arg.params), names(final))
  errs <- list()
  for (n in names(final)) {
    want <- as.array(final[[n]])
    err <- rel2(as.array(model$arg.params[[n]]), want)
    # float32 through 8-10 steps: MXNet and the engine sum in different orders
    expect_lt(err, 1e-4, label = paste(case, n, "relative error"))
    # and the steps moved the parameter far more than the error
    moved <- rel2(as.array(init[[n]]), want)
    expect_gt(moved, 20 * err, label = paste(case, n, "change"))
    errs[[n]] <- c(err = err, moved = moved)
  }
  if (nzchar(Sys.getenv("MXNET_RNN_PARITY_PRINT"))) print(do.call(rbind, errs))
}

# the fixture's JSON through the engine's json module (no R JSON package needed)
jsonlite_read <- function(path) {
  mxnet:::.mx.py("json", "json.loads", list(paste(readLines(path, warn = FALSE), collapse = "\n")))
}

test_that("mx.model.buckets reproduces MXNet 1.9.1 on an unrolled LSTM (two buckets)", {
  parity_case("unroll-lstm", function(L, cm) {
    rnn.graph.unroll(num_rnn_layer = cm$num_layers, seq_len = L, input_size = 6,
                     num_embed = cm$num_embed, num_hidden = cm$num_hidden, num_decode = 6,
                     loss_output = "softmax", config = "one-to-one", cell_type = "lstm")
  })
})

test_that("mx.model.buckets reproduces MXNet 1.9.1 on a masked seq-to-one LSTM", {
  skip_if(!have_op("SequenceLast"), "SequenceLast not in the engine yet")
  parity_case("unroll-seq2one", function(L, cm) {
    rnn.graph.unroll(num_rnn_layer = cm$num_layers, seq_len = L, input_size = 6,
                     num_embed = cm$num_embed, num_hidden = cm$num_hidden, num_decode = 2,
                     loss_output = "softmax", config = "seq-to-one", cell_type = "lstm",
                     masking = TRUE)
  })
})

test_that("mx.model.buckets reproduces MXNet 1.9.1 on the fused rnn.graph", {
  skip_if(!have_op("RNN"), "RNN not in the engine yet")
  parity_case("fused-lstm", function(L, cm) {
    rnn.graph(num_rnn_layer = cm$num_layers, input_size = 6, num_embed = cm$num_embed,
              num_hidden = cm$num_hidden, num_decode = 6, loss_output = "softmax",
              config = "one-to-one", cell_type = "lstm")
  })
})

test_that("rnn.graph (fused) and rnn.graph.unroll agree with the fused weights cut up", {
  skip_if(!have_op("RNN"), "RNN not in the engine yet")
  H <- 4; E <- 3; V <- 6; L <- 5; B <- 3; layers <- 2
  fused <- rnn.graph(num_rnn_layer = layers, input_size = V, num_embed = E, num_hidden = H,
                     num_decode = V, loss_output = "softmax", config = "one-to-one",
                     cell_type = "lstm")
  # with explicit (zero) initial states: without them the unrolled first step has no h2h
  # term, so no h2h bias, where the fused operator adds it
  unroll <- rnn.graph.unroll(num_rnn_layer = layers, seq_len = L, input_size = V,
                             num_embed = E, num_hidden = H, num_decode = V,
                             loss_output = "softmax", config = "one-to-one",
                             cell_type = "lstm", output_last_state = TRUE)
  np <- sum(sapply(seq_len(layers), function(l) {
    4 * H * (if (l == 1) E else H) + 4 * H * H + 8 * H
  }))
  set.seed(2)
  flat <- runif(np, -0.5, 0.5)
  # MXNet's layout: per layer i2h weight (4H x in, row-major), h2h weight (4H x H), then
  # per layer i2h bias, h2h bias; gates in the order i, f, c, o
  pos <- 0
  take <- function(n) { v <- flat[pos + seq_len(n)]; pos <<- pos + n; v }
  reorder <- c(1, 3, 2, 4)   # unrolled order: in, transform (c), forget, out
  gates <- function(v, per) unlist(split(v, rep(1:4, each = per))[reorder])
  params <- list()
  for (l in seq_len(layers)) {
    nin <- if (l == 1) E else H
    w <- gates(take(4 * H * nin), H * nin)
    params[[paste0("l", l, ".i2h.weight")]] <- mx.nd.array(matrix(w, nin, 4 * H))
    w <- gates(take(4 * H * H), H * H)
    params[[paste0("l", l, ".h2h.weight")]] <- mx.nd.array(matrix(w, H, 4 * H))
  }
  for (l in seq_len(layers)) {
    params[[paste0("l", l, ".i2h.bias")]] <- mx.nd.array(gates(take(4 * H), H))
    params[[paste0("l", l, ".h2h.bias")]] <- mx.nd.array(gates(take(4 * H), H))
  }
  shared <- list(embed.weight = mx.nd.array(matrix(runif(E * V), E, V)),
                 cls.weight = mx.nd.array(matrix(runif(H * V, -1, 1), H, V)),
                 cls.bias = mx.nd.array(runif(V)))
  x <- matrix(sample(0:5, L * B, TRUE), L, B)
  it <- mx.io.bucket.iter(list("5" = list(data = x, label = x)), batch.size = B)
  out.f <- mx.infer.rnn.one(it, fused, c(shared, rnn.params.weight = mx.nd.array(flat)),
                            list())
  out.u <- mx.infer.rnn.one.unroll(mx.nd.array(x), unroll, num_hidden = H,
                                   arg.params = c(shared, params), aux.params = list())
  expect_equal(as.array(out.f[[1]]), as.array(out.u[[1]]), tolerance = 1e-5)
})

test_that("an LSTM learns to copy its input with mx.model.buckets (loss falls)", {
  mx.set.seed(0)
  set.seed(4)
  mk <- function(L, n) {
    d <- matrix(sample(1:4, L * n, TRUE), L, n)
    list(data = d, label = d)
  }
  b <- list("4" = mk(4, 64), "7" = mk(7, 48))
  it <- mx.io.bucket.iter(b, batch.size = 16, shuffle = TRUE)
  syms <- lapply(c(4, 7), function(L) {
    rnn.graph.unroll(num_rnn_layer = 1, seq_len = L, input_size = 5, num_embed = 8,
                     num_hidden = 16, num_decode = 5, loss_output = "softmax",
                     config = "one-to-one", cell_type = "lstm")
  })
  names(syms) <- names(b)
  logger <- mx.metric.logger()
  expect_message(
    model <- mx.model.buckets(syms, it, eval.data = it, num.round = 12,
                              metric = mx.metric.Perplexity,
                              initializer = mx.init.Xavier(),
                              optimizer = mx.opt.create("adam", learning.rate = 0.02,
                                                        rescale.grad = 1 / 16),
                              epoch.end.callback = mx.callback.log.train.metric(1, logger)),
    "Start training with 1 devices")
  expect_length(logger$train, 12)
  if (nzchar(Sys.getenv("MXNET_RNN_PARITY_PRINT"))) print(rbind(logger$train, logger$eval))
  # a uniform guess over 5 symbols has perplexity 5; copying is perplexity 1
  expect_gt(logger$train[[1]], 2)
  expect_lt(tail(logger$eval, 1), 1.5)
  expect_lt(tail(logger$train, 1), logger$train[[1]] / 2)
  # predictions through mx.infer.rnn on the bucket of the model's symbol (the first batch's,
  # as the real package): one row per step of every sample, padding removed (64 = 4 x 16)
  fits4 <- !is.null(tryCatch(mx.symbol.infer.shape(model$symbol, data = c(4, 16),
                                                   label = c(4, 16)),
                             error = function(e) NULL))
  L <- if (fits4) 4 else 7
  it4 <- mx.io.bucket.iter(stats::setNames(list(mk(L, 30)), L), batch.size = 16)
  pred <- as.array(mx.infer.rnn(it4, model))
  expect_equal(dim(pred), c(5, L * 30))
  expect_gt(mean(max.col(t(pred)) - 1 == as.vector(it4$buckets[[1]]$data)), 0.95)
  # and the model saves and loads with its parameter names
  prefix <- file.path(tempdir(), "rnn-copy")
  mx.model.save(model, prefix, 12)
  back <- mx.model.load(prefix, 12)
  expect_setequal(names(back$arg.params), names(model$arg.params))
  expect_equal(as.array(mx.infer.rnn(it4, back)), pred, tolerance = 1e-6)
})

test_that("mx.model.buckets gives callbacks the loop's environment", {
  b <- toy_buckets()
  b[["5"]]$label <- b[["5"]]$data
  b[["3"]]$label <- b[["3"]]$data
  it <- mx.io.bucket.iter(b, batch.size = 4)
  sym <- function(L) rnn.graph.unroll(num_rnn_layer = 1, seq_len = L, input_size = 5,
                                      num_embed = 2, num_hidden = 3, num_decode = 5,
                                      loss_output = "softmax", config = "one-to-one")
  seen <- new.env()
  seen$batches <- 0
  batch.cb <- function(iteration, nbatch, env, verbose = TRUE) {
    seen$batches <- seen$batches + 1
    seen$metric.ok <- !is.null(env$metric$get(env$train.metric)$value)
    TRUE
  }
  epoch.cb <- function(iteration, nbatch, env, verbose = TRUE) {
    seen$model <- env$model
    FALSE   # stop after the first epoch
  }
  m <- mx.model.buckets(list("3" = sym(3), "5" = sym(5)), it, num.round = 5,
                        metric = mx.metric.Perplexity, optimizer = "sgd",
                        batch.end.callback = batch.cb, epoch.end.callback = epoch.cb,
                        verbose = FALSE)
  expect_equal(seen$batches, 5)
  expect_true(seen$metric.ok)
  expect_s3_class(seen$model, "MXFeedForwardModel")
  expect_true("l1.i2h.weight" %in% names(m$arg.params))
})

test_that("the RNN functions refuse bad input with clear errors", {
  expect_error(rnn.graph.unroll(num_rnn_layer = 1, seq_len = 3, num_hidden = 4,
                                num_decode = 2, config = "one-to-one", cell_type = "rnn"),
               "rnn.graph.unroll: cell_type must be \"lstm\" or \"gru\", got \"rnn\"")
  expect_error(rnn.graph.unroll(num_rnn_layer = 1, seq_len = 3, num_hidden = 4,
                                num_decode = 2, config = "many-to-many"),
               "rnn.graph.unroll: config must be")
  expect_error(rnn.graph(num_rnn_layer = 1, num_hidden = 4, num_decode = 2,
                         config = "one-to-one", cell_type = "lstm", loss_output = "hinge"),
               "rnn.graph: loss_output must be")
  expect_error(rnn.graph.unroll(num_rnn_layer = 0, seq_len = 3, num_hidden = 4,
                                num_decode = 2, config = "one-to-one"),
               "rnn.graph.unroll: num_rnn_layer must be a positive integer")
  expect_error(rnn.graph.unroll(num_rnn_layer = 1, seq_len = 3, num_hidden = 4, num_embed = 2,
                                num_decode = 2, config = "one-to-one"),
               "input_size")
  sym <- rnn.graph.unroll(num_rnn_layer = 1, seq_len = 3, input_size = 5, num_embed = 2,
                          num_hidden = 3, num_decode = 5, loss_output = "softmax",
                          config = "one-to-one")
  expect_error(mx.model.buckets(sym, train.data = matrix(1:6, 3)),
               "mx.model.buckets: train.data must be a bucket iterator")
  expect_error(mx.io.bucket.iter(list(list(data = matrix(1:6, 3), label = 1:2)), 2),
               "mx.io.bucket.iter: buckets must be a named list")
  expect_error(mx.io.bucket.iter(list(abc = list(data = matrix(1:6, 3), label = 1:2)), 2),
               "bucket name 'abc'")
  expect_error(mx.io.bucket.iter(list("3" = list(data = matrix(1:6, 3), label = 1:3)), 2),
               "label must be numeric with one value")
  expect_error(mx.io.bucket.iter(list("3" = list(data = matrix(1:6, 3), label = 1:2)), 0),
               "mx.io.bucket.iter: batch.size must be a positive integer")
  it <- mx.io.bucket.iter(list("3" = list(data = matrix(1:6, 3), label = matrix(1:6, 3))), 2)
  expect_error(mx.model.buckets(list("4" = sym), it),
               "mx.model.buckets: symbol is a list without an element for bucket '3'")
  expect_error(mx.model.buckets(sym, it, optimizer = 3),
               "mx.model.buckets: optimizer must be")
  expect_error(mx.model.buckets(sym, it, ctx = list(mx.cpu(), mx.cpu())),
               "more than one device")
  expect_error(mx.infer.rnn.one.unroll(matrix(1:3), sym, 3, list(), list()),
               "mx.infer.rnn.one.unroll: infer.data must be an MXNDArray")
})

test_that("rnn.graph's output with MXNet's initial parameters is MXNet's (first batch)", {
  skip_if(!have_op("RNN"), "RNN not in the engine yet")
  path <- file.path(rnn_fixtures(), "train-rnn-rpkg.nd")
  skip_if(!file.exists(path), "train-rnn-rpkg fixture not found")
  nd <- mx.nd.load(path)
  key <- function(k) nd[[paste0("fused-lstm:", k)]]
  init <- nd[startsWith(names(nd), "fused-lstm:init:")]
  names(init) <- sub("^fused-lstm:init:", "", names(init))
  data <- as.array(key("bucket3:data"))[, 1:4]
  label <- as.array(key("bucket3:label"))[, 1:4]
  it <- mx.io.bucket.iter(list("3" = list(data = data, label = label)), batch.size = 4)
  sym <- rnn.graph(num_rnn_layer = 2, input_size = 6, num_embed = 3, num_hidden = 4,
                   num_decode = 6, loss_output = "softmax", config = "one-to-one",
                   cell_type = "lstm")
  out <- mx.infer.rnn.one(it, sym, init, list())
  want <- as.array(key("infer:output"))
  expect_lt(rel2(as.array(out[[1]]), want), 1e-5)
})

test_that("rnn.graph.unroll's GRU is the real package's GRU step, computed in R", {
  H <- 3; F <- 2; B <- 2; L <- 2
  s <- rnn.graph.unroll(num_rnn_layer = 1, seq_len = L, num_hidden = H, num_decode = 1,
                        config = "one-to-one", cell_type = "gru")
  set.seed(9)
  w <- function(nin, nout) matrix(runif(nin * nout, -1, 1), nin, nout)   # R dim c(in, out)
  p <- list(l1.gates.i2h.weight = w(F, 2 * H), l1.gates.i2h.bias = runif(2 * H),
            l1.gates.h2h.weight = w(H, 2 * H), l1.gates.h2h.bias = runif(2 * H),
            l1.trans.i2h.weight = w(F, H), l1.trans.i2h.bias = runif(H),
            l1.trans.h2h.weight = w(H, H), l1.trans.h2h.bias = runif(H))
  x <- array(runif(F * L * B, -1, 1), c(F, L, B))
  sh <- mx.symbol.infer.shape(s, data = c(F, L, B))
  expect_equal(sh$out.shapes[[1]], c(H, L, B))
  ex <- mxnet:::.mx.rnn.bind(s, list(data = mx.nd.array(x)), lapply(p, mx.nd.array), list(),
                             mx.cpu(), "test")
  mx.exec.forward(ex, is.train = FALSE)
  got <- as.array(ex$ref.outputs[[1]])
  sig <- function(v) 1 / (1 + exp(-v))
  fc <- function(W, b, v) as.vector(t(W) %*% v) + b
  for (b in seq_len(B)) {
    h <- NULL
    for (t in seq_len(L)) {
      g <- fc(p$l1.gates.i2h.weight, p$l1.gates.i2h.bias, x[, t, b])
      if (!is.null(h)) g <- g + fc(p$l1.gates.h2h.weight, p$l1.gates.h2h.bias, h)
      z <- sig(g[1:H]); r <- sig(g[H + 1:H])
      hr <- if (is.null(h)) rep(0, H) else h * r
      n <- tanh(fc(p$l1.trans.i2h.weight, p$l1.trans.i2h.bias, x[, t, b]) +
                  fc(p$l1.trans.h2h.weight, p$l1.trans.h2h.bias, hr))
      h <- if (is.null(h)) z * n else h + z * (n - h)
      expect_equal(got[, t, b], h, tolerance = 1e-5)
    }
  }
})

test_that("predict of a seq-to-one model from mx.model.buckets equals mx.infer.rnn", {
  set.seed(1)
  d <- matrix(sample(1:4, 5 * 40, TRUE), 5, 40)
  s <- rnn.graph.unroll(num_rnn_layer = 1, seq_len = 5, input_size = 5, num_embed = 4,
                        num_hidden = 8, num_decode = 2, loss_output = "softmax",
                        config = "seq-to-one")
  it <- mx.io.bucket.iter(list("5" = list(data = d, label = colSums(d) %% 2)),
                          batch.size = 16)
  m <- mx.model.buckets(s, it, num.round = 2, optimizer = "sgd", verbose = FALSE)
  p <- predict(m, d, array.layout = "colmajor")
  expect_equal(dim(p), c(2, 40))   # 48 positions in 3 batches, the 8 padded ones removed
  expect_equal(as.array(mx.infer.rnn(it, m)), p, tolerance = 1e-6)
})

test_that("mx.model.buckets takes an iterator written in R that gives R arrays", {
  Iter <- setRefClass("RnnTestIter", contains = "Rcpp_MXArrayDataIter",
                      fields = list(k = "numeric", x = "matrix"),
                      methods = list(
                        reset = function() k <<- 0,
                        iter.next = function() { k <<- k + 1; k <= 3 },
                        value = function() {
                          cols <- (k - 1) * 4 + 1:4
                          list(data = x[, cols], label = x[, cols])
                        },
                        num.pad = function() 0))
  set.seed(3)
  it <- Iter$new(k = 0, x = matrix(sample(1:4, 3 * 12, TRUE), 3, 12))
  s <- rnn.graph.unroll(num_rnn_layer = 1, seq_len = 3, input_size = 5, num_embed = 2,
                        num_hidden = 4, num_decode = 5, loss_output = "softmax",
                        config = "one-to-one")
  m <- mx.model.buckets(s, it, num.round = 2, metric = mx.metric.Perplexity,
                        optimizer = "sgd", verbose = FALSE)
  expect_setequal(names(m$arg.params), c("embed.weight", "l1.i2h.weight", "l1.i2h.bias",
                                         "l1.h2h.weight", "l1.h2h.bias", "cls.weight",
                                         "cls.bias"))
})
