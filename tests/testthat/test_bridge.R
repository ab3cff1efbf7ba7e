# The bridge itself: generic calls, R callbacks from the engine, warnings.
context("bridge")

test_that("generic calls convert arguments and results", {
  expect_identical(mxnet:::mx.internal.call("builtins.len", list(1, 2, 3)), 3L)
  expect_identical(mxnet:::mx.internal.call("builtins.max", 3, 7.5), 7.5)
  expect_identical(mxnet:::mx.internal.call("builtins.str", "abc"), "abc")
  expect_null(mxnet:::mx.internal.call("builtins.print", "", end = ""))
  nd <- mxnet:::mx.internal.call("pybridge.ndarray.ones", list(3L, 2L))
  expect_true(is.mx.ndarray(nd))
  expect_identical(dim(nd), c(2L, 3L))
  expect_error(mxnet:::mx.internal.call("no.such.module.f"), "ModuleNotFoundError")
})

test_that("the engine calls R functions (callbacks)", {
  add <- function(a, b) a + b
  expect_identical(mxnet:::mx.internal.call("functools.reduce", add, list(1, 2, 3)), 6)
  # NDArrays travel both ways: R's Ops run inside a callback
  s <- mxnet:::mx.internal.call("functools.reduce", add, list(mx.nd.array(1:3), mx.nd.array(4:6)))
  expect_true(is.mx.ndarray(s))
  expect_identical(as.array(s), c(5, 7, 9))
  calls <- 0
  counter <- function(x) { calls <<- calls + 1; x * 2 }
  expect_identical(mxnet:::mx.internal.call("builtins.list", mxnet:::mx.internal.call("builtins.map", counter,
                                                                       list(1, 2))), c(2, 4))
  expect_identical(calls, 2)
})

test_that("an R error in a callback is an R error of the caller", {
  bad <- function(a, b) stop("boom in R")
  expect_error(mxnet:::mx.internal.call("functools.reduce", bad, list(1, 2)),
               "mx.internal.call: .*error in R callback: boom in R")
  expect_identical(as.array(mx.nd.ones(1)), 1)
})

test_that("Python warnings become R warnings", {
  expect_warning(mxnet:::mx.internal.call("warnings.warn", "careful with that"),
                 "mx.internal.call: careful with that")
})

test_that("operators give the same values on the fast path and the general one", {
  x <- matrix(c(1.5, -2, 3.25, 4, -5.5, 6), 2, 3)
  a <- mx.nd.array(x)
  # MXNDArray <op> double scalar and MXNDArray <op> MXNDArray take the fast path; a scalar
  # on the left, integer/logical scalars and unary minus take the general one
  expect_equal(as.array(a * 2 + 1), x * 2 + 1)
  expect_equal(as.array(2 * a + 1), x * 2 + 1)
  expect_equal(as.array(a * 2L + TRUE), x * 2 + 1)
  expect_equal(as.array(a - a * 0.5), x / 2)
  expect_equal(as.array(-a), -x)
  expect_equal(as.array(a > 0), (x > 0) + 0)
  expect_true(all(is.nan(as.array(a * NA))))
  expect_error(a + mx.nd.ones(c(3, 2)), "Ops.MXNDArray: `\\+`: the operands' dimensions differ")
})

test_that("an MXNDArray restored from a serialized session is a clear error", {
  a <- mx.nd.ones(c(2, 3))
  b <- unserialize(serialize(a, NULL))   # external pointers come back empty
  expect_error(b * 2, "Ops.MXNDArray: an operand is an MXNDArray that no longer exists")
  expect_error(a + b, "no longer exists")
  expect_error(as.array(b), "as.array.MXNDArray: the argument is an MXNDArray that no longer")
  expect_identical(as.array(a * 2), matrix(2, 2, 3))
})

test_that("operator entry refuses engine objects that are not arrays", {
  a <- mx.nd.ones(c(2, 3))
  s <- mx.symbol.Variable("x")
  ops <- function(e1, e2) mxnet:::.mx.check(.Call(mxnet:::.MXNetEnv$nd_ops, "*", e1, e2), "ops")
  expect_error(ops(a, s), "ops: `\\*`: .*got an R object of class MXSymbol")
  expect_error(ops(s, a), "got an R object of class MXSymbol")
  expect_error(ops(a, list(1)), "got an R list")
})
