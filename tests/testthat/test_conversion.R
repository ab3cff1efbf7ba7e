# R <-> NDArray conversion and the dimension rule.
context("conversion")

test_that("R dim is the reversed engine shape and memory is not transposed", {
  x <- array(as.numeric(1:24), dim = c(4, 3, 2))
  nd <- mx.nd.array(x)
  expect_identical(dim(nd), c(4L, 3L, 2L))
  expect_equal(unlist(engine_shape(nd)), c(2, 3, 4))
  expect_identical(engine_flat(nd), as.vector(x))
  expect_identical(as.array(nd), x)
})

test_that("a 28x28x1xN array is engine shape (N, 1, 28, 28)", {
  x <- array(runif(28 * 28 * 3), dim = c(28, 28, 1, 3))
  nd <- mx.nd.array(x)
  expect_equal(unlist(engine_shape(nd)), c(3, 1, 28, 28))
  expect_equal(as.array(nd), x, tolerance = 1e-7)
})

test_that("vectors stay vectors, matrices stay matrices", {
  expect_null(dim(as.array(mx.nd.array(c(1.5, 2.5)))))
  expect_identical(dim(mx.nd.array(c(1.5, 2.5))), 2L)
  m <- matrix(as.numeric(1:6), 2, 3)
  expect_identical(as.array(mx.nd.array(m)), m)
  expect_identical(as.vector(mx.nd.array(m)), as.vector(m))
  expect_identical(length(mx.nd.array(m)), 6L)
  expect_identical(as.matrix(mx.nd.array(m)), m)
  expect_error(as.matrix(mx.nd.array(1:3)), "not two dimensional")
})

test_that("values are stored as float32", {
  x <- c(1 / 3, pi, -2.5e-8, 123456.789)
  expect_identical(as.array(mx.nd.array(x)), float32(x))
})

test_that("integer and logical arrays convert; NA becomes NaN", {
  i <- matrix(c(1L, NA, 3L, -4L), 2, 2)
  res <- as.array(mx.nd.array(i))
  expect_true(is.double(res))
  expect_identical(is.nan(res), is.na(i))
  expect_identical(res[!is.na(i)], as.double(i[!is.na(i)]))
  l <- c(TRUE, FALSE, NA)
  rl <- as.array(mx.nd.array(l))
  expect_identical(rl[1:2], c(1, 0))
  expect_true(is.nan(rl[3]))
  d <- c(1, NA, NaN, Inf, -Inf)
  rd <- as.array(mx.nd.array(d))
  expect_true(all(is.nan(rd[2:3])))
  expect_identical(rd[c(1, 4, 5)], d[c(1, 4, 5)])
})

test_that("empty and large arrays", {
  e <- mx.nd.array(numeric(0))
  expect_identical(length(e), 0L)
  expect_identical(as.array(e), numeric(0))
  x <- matrix(rnorm(500 * 300), 500, 300)
  expect_identical(as.array(mx.nd.array(x)), float32(x))
})

test_that("the ctx of an array, copyto and all.equal", {
  a <- mx.nd.array(1:3)
  expect_identical(ctx(a), mx.cpu())
  b <- mx.nd.copyto(a, mx.cpu())
  expect_equal(a, b)
  expect_equal(b, c(1, 2, 3))
  expect_false(isTRUE(all.equal(a, mx.nd.array(1:4))))
  expect_identical(as.array(mx.nd.array(a)), as.array(a))
})

test_that("c() of NDArrays is a list", {
  a <- mx.nd.array(1:2)
  b <- mx.nd.array(3:4)
  l <- c(a, b)
  expect_true(is.list(l))
  expect_length(l, 2)
  expect_true(all(vapply(l, is.mx.ndarray, TRUE)))
})
