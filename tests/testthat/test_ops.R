# Ops and Math group generics against R's own arithmetic.
context("operators")

x <- matrix(runif(12, 0.5, 10), 3, 4)
y <- matrix(runif(12, 0.5, 10), 3, 4)
nx <- mx.nd.array(x)
ny <- mx.nd.array(y)
fx <- float32(x)
fy <- float32(y)

test_that("arithmetic between arrays matches R", {
  expect_equal(as.array(nx + ny), fx + fy, tolerance = 1e-6)
  expect_equal(as.array(nx - ny), fx - fy, tolerance = 1e-6)
  expect_equal(as.array(nx * ny), fx * fy, tolerance = 1e-6)
  expect_equal(as.array(nx / ny), fx / fy, tolerance = 1e-6)
  expect_equal(as.array(nx ^ ny), fx ^ fy, tolerance = 1e-5)
  expect_equal(as.array(nx %% ny), fx %% fy, tolerance = 1e-5)
})

test_that("a scalar on either side", {
  for (s in c(2, -3.5, 0.25)) {
    expect_equal(as.array(nx + s), fx + s, tolerance = 1e-6)
    expect_equal(as.array(s + nx), s + fx, tolerance = 1e-6)
    expect_equal(as.array(nx - s), fx - s, tolerance = 1e-6)
    expect_equal(as.array(s - nx), s - fx, tolerance = 1e-6)
    expect_equal(as.array(nx * s), fx * s, tolerance = 1e-6)
    expect_equal(as.array(s * nx), s * fx, tolerance = 1e-6)
    expect_equal(as.array(nx / s), fx / s, tolerance = 1e-6)
    expect_equal(as.array(s / nx), s / fx, tolerance = 1e-6)
    expect_equal(as.array(nx %% s), fx %% s, tolerance = 1e-5)
    expect_equal(as.array(s %% nx), s %% fx, tolerance = 1e-5)
  }
  expect_equal(as.array(nx ^ 2), fx ^ 2, tolerance = 1e-6)
  expect_equal(as.array(2 ^ nx), 2 ^ fx, tolerance = 1e-6)
  expect_equal(as.array(nx + 2L), fx + 2L, tolerance = 1e-6)
})

test_that("unary minus and plus", {
  expect_equal(as.array(-nx), -fx)
  expect_equal(as.array(+nx), fx)
})

test_that("comparisons give 0/1 like R's logicals", {
  a <- matrix(c(1, 2, 3, 4, 5, 6), 2, 3)
  b <- matrix(c(6, 2, 4, 3, 5, 1), 2, 3)
  na <- mx.nd.array(a)
  nb <- mx.nd.array(b)
  for (op in c("==", "!=", "<", ">", "<=", ">=")) {
    f <- match.fun(op)
    expect_identical(as.array(f(na, nb)), f(a, b) + 0, info = op)
    expect_identical(as.array(f(na, 3)), f(a, 3) + 0, info = op)
    expect_identical(as.array(f(3, na)), f(3, a) + 0, info = op)
  }
})

test_that("Math group generic", {
  expect_equal(as.array(sqrt(nx)), sqrt(fx), tolerance = 1e-6)
  expect_equal(as.array(exp(nx / 10)), exp(fx / 10), tolerance = 1e-6)
  expect_equal(as.array(abs(-nx)), fx)
  expect_equal(as.array(floor(nx)), floor(fx))
  expect_equal(as.array(ceiling(nx)), ceiling(fx))
})

test_that("arrays of different shapes are an R error", {
  a <- mx.nd.ones(c(2, 3))
  b <- mx.nd.ones(c(2, 2))
  expect_error(a + b, "Ops.MXNDArray: `\\+`: the operands' dimensions differ: c\\(2, 3\\) and c\\(2, 2\\)")
  expect_error(a * mx.nd.ones(c(3, 2)), "dimensions differ")
  expect_error(a + 1:3, "numeric scalar operands")
  expect_error(a + "x", "numeric scalar operands")
  expect_error(a %/% 2, "not supported")
})
