# R's garbage collector releases engine memory.
context("handles and garbage collection")

test_that("dropped NDArrays are released from the engine's handle table", {
  gc()
  before <- mxnet:::mx.internal.handle.count()
  keep <- lapply(1:50, function(i) mx.nd.ones(c(100, 10)) * i)
  held <- mxnet:::mx.internal.handle.count()
  expect_gte(held - before, 50)
  rm(keep)
  for (i in 1:500) b <- mx.nd.ones(c(10, 10)) + i
  invisible(gc())
  invisible(gc())
  after <- mxnet:::mx.internal.handle.count()
  expect_lte(after, before + 5)
})

test_that("copies of an R reference keep the array alive", {
  a <- mx.nd.array(1:3)
  b <- a
  rm(a)
  invisible(gc())
  expect_identical(as.array(b), c(1, 2, 3))
})
