# The NDArray slides of the deck, with expected values computed by R itself.
context("deck slides")

test_that("installation test slide: a * 2 + 1 prints as an R 2x3 matrix", {
  a <- mx.nd.ones(c(2, 3))
  b <- a * 2 + 1
  expect_identical(class(b), "MXNDArray")
  expect_identical(capture.output(print(b)), capture.output(print(matrix(1, 2, 3) * 2 + 1)))
  expect_identical(capture.output(b), capture.output(print(matrix(1, 2, 3) * 2 + 1)))
})

test_that("mx.nd.array(1:5) prints as an R vector and has class MXNDArray", {
  a <- mx.nd.array(1:5)
  expect_identical(capture.output(print(a)), capture.output(print(as.numeric(1:5))))
  expect_identical(class(a), "MXNDArray")
})

test_that("vectorization: a + 1/a", {
  x <- 1:5
  a <- mx.nd.array(x)
  b <- a + 1 / a
  expect_identical(class(b), "MXNDArray")
  expect_equal(as.array(b), x + 1 / x, tolerance = 1e-6)
  expect_identical(capture.output(b), capture.output(print(x + 1 / x)))
})

test_that("math: mx.nd.log(a + 10)", {
  x <- 1:5
  a <- mx.nd.array(x)
  expect_equal(as.array(mx.nd.log(a + 10)), log(x + 10), tolerance = 1e-6)
})

test_that("random sampling: mx.nd.random.normal(0, 1, 10)", {
  r <- mx.nd.random.normal(0, 1, 10)
  expect_identical(class(r), "MXNDArray")
  expect_identical(dim(r), 10L)
  v <- as.array(r)
  expect_true(is.numeric(v) && all(is.finite(v)) && length(unique(v)) == 10L)
  big <- as.array(mx.nd.random.normal(loc = 3, scale = 2, shape = 20000))
  expect_equal(mean(big), 3, tolerance = 0.05)
  expect_equal(sd(big), 2, tolerance = 0.05)
})

test_that("conversion slide: as.matrix(mx.nd.ones(c(2, 3)))", {
  a <- mx.nd.ones(c(2, 3))
  mat_a <- as.matrix(a)
  expect_identical(mat_a, matrix(1, 2, 3))
  expect_identical(class(a), "MXNDArray")
})

test_that("matrix multiplication slide: mx.nd.dot on an R matrix", {
  mat <- matrix(runif(30 * 30), 30, 30)
  a <- mx.nd.array(mat)
  res <- mx.nd.dot(a, a)
  res_mat <- as.matrix(res)
  expect_identical(class(res), "MXNDArray")
  expect_true(is.matrix(res_mat))
  # The engine holds t(mat); its dot is t(mat) %*% t(mat) = t(mat %*% mat), read by R as mat %*% mat.
  expect_equal(res_mat, mat %*% mat, tolerance = 1e-5)
})

test_that("GPU slide: mx.gpu() is a value; computing on it needs a GPU", {
  g <- mx.gpu()
  expect_true(is.mx.context(g))
  has_gpu <- tryCatch({ mx.nd.ones(1, ctx = g); TRUE }, error = function(e) FALSE)
  if (has_gpu) {
    b <- mx.nd.ones(c(3, 2), ctx = mx.gpu()) * 2 + 1
    expect_identical(as.array(b), matrix(3, 3, 2))
  } else {
    expect_error(mx.nd.ones(c(3, 2), ctx = mx.gpu()), "mx.nd.ones: no GPU available")
    expect_error(mx.nd.array(1:3, ctx = mx.gpu()), "no GPU available")
  }
})
