# `[`, `[<-`, Summary (sum, prod, max, min, range, all, any) and mean on MXNDArray, against
# R's own results on the same values as an R array.
context("ndarray subsetting and summaries")

# Integer values: exact in float32, so results compare exactly with R's.
int_array <- function(d) array(as.double(sample.int(1000L, prod(d)) - 500L), dim = d)

# b:e with 1 <= b <= e <= n, at random.
random_range <- function(n) {
  b <- sample.int(n, 1L)
  b:(b + sample.int(n - b + 1L, 1L) - 1L)
}

# One random R subscript for an extent n, of a random kind.
random_subscript <- function(n) {
  switch(sample.int(6L, 1L),
         quote(expr = ),                                     # missing: the whole extent
         random_range(n),                                     # contiguous range
         sample.int(n, 1L),                                   # one position
         sample.int(n, sample.int(n, 1L), replace = TRUE),    # any positions, repeats
         -sample.int(n, sample.int(n - 1L, 1L)),              # exclusions (never all)
         { l <- sample(c(TRUE, FALSE), n, replace = TRUE); l[sample.int(n, 1L)] <- TRUE; l })
}

# R keeps a 1-d array's dim; as.array of a 1-d MXNDArray is a plain vector (as.array's rule).
plain_1d <- function(v) {
  if (length(dim(v)) == 1L) dim(v) <- NULL
  v
}

# x[args, drop = drop] for an MXNDArray and for the R array, compared.
expect_subset_like_r <- function(x, a, args, drop = TRUE) {
  want <- plain_1d(do.call(`[`, c(list(a), args, list(drop = drop))))
  got <- do.call(`[`, c(list(x), args, list(drop = drop)))
  expect_true(is.mx.ndarray(got))
  expect_equal(as.array(got), want, info = paste(deparse(args), collapse = ""))
}

test_that("[ on 1-d, 2-d, 3-d and 4-d arrays matches R's [ (random subscripts)", {
  set.seed(11)
  for (d in list(7L, c(4L, 5L), c(3L, 4L, 5L), c(2L, 3L, 4L, 3L), c(1L, 3L, 1L, 2L))) {
    a <- int_array(d)
    x <- mx.nd.array(a)
    for (rep in 1:25) {
      args <- lapply(d, function(n) if (n == 1L) quote(expr = ) else random_subscript(n))
      expect_subset_like_r(x, a, args, drop = TRUE)
      expect_subset_like_r(x, a, args, drop = FALSE)
    }
  }
})

test_that("[ written out: ranges, exclusions, masks, drop", {
  a <- int_array(c(3L, 4L, 2L))
  x <- mx.nd.array(a)
  expect_equal(as.array(x[2, , ]), a[2, , ])
  expect_equal(as.array(x[, 2:4, 1]), a[, 2:4, 1])
  expect_equal(as.array(x[-1, c(4, 1), ]), a[-1, c(4, 1), ])
  expect_equal(as.array(x[c(TRUE, FALSE, TRUE), , 2]), a[c(TRUE, FALSE, TRUE), , 2])
  expect_equal(as.array(x[c(TRUE, FALSE), 1, ]), a[c(TRUE, FALSE), 1, ])   # recycled mask
  expect_equal(as.array(x[c(0, 2), 3, 2]), a[c(0, 2), 3, 2])
  expect_equal(as.array(x[2.7, 1, 1]), a[2.7, 1, 1])                       # truncated
  expect_equal(as.array(x[1, 1, 1, drop = FALSE]), a[1, 1, 1, drop = FALSE])
  expect_equal(as.array(x[-5, 1, ]), a[-5, 1, ])       # exclusions past the extent: none
  expect_equal(dim(x[integer(0), , , drop = FALSE]), c(0L, 4L, 2L))
  expect_equal(as.array(x[integer(0), 1, ]), a[integer(0), 1, ])
  expect_equal(as.array(x[]), a)
  i <- 2:3
  f <- function(k) x[k, i, ]
  expect_equal(as.array(f(1)), a[1, 2:3, ])
})

test_that("[ with one index reads the array in R's (column-major) order", {
  a <- int_array(c(3L, 4L, 2L))
  x <- mx.nd.array(a)
  for (i in list(5:11, c(24, 1, 7, 7), -(2:20), a > 0, 13)) {
    expect_equal(as.array(x[i]), a[i])
  }
})

test_that("[ keeps the dtype of the array", {
  x <- mx.nd.Cast(mx.nd.array(matrix(c(1.5, 2.5, 3.5, 4.5), 2)), dtype = "int32")
  expect_equal(as.array(x[2, ]), c(2, 4))
  expect_equal(as.array(x[c(2, 1), 2]), c(4, 3))
})

test_that("[ errors name [.MXNDArray", {
  x <- mx.nd.array(int_array(c(2L, 3L, 4L)))
  expect_error(x[3, , ], "\\[\\.MXNDArray: the index for dimension 1 is out of range: 3")
  expect_error(x[, , 1:5], "\\[\\.MXNDArray: the index for dimension 3 is out of range")
  expect_error(x[25], "\\[\\.MXNDArray: the index is out of range: 25")
  expect_error(x[1, 1], "\\[\\.MXNDArray: incorrect number of dimensions")
  expect_error(x[c(-1, 1), , ], "\\[\\.MXNDArray: .* mixes positive and negative")
  expect_error(x[NA, , ], "\\[\\.MXNDArray: .* contains NA")
  expect_error(x[c(TRUE, FALSE, TRUE), , ], "\\[\\.MXNDArray: .* logical subscript of length 3")
  expect_error(x["a", , ], "\\[\\.MXNDArray: .* must be numeric or logical, got character")
  expect_error(x[x > 0], "\\[\\.MXNDArray: the index is an MXNDArray")
  expect_error(x[matrix(1, 2, 3)], "\\[\\.MXNDArray: indexing by a matrix")
  expect_error(x[1, , , drop = NA], "\\[\\.MXNDArray: drop must be TRUE or FALSE")
})

# x[args] <- value for an MXNDArray and for the R array, compared; x itself is unchanged.
expect_assign_like_r <- function(x, a, args, value) {
  r_value <- if (is.mx.ndarray(value)) as.array(value) else value
  want <- plain_1d(do.call(`[<-`, c(list(a), args, list(value = r_value))))
  got <- do.call(`[<-`, c(list(x), args, list(value = value)))
  expect_true(is.mx.ndarray(got))
  expect_equal(as.array(got), want, info = paste(deparse(args), collapse = ""))
  expect_equal(as.array(x), plain_1d(a))
}

test_that("[<- on contiguous ranges matches R's [<- (1-d to 4-d, random ranges)", {
  set.seed(12)
  range_of <- function(n) if (runif(1) < 0.3) quote(expr = ) else random_range(n)
  for (d in list(6L, c(4L, 5L), c(3L, 4L, 5L), c(2L, 3L, 4L, 3L))) {
    a <- int_array(d)
    x <- mx.nd.array(a)
    for (rep in 1:10) {
      args <- lapply(d, range_of)
      region <- dim(do.call(`[`, c(list(a), args, list(drop = FALSE))))
      expect_assign_like_r(x, a, args, 7)                                   # scalar
      expect_assign_like_r(x, a, args, int_array(region))                   # R array
      expect_assign_like_r(x, a, args, mx.nd.array(int_array(region)))      # MXNDArray
      if (prod(region) %% 2 == 0) expect_assign_like_r(x, a, args, c(-1, -2))  # recycled
    }
  }
})

test_that("[<- written out: masks, exclusions, one index, dtype, no-op", {
  a <- int_array(c(3L, 4L))
  x <- mx.nd.array(a)
  y <- x; y[2, ] <- 0; b <- a; b[2, ] <- 0
  expect_equal(as.array(y), b)
  y <- x; y[c(FALSE, TRUE, TRUE), -1] <- 1:6; b <- a; b[c(FALSE, TRUE, TRUE), -1] <- 1:6
  expect_equal(as.array(y), b)
  y <- x; y[4:9] <- -3; b <- a; b[4:9] <- -3
  expect_equal(as.array(y), b)
  y <- x; y[] <- 1:3; b <- a; b[] <- 1:3
  expect_equal(as.array(y), b)
  y <- x; y[integer(0), 1] <- 5
  expect_equal(as.array(y), a)
  y <- x; y[1, 1:2] <- TRUE; b <- a; b[1, 1:2] <- TRUE
  expect_equal(as.array(y), b)
  # the replacement takes the array's dtype
  z <- mx.nd.Cast(x, dtype = "float64")
  z[1:2, 1] <- mx.nd.array(c(0.25, 0.5))
  b <- a; b[1:2, 1] <- c(0.25, 0.5)
  expect_equal(as.array(z), b)
  i <- mx.nd.Cast(x, dtype = "int32")
  i[3, ] <- c(1.9, -1.9, 2, 3)
  b <- a; b[3, ] <- c(1, -1, 2, 3)
  expect_equal(as.array(i), b)
})

test_that("[<- errors name [<-.MXNDArray", {
  x <- mx.nd.array(int_array(c(2L, 3L, 4L)))
  expect_error(x[c(1, 2), c(1, 3), 1] <- 0,
               "\\[<-\\.MXNDArray: only contiguous ranges of indices are supported; the index for dimension 2")
  expect_error(x[c(2, 1), 1, 1] <- 0, "\\[<-\\.MXNDArray: only contiguous ranges")
  expect_error(x[c(1, 5)] <- 0, "\\[<-\\.MXNDArray: only contiguous ranges")
  expect_error(x[3, 1, 1] <- 0, "\\[<-\\.MXNDArray: the index for dimension 1 is out of range")
  expect_error(x[1, , ] <- 1:5, "\\[<-\\.MXNDArray: number of items to replace \\(12\\) is not a multiple")
  expect_error(x[1, , ] <- numeric(0), "\\[<-\\.MXNDArray: replacement has length zero")
  expect_error(x[1, , ] <- "a", "\\[<-\\.MXNDArray: value must be numeric, logical or an MXNDArray")
  expect_error(x[1, , ] <- mx.nd.ones(c(2, 2)), "\\[<-\\.MXNDArray: the replacement MXNDArray has 4 elements")
  expect_error(x[1, 1] <- 0, "\\[<-\\.MXNDArray: incorrect number of dimensions")
})

test_that("sum, prod, max, min, range, all, any and mean match R on 1-d to 4-d arrays", {
  set.seed(13)
  for (d in list(9L, c(4L, 5L), c(3L, 4L, 5L), c(2L, 3L, 4L, 3L))) {
    a <- array(runif(prod(d), 0.5, 1.5), dim = d)
    x <- mx.nd.array(a)
    a <- as.array(x)      # the float32 values the engine holds
    expect_equal(sum(x), sum(a), tolerance = 1e-6)
    expect_equal(prod(x), prod(a), tolerance = 1e-5)
    expect_equal(max(x), max(a))
    expect_equal(min(x), min(a))
    expect_equal(range(x), range(a))
    expect_equal(mean(x), mean(a), tolerance = 1e-6)
    expect_identical(all(x > 1), all(a > 1))
    expect_identical(any(x > 1.4), any(a > 1.4))
    expect_identical(all(x > 0), TRUE)
    expect_identical(any(x > 2), FALSE)
    expect_true(is.double(sum(x)) && length(sum(x)) == 1L)
  }
  # several arguments, MXNDArray first (R dispatches Summary on the first argument)
  y <- mx.nd.array(c(-4, 2))
  expect_equal(sum(y, 1:3, y), sum(c(-4, 2), 1:3, c(-4, 2)))
  expect_equal(max(y, 10), 10)
  expect_equal(range(y, -7), c(-7, 2))
})

test_that("NaN, na.rm and empty arrays as R", {
  v <- c(2, NaN, -3, 0.5)
  x <- mx.nd.array(v)
  z <- mx.nd.array(c(0, NaN, 0))
  for (na.rm in c(FALSE, TRUE)) {
    expect_equal(sum(x, na.rm = na.rm), sum(v, na.rm = na.rm))
    expect_equal(prod(x, na.rm = na.rm), prod(v, na.rm = na.rm))
    expect_equal(max(x, na.rm = na.rm), max(v, na.rm = na.rm))
    expect_equal(min(x, na.rm = na.rm), min(v, na.rm = na.rm))
    expect_equal(range(x, na.rm = na.rm), range(v, na.rm = na.rm))
    expect_equal(mean(x, na.rm = na.rm), mean(v, na.rm = na.rm))
    expect_identical(all(x, na.rm = na.rm), all(v != 0, na.rm = na.rm))
    expect_identical(any(x, na.rm = na.rm), any(v != 0, na.rm = na.rm))
    expect_identical(any(z, na.rm = na.rm), any(c(0, NaN, 0) != 0, na.rm = na.rm))
  }
  n <- mx.nd.array(c(NaN, NaN))
  expect_warning(m <- max(n, na.rm = TRUE), "no non-missing arguments to max")
  expect_equal(m, -Inf)
  expect_equal(mean(n, na.rm = TRUE), NaN)
  e <- mx.nd.zeros(c(0, 3))
  expect_equal(sum(e), 0)
  expect_equal(prod(e), 1)
  expect_warning(expect_equal(min(e), Inf), "no non-missing arguments to min")
  expect_identical(all(e), TRUE)
  expect_identical(any(e), FALSE)
  expect_equal(mean(e), NaN)
})

test_that("summary errors name their method", {
  x <- mx.nd.ones(c(2, 2))
  expect_error(sum(x, na.rm = NA), "Summary\\.MXNDArray: na.rm must be TRUE or FALSE")
  expect_error(mean(x, trim = 0.2), "mean\\.MXNDArray: trim is not supported")
  expect_error(mean(x, na.rm = "yes"), "mean\\.MXNDArray: na.rm must be TRUE or FALSE")
})
