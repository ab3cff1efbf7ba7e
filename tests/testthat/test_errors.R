# Bad input: an R error naming the function and the problem; the session goes on.
context("errors")

test_that("mx.nd.array rejects what is not numeric", {
  expect_error(mx.nd.array("a"), "mx.nd.array: src.array must be a numeric.*character")
  expect_error(mx.nd.array(list(1)), "mx.nd.array: src.array must be a numeric.*list")
  expect_error(mx.nd.array(data.frame(a = 1)), "mx.nd.array: .*data.frame")
  expect_error(mx.nd.array(factor("a")), "mx.nd.array: .*factor")
  expect_error(mx.nd.array(1:3, ctx = "cpu"), "mx.nd.array: ctx must be a context")
})

test_that("shapes must be non-negative integers", {
  expect_error(mx.nd.ones(c(-1, 2)), "mx.nd.ones: shape must be a vector of non-negative integers")
  expect_error(mx.nd.zeros(c(2.5, 2)), "mx.nd.zeros: shape must be")
  expect_error(mx.nd.zeros("a"), "mx.nd.zeros: shape must be")
  expect_error(mx.nd.ones(NA), "mx.nd.ones: shape must be")
})

test_that("contexts are validated", {
  expect_error(mx.cpu(-1), "mx.cpu: dev.id must be a non-negative integer")
  expect_error(mx.gpu("a"), "mx.gpu: dev.id")
  expect_error(mx.ctx.default("gpu"), "mx.ctx.default: new must be a context")
  expect_error(ctx(1:3), "ctx: nd must be an MXNDArray")
  expect_error(mx.nd.copyto(mx.nd.array(1), "cpu"), "mx.nd.copyto: ctx must be")
})

test_that("engine errors reach R without a Python traceback", {
  msg <- tryCatch(mx.nd.reshape(mx.nd.array(1:6), shape = c(4, 4)),
                  error = function(e) conditionMessage(e))
  expect_match(msg, "^mx.nd.reshape: ")
  expect_false(grepl("Traceback", msg))
  expect_error(mxnet:::.mx.method("m", mx.nd.array(1), "no_such_method"), "AttributeError")
})

test_that("the session continues after errors", {
  for (i in 1:20) try(mx.nd.array("a"), silent = TRUE)
  expect_identical(as.array(mx.nd.ones(2) + 1), c(2, 2))
})
