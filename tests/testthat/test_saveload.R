# mx.nd.save / mx.nd.load: lists, names, bad files.
context("save and load")

test_that("a single array round-trips as a list of one", {
  f <- tempfile(fileext = ".params")
  on.exit(unlink(f))
  x <- matrix(runif(6), 2, 3)
  mx.nd.save(mx.nd.array(x), f)
  l <- mx.nd.load(f)
  expect_true(is.list(l))
  expect_length(l, 1)
  expect_true(is.mx.ndarray(l[[1]]))
  expect_equal(as.array(l[[1]]), float32(x))
})

test_that("named lists keep their names", {
  f <- tempfile(fileext = ".params")
  on.exit(unlink(f))
  a <- array(runif(24), dim = c(2, 3, 4))
  mx.nd.save(list(w = mx.nd.array(a), b = mx.nd.array(1:3)), f)
  l <- mx.nd.load(f)
  expect_identical(sort(names(l)), c("b", "w"))
  expect_equal(as.array(l$w), float32(a))
  expect_identical(as.array(l$b), c(1, 2, 3))
})

test_that("bad input is an R error", {
  expect_error(mx.nd.load("missing.file"), "mx.nd.load: cannot open file 'missing.file'")
  bad <- tempfile()
  on.exit(unlink(bad))
  writeBin(as.raw(c(1, 2, 3, 4, 5, 6, 7, 8, 9)), bad)
  expect_error(mx.nd.load(bad), "^mx.nd.load: ")
  expect_error(mx.nd.save(1:3, tempfile()), "mx.nd.save: ndarray must be an MXNDArray")
  expect_error(mx.nd.save(mx.nd.array(1), 3), "mx.nd.save: filename must be")
  expect_error(mx.nd.save(list(a = mx.nd.array(1), mx.nd.array(2)), tempfile()),
               "every element of the list is named or none")
})
