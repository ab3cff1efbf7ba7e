# Contexts and the engine's random number generators.
context("contexts and random numbers")

test_that("contexts are lists of class MXContext as in the real package", {
  expect_identical(unclass(mx.cpu()), list(device = "cpu", device_id = 0L, device_typeid = 1L))
  expect_identical(unclass(mx.gpu(1)), list(device = "gpu", device_id = 1L, device_typeid = 2L))
  expect_true(is.mx.context(mx.cpu()))
  expect_false(is.mx.context(list(device = "cpu")))
  expect_identical(mx.ctx.default(), mx.cpu())
  old <- mx.ctx.default(mx.cpu(0))
  expect_identical(old, mx.cpu())
})

test_that("mx.set.seed makes draws repeat", {
  mx.set.seed(42)
  a <- as.array(mx.runif(5))
  mx.set.seed(42)
  b <- as.array(mx.runif(5))
  expect_identical(a, b)
  mx.set.seed(7)
  expect_false(identical(a, as.array(mx.runif(5))))
})

test_that("mx.runif and mx.rnorm: shape in R order, bounds and moments", {
  u <- mx.runif(c(200, 100), min = -2, max = 3)
  expect_identical(dim(u), c(200L, 100L))
  v <- as.array(u)
  expect_true(all(v >= -2 & v < 3))
  expect_equal(mean(v), 0.5, tolerance = 0.05)
  n <- as.array(mx.rnorm(30000, mean = 5, sd = 0.1))
  expect_equal(mean(n), 5, tolerance = 0.01)
  expect_equal(sd(n), 0.1, tolerance = 0.01)
  expect_error(mx.runif(3, min = "a"), "mx.runif only accept numeric min")
  expect_error(mx.rnorm(3, sd = "a"), "mx.rnorm only accept numeric sd")
})
