# mx.nd.copyto always makes an array with its own memory, also onto the array's own
# context (as MXNet's NDArray.copyto); as_in_context onto the same context is the array itself.
context("copyto")

test_that("writing into mx.nd.copyto's result leaves the source untouched", {
  x <- mx.nd.array(array(as.numeric(1:6), dim = c(2, 3)))
  y <- mx.nd.copyto(x, mx.cpu())
  expect_equal(as.array(y), as.array(x))
  mxnet:::.mx.nd.invoke("_plus_scalar", "test", list(data = y), list(scalar = 10), out = y)
  expect_equal(as.array(y), array(as.numeric(1:6) + 10, dim = c(2, 3)))
  expect_equal(as.array(x), array(as.numeric(1:6), dim = c(2, 3)))
  z <- mx.nd.array(x)   # mx.nd.array of an MXNDArray copies through mx.nd.copyto
  mxnet:::.mx.nd.invoke("_plus_scalar", "test", list(data = z), list(scalar = 1), out = z)
  expect_equal(as.array(x), array(as.numeric(1:6), dim = c(2, 3)))
})

test_that("an executor bound to a copy does not write into the original", {
  w0 <- mx.nd.array(matrix(as.numeric(1:6), 3, 2))
  sym <- mx.symbol.identity(mx.symbol.Variable("w"))
  ex <- mxnet:::mx.symbol.bind(sym, mx.cpu(), list(w = mx.nd.copyto(w0, mx.cpu())), list(), "null")
  mx.exec.update.arg.arrays(ex, list(w = mx.nd.zeros(c(3, 2))), match.name = TRUE)
  mx.exec.forward(ex, is.train = FALSE)
  expect_equal(as.array(ex$outputs[[1]]), matrix(0, 3, 2))
  expect_equal(as.array(w0), matrix(as.numeric(1:6), 3, 2))
})

test_that("as_in_context onto the array's own context returns the same array", {
  x <- mx.nd.array(c(1, 2, 3))
  y <- mxnet:::.mx.method("as_in_context", x, "as_in_context", list(mx.cpu()))
  expect_true(mxnet:::.mx.py("test", "operator.is_", list(x, y)))
  mxnet:::.mx.nd.invoke("_plus_scalar", "test", list(data = y), list(scalar = 1), out = y)
  expect_equal(as.array(x), c(2, 3, 4))
  expect_false(mxnet:::.mx.py("test", "operator.is_", list(x, mx.nd.copyto(x, mx.cpu()))))
})

test_that("mx.nd.copyto checks its arguments", {
  expect_error(mx.nd.copyto(1:3, mx.cpu()), "mx.nd.copyto: src must be an MXNDArray")
  expect_error(mx.nd.copyto(mx.nd.ones(2), "cpu"), "mx.nd.copyto: ctx must be a context")
})
