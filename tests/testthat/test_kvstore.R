context("kvstore")

test_that("demo/basic_kvstore.R: pushes from three devices are summed, pulled into each", {
  kv <- mx.kv.create()
  dlist <- lapply(1:3, function(i) {
    x <- as.array(c(i, i + 1))
    mat <- mx.nd.array(x, mx.cpu(i))
    list(x = mat)
  })
  kv$init(c(0), dlist[[1]])
  kv$push(c(0), dlist, 0)
  kv$pull(c(0), dlist, 0)
  # the demo prints 6 9: (1 + 2 + 3, 2 + 3 + 4)
  expect_equal(as.array(dlist[[1]][[1]]), c(1 + 2 + 3, 2 + 3 + 4))
  for (l in dlist) expect_equal(as.array(l[[1]]), c(6, 9))
  expect_equal(kv$type, "local")
  expect_true(kv$update.on.kvstore)
  expect_equal(kv$num.workers, 1)
  expect_equal(kv$rank, 0)
  expect_output(print(kv), "MXKVStore \\(type local\\)")
  expect_false(mx.kv.create("local_allreduce_cpu")$update.on.kvstore)
  expect_equal(mx.kv.create("Device")$type, "device")
})

test_that("several keys, several devices, R dimensions kept", {
  kv <- mx.kv.create("local")
  a <- array(as.numeric(1:6), dim = c(2, 3))
  b <- array(as.numeric(1:4), dim = c(4, 1))
  kv$init(c(1, 2), list(mx.nd.array(a), mx.nd.array(b)))
  dev <- lapply(0:1, function(d) {
    list(mx.nd.array(a * (d + 1), mx.cpu(d)), mx.nd.array(b - d, mx.cpu(d)))
  })
  kv$push(c(1, 2), dev, c(0, -1))
  outs <- list(list(mx.nd.zeros(c(2, 3)), mx.nd.zeros(c(4, 1))),
               list(mx.nd.zeros(c(2, 3)), mx.nd.zeros(c(4, 1))))
  kv$pull(c(1, 2), outs)
  for (o in outs) {
    expect_equal(as.array(o[[1]]), a + 2 * a)
    expect_equal(as.array(o[[2]]), array(b + (b - 1), dim = c(4, 1)))
  }
  # without an optimizer the store keeps the last sum, not an accumulation
  kv$push(c(1), list(list(mx.nd.array(a))))
  kv$pull(c(1), list(list(outs[[1]][[1]])))
  expect_equal(as.array(outs[[1]][[1]]), a)
})

test_that("set.optimizer: each push runs the optimizer on the summed gradient", {
  w0 <- array(c(0.5, -1, 2, 0.25, 1.5, -0.75), dim = c(3, 2))
  g1 <- array(c(1, 2, 3, -1, -2, -3), dim = c(3, 2))
  g2 <- array(c(0.5, 0.5, -0.5, 1, 0, 2), dim = c(3, 2))
  lr <- 0.1; momentum <- 0.9; wd <- 0.01; rescale <- 0.5
  kv <- mx.kv.create("local")
  kv$set.optimizer(mx.opt.create("sgd", learning.rate = lr, momentum = momentum, wd = wd,
                                 rescale.grad = rescale))
  kv$init(c(7), list(mx.nd.array(w0)))
  w <- w0
  mom <- 0 * w0
  out <- mx.nd.zeros(c(3, 2))
  for (step in 1:3) {
    kv$push(c(7), list(list(mx.nd.array(g1 * step)), list(mx.nd.array(g2))), c(0))
    kv$pull(c(7), list(list(out)))
    # MXNet's SGD with momentum, computed here in R
    mom <- momentum * mom - lr * (rescale * (g1 * step + g2) + wd * w)
    w <- w + mom
    expect_equal(as.array(out), w, tolerance = 1e-6)
  }
})

test_that("FeedForward.create with a kvstore gives the parameters of local updates", {
  set.seed(3)
  x <- matrix(rnorm(2 * 60), nrow = 2)
  y <- as.numeric(x[1, ] + x[2, ] > 0)
  net <- mx.symbol.SoftmaxOutput(
    mx.symbol.FullyConnected(
      mx.symbol.Activation(mx.symbol.FullyConnected(mx.symbol.Variable("data"),
                                                    num_hidden = 5, name = "fc1"),
                           act_type = "tanh"),
      num_hidden = 2, name = "fc2"))
  fit <- function(kvstore) {
    mx.set.seed(0)
    m <- mx.model.FeedForward.create(net, X = x, y = y, array.layout = "colmajor",
                                     num.round = 3, array.batch.size = 20,
                                     learning.rate = 0.1, momentum = 0.9, wd = 0.001,
                                     initializer = mx.init.Xavier(), kvstore = kvstore,
                                     verbose = FALSE)
    lapply(m$arg.params, as.array)
  }
  local <- fit("local")
  on.store <- mx.kv.create("local")
  expect_true(on.store$update.on.kvstore)
  updated.on.store <- fit(on.store)
  summed.on.store <- fit(mx.kv.create("local_allreduce_cpu"))
  expect_equal(names(updated.on.store), names(local))
  for (n in names(local)) {
    expect_equal(updated.on.store[[n]], local[[n]], tolerance = 1e-6)
    expect_equal(summed.on.store[[n]], local[[n]], tolerance = 1e-6)
  }
  # the stores were used: they hold the trained weights under the parameters' names (as
  # MXNet's Module keys them), so R's integer keys are refused on them
  out <- mx.nd.zeros(dim(local$fc2_weight))
  mxnet:::.mx.method("pull", on.store, "pull", list("fc2_weight", out))
  expect_equal(as.array(out), local$fc2_weight, tolerance = 1e-6)
  expect_error(on.store$pull(c(0), list(list(out))), "Mixed key types are not allowed")
  expect_error(fit(3), "mx.model.FeedForward.create: kvstore must be either MXKVStore or a string")
  expect_error(fit("dist_sync"), "distributed kvstore type")
})

test_that("kvstore bad input: clear errors naming the method and the argument", {
  kv <- mx.kv.create()
  w <- mx.nd.ones(c(2, 3))
  kv$init(c(1), list(w))
  expect_error(mx.kv.create(1), "mx.kv.create: type must be a single string")
  expect_error(mx.kv.create("dist_sync"), "'dist_sync' is a distributed kvstore type")
  expect_error(mx.kv.create("nonesuch"), "unknown kvstore type 'nonesuch'")
  expect_error(kv$init(c(1), list(w)), "MXKVStore\\$init: .*duplicate init of key 1")
  expect_error(kv$init(c(2, 3), list(w)),
               "MXKVStore\\$init: The length of keys should be same as length of weights")
  expect_error(kv$init(c(2), w), "MXKVStore\\$init: weights must be a list of MXNDArray")
  expect_error(kv$init("a", list(w)), "MXKVStore\\$init: keys must be a vector of integers")
  expect_error(kv$init(c(1.5), list(w)), "keys must be a vector of integers")
  expect_error(kv$pull(c(5), list(list(w))), "MXKVStore\\$pull: .*key 5 has not been inited")
  expect_error(kv$push(c(1), list(w)), "Expect weight_lists to be list\\(list\\(ndarray\\)\\)")
  expect_error(kv$push(c(1), list(list(w, w))),
               "Expect length of keys to be same as each weight_lists")
  expect_error(kv$push(c(1), list(list(2))), "each element of weight_lists must be an MXNDArray")
  expect_error(kv$push(c(1), list(list(mx.nd.ones(c(3, 2))))),
               "MXKVStore\\$push: .*operands shape mismatch")
  expect_error(kv$pull(c(1), list(list(mx.nd.zeros(c(3, 3))))),
               "MXKVStore\\$pull: .*operands shape mismatch")
  expect_error(kv$pull(c(1), list(list(w)), c(1, 2)),
               "The length of keys should be same as length of priority")
  expect_error(kv$pull(c(1), list(list(w)), "high"), "MXKVStore\\$pull: priority must be integers")
  expect_error(kv$set.optimizer("sgd"), "MXKVStore\\$set.optimizer: optimizer must be made by")
  expect_error(kv$nonesuch, "MXKVStore has no member 'nonesuch'")
})
