# mx.io.ImageRecordIter and im2rec against files and batches written by real MXNet 1.9.1
# (tests/fixtures/mxnet-1.9.1/recordio, tests/make_recordio_reference.py).

recfix <- file.path(Sys.getenv("MXNET_BRIDGE_ROOT", "../.."), "tests", "fixtures",
                    "mxnet-1.9.1", "recordio")

test_that("mx.io.ImageRecordIter gives MXNet's batches, in R's layout", {
  skip_if(!file.exists(file.path(recfix, "single.rec")), "fixtures not found")
  ref <- mx.nd.load(file.path(recfix, "iter_center.nd"))
  it <- mx.io.ImageRecordIter(path.imgrec = file.path(recfix, "single.rec"),
                              data.shape = c(24, 24, 3), batch.size = 3)
  it$reset()
  expect_true(it$iter.next())
  v <- it$value()
  expect_equal(dim(as.array(v$data)), c(24, 24, 3, 3))
  expect_equal(as.array(v$data), as.array(ref$data), tolerance = 1e-6)
  expect_equal(as.array(v$label), as.array(ref$label))
  expect_true(it$iter.next())
  expect_true(it$iter.next())       # 7 images: the third batch is completed from the start
  expect_false(it$iter.next())

  gray <- mx.nd.load(file.path(recfix, "iter_gray.nd"))
  it <- mx.io.ImageRecordIter(path.imgrec = file.path(recfix, "single.rec"),
                              data.shape = c(20, 20, 1), batch.size = 7)
  it$reset()
  expect_true(it$iter.next())
  expect_equal(as.array(it$value()$data), as.array(gray$data), tolerance = 1e-6)

  mm <- mx.nd.load(file.path(recfix, "iter_multi_mirror.nd"))
  it <- mx.io.ImageRecordIter(path_imgrec = file.path(recfix, "multi.rec"),
                              data_shape = c(16, 16, 3), batch_size = 4, label_width = 2,
                              mirror = TRUE)
  it$reset()
  expect_true(it$iter.next())
  expect_equal(as.array(it$value()$data), as.array(mm$data), tolerance = 1e-6)
  expect_equal(as.array(it$value()$label), as.array(mm$label))
})

test_that("mx.io.ImageRecordIter trains with FeedForward.create and predicts every image", {
  skip_if(!file.exists(file.path(recfix, "single.rec")), "fixtures not found")
  data <- mx.symbol.Variable("data")
  net <- mx.symbol.Convolution(data, kernel = c(3, 3), num_filter = 4)
  net <- mx.symbol.Activation(net, act_type = "relu")
  net <- mx.symbol.FullyConnected(mx.symbol.Flatten(net), num_hidden = 3)
  net <- mx.symbol.SoftmaxOutput(net)
  it <- mx.io.ImageRecordIter(path.imgrec = file.path(recfix, "single.rec"),
                              data.shape = c(16, 16, 3), batch.size = 3, scale = 1 / 255,
                              rand.crop = TRUE, rand.mirror = TRUE)
  mx.set.seed(0)
  model <- mx.model.FeedForward.create(net, X = it, num.round = 2, learning.rate = 0.05,
                                       verbose = FALSE)
  test <- mx.io.ImageRecordIter(path.imgrec = file.path(recfix, "single.rec"),
                                data.shape = c(16, 16, 3), batch.size = 3, scale = 1 / 255)
  p <- predict(model, test)
  expect_equal(dim(p), c(3, 7))
  expect_equal(colSums(p), rep(1, 7), tolerance = 1e-5)
})

test_that("im2rec writes the records MXNet's im2rec writes", {
  skip_if(!file.exists(file.path(recfix, "single.lst")), "fixtures not found")
  out <- tempfile(fileext = ".rec")
  res <- im2rec(file.path(recfix, "single.lst"), paste0(file.path(recfix, "images"), "/"), out)
  expect_equal(res, out)
  ref <- file.path(recfix, "single.rec")
  expect_identical(readBin(out, "raw", 1e6), readBin(ref, "raw", 1e6))
  out2 <- tempfile(fileext = ".rec")
  im2rec(file.path(recfix, "multi.lst"), paste0(file.path(recfix, "images"), "/"), out2,
         label_width = 2L, pack_label = 1L, encoding = ".png", new_size = 16L)
  it <- mx.io.ImageRecordIter(path.imgrec = out2, data.shape = c(16, 16, 3), batch.size = 7,
                              label.width = 2)
  it$reset()
  expect_true(it$iter.next())
  expect_equal(as.array(it$value()$label), rbind(rep(c(0, 1), length.out = 7), (0:6) * 1.5))
})

test_that("bad input to mx.io.ImageRecordIter and im2rec: clear errors", {
  expect_error(mx.io.ImageRecordIter(path.imgrec = tempfile(), data.shape = c(8, 8, 3),
                                     batch.size = 2),
               "mx.io.ImageRecordIter: .*path_imgrec .* does not exist")
  expect_error(mx.io.ImageRecordIter(path.imgrec = 3, data.shape = c(8, 8, 3), batch.size = 2),
               "mx.io.ImageRecordIter: path.imgrec must be a file name")
  expect_error(mx.io.ImageRecordIter(data.shape = c(8, 8, 3), batch.size = 2),
               "required parameter 'path_imgrec'")
  expect_error(im2rec(tempfile(), "/", tempfile()), "im2rec: cannot open file")
  lst <- file.path(recfix, "single.lst")
  skip_if(!file.exists(lst), "fixtures not found")
  expect_error(im2rec(lst, "/", tempfile(), color_mode = 2L), "im2rec: Color mode must be")
  expect_error(im2rec(lst, "/", tempfile(), quality = "a"), "im2rec: quality must be")
  expect_error(im2rec(lst, "/nonexistent/", tempfile()), "im2rec: cannot open image")
})
