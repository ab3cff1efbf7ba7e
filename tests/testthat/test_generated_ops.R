# The generated mx.nd.<op> wrappers: naming, arguments, parameters, outputs.
context("generated operators")

test_that("mx.nd.dot matches the real package's convention", {
  a <- matrix(runif(12), nrow = 3)
  b <- matrix(runif(20), nrow = 4)
  C <- mx.nd.dot(mx.nd.array(t(a)), mx.nd.array(t(b)))
  expect_equal(t(as.matrix(C)), a %*% b, tolerance = 1e-6)
})

test_that("inputs and parameters by position, by name and with dotted names", {
  x <- runif(10, -10, 10)
  nd <- mx.nd.array(x)
  expect_equal(as.array(mx.nd.clip(nd, -2, 3)), pmin(pmax(float32(x), -2), 3))
  expect_equal(as.array(mx.nd.clip(data = nd, a_max = 3, a_min = -2)),
               pmin(pmax(float32(x), -2), 3))
  expect_equal(as.array(mx.nd.clip(nd, a.min = -1, a.max = 1)), pmin(pmax(float32(x), -1), 1))
})

test_that("vector parameters are reversed into engine order, single values are not", {
  x <- array(as.numeric(1:24), dim = c(4, 3, 2))
  nd <- mx.nd.array(x)
  r <- mx.nd.reshape(nd, shape = c(6, 4))
  expect_identical(dim(r), c(6L, 4L))
  expect_identical(as.array(r), array(as.numeric(1:24), dim = c(6, 4)))
  # axis is in engine order: engine axis 0 is R's last dimension
  s <- mx.nd.sum(nd, axis = 0)
  expect_equal(as.array(s), apply(x, c(1, 2), sum))
})

test_that("concat takes a list of arrays (c() of NDArrays) with dim in engine order", {
  x1 <- array(1:24, dim = c(4, 3, 2))
  x2 <- array(25:48, dim = c(4, 3, 2))
  y <- mx.nd.concat(data = c(mx.nd.array(x1), mx.nd.array(x2)), num_args = 2, dim = 2)
  expect_identical(dim(y), c(8L, 3L, 2L))
  expected <- array(0, dim = c(8, 3, 2))
  expected[1:4, , ] <- x1
  expected[5:8, , ] <- x2
  expect_identical(as.array(y), expected)
  z <- mx.nd.concat(list(mx.nd.array(1:2), mx.nd.array(3:5)), dim = 0)
  expect_identical(as.array(z), as.numeric(1:5))
})

test_that("out= writes into an existing array and returns it", {
  a <- mx.nd.array(c(1, 4, 9))
  o <- mx.nd.zeros(3)
  r <- mx.nd.sqrt(a, out = o)
  expect_identical(as.array(o), c(1, 2, 3))
  expect_identical(as.array(r), c(1, 2, 3))
})

test_that("internal operators are in mxnet::: and not exported", {
  expect_true(exists("mx.nd.internal.plus.scalar", envir = asNamespace("mxnet")))
  expect_false("mx.nd.internal.plus.scalar" %in% getNamespaceExports("mxnet"))
  f <- get("mx.nd.internal.plus.scalar", envir = asNamespace("mxnet"))
  expect_identical(as.array(f(mx.nd.array(1:3), scalar = 2)), c(3, 4, 5))
})

test_that("every wrapper has formals inputs, parameters, ..., out", {
  f <- formals(mx.nd.clip)
  expect_identical(names(f), c("data", "a_min", "a_max", "...", "out"))
})

test_that("operator errors name the R function", {
  nd <- mx.nd.array(1:3)
  expect_error(mx.nd.clip(nd, a_min = 0, a_max = 1, foo = 2),
               "mx.nd.clip: unknown parameter 'foo'")
  expect_error(mx.nd.clip(nd, a_min = "a", a_max = 1), "mx.nd.clip: .*a_min")
  expect_error(mx.nd.clip(1:3, 0, 1), "mx.nd.clip: input 'data' must be an MXNDArray")
  expect_error(mx.nd.dot(nd), "mx.nd.dot: .*rhs")
  expect_error(mx.nd.clip(nd, 0, 1, 5), "too many positional")
})
