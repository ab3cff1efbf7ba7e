# Data iterators from R: batches, padding, shuffling, extraction, engine iterators.
context("io API")

test_that("mx.io.arrayiter batches samples on the last dimension", {
  X <- matrix(as.numeric(1:40), 4, 10)      # 10 samples of 4 features
  y <- as.numeric(0:9)
  it <- mx.io.arrayiter(X, y, batch.size = 4, shuffle = FALSE)
  expect_true(is.mx.dataiter(it))
  it$reset()
  seen <- list()
  pads <- c()
  while (it$iter.next()) {
    v <- it$value()
    expect_equal(dim(v$data), c(4, 4))
    seen[[length(seen) + 1]] <- as.array(v$label)
    pads <- c(pads, it$num.pad())
  }
  expect_equal(length(seen), 3)
  expect_equal(pads, c(0, 0, 2))
  # MXNet R's rule: the last batch's samples, then the rest of the previous batch
  expect_equal(seen[[3]], c(8, 9, 6, 7))
  it$reset()
  it$iter.next()
  expect_equal(as.array(it$value()$data), X[, 1:4])
  expect_equal(it$batch.size, 4)
  expect_equal(mx.io.extract(it, "label"), y)
  expect_equal(mx.io.extract(it, "data"), X)
})

test_that("image arrays keep their shape; shuffling is reproducible and complete", {
  X <- array(as.numeric(1:(3 * 2 * 1 * 6)), c(3, 2, 1, 6))
  it <- mx.io.arrayiter(X, 0:5, batch.size = 3, shuffle = FALSE)
  it$reset()
  it$iter.next()
  expect_equal(dim(it$value()$data), c(3, 2, 1, 3))
  expect_equal(as.array(it$value()$data), X[, , , 1:3, drop = FALSE])
  mx.set.seed(7)
  a <- mx.io.extract(mx.io.arrayiter(matrix(1:20, 2, 10), 0:9, batch.size = 5, shuffle = TRUE),
                     "label")
  mx.set.seed(7)
  b <- mx.io.extract(mx.io.arrayiter(matrix(1:20, 2, 10), 0:9, batch.size = 5, shuffle = TRUE),
                     "label")
  expect_equal(a, b)
  expect_equal(sort(a), 0:9)
  expect_false(identical(a, as.numeric(0:9)))
})

test_that("bad input to mx.io.arrayiter is an R error before anything runs", {
  X <- matrix(1:20, 2, 10)
  expect_error(mx.io.arrayiter(X, 1:9), "mx.io.arrayiter: label has 9 samples but data has 10")
  X2 <- X
  X2[1, 3] <- NA
  expect_error(mx.io.arrayiter(X2, 1:10), "mx.io.arrayiter: data contains NA")
  expect_error(mx.io.arrayiter(X, factor(1:10)), "label is a factor")
  expect_error(mx.io.arrayiter(X, 1:10, batch.size = 0), "batch.size must be a positive integer")
  small <- mx.io.arrayiter(X, 1:10, batch.size = 12)      # one batch, zero padded
  small$reset()
  small$iter.next()
  expect_equal(small$num.pad(), 2)
  expect_equal(as.array(small$value()$label), c(1:10, 0, 0))
  expect_error(mx.io.arrayiter("a", 1), "data must be a numeric")
})

write_idx <- function(path, arr, magic) {
  con <- file(path, "wb")
  on.exit(close(con))
  writeBin(as.integer(magic), con, size = 4, endian = "big")
  for (d in attr(arr, "idxdim")) writeBin(as.integer(d), con, size = 4, endian = "big")
  writeBin(as.raw(arr), con)
}

test_that("mx.io.MNISTIter reads IDX files", {
  dir <- tempfile("mnist")
  dir.create(dir)
  n <- 6
  pix <- as.integer((seq_len(n * 28 * 28) * 7) %% 256)
  imgs <- structure(pix, idxdim = c(n, 28, 28))
  labs <- structure(as.integer(c(3, 1, 4, 1, 5, 9)), idxdim = n)
  write_idx(file.path(dir, "img"), imgs, 2051)
  write_idx(file.path(dir, "lab"), labs, 2049)
  it <- mx.io.MNISTIter(image = file.path(dir, "img"), label = file.path(dir, "lab"),
                        data.shape = c(784), batch.size = 3, shuffle = FALSE, flat = TRUE,
                        silent = 1)
  it$reset()
  count <- 0
  labels <- c()
  while (it$iter.next()) {
    count <- count + 1
    expect_equal(dim(it$value()$data), c(784, 3))
    labels <- c(labels, as.array(it$value()$label))
  }
  expect_equal(count, 2)
  expect_equal(labels, c(3, 1, 4, 1, 5, 9))
  expect_error(mx.io.MNISTIter(image = file.path(dir, "none"), label = file.path(dir, "lab")),
               "mx.io.MNISTIter: cannot open file")
})

test_that("mx.io.CSVIter reads rows as samples", {
  f <- tempfile(fileext = ".csv")
  m <- matrix(c(1, 2, 3, 4, 5, 6, 7, 8), 4, 2, byrow = TRUE)
  write.table(m, f, sep = ",", row.names = FALSE, col.names = FALSE)
  it <- mx.io.CSVIter(data.csv = f, data.shape = c(2), batch.size = 2)
  it$reset()
  expect_true(it$iter.next())
  expect_equal(as.array(it$value()$data), t(m[1:2, ]))
})
