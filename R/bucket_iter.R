# mx.io.bucket.iter: batches of sequences grouped by length ("buckets"), for mx.model.buckets
# and the mx.infer.rnn* functions. A reference class with the real package's fields and
# methods, so code that reads iter$bucketID, iter$bucket.names or calls iter$value() works.

# Check the buckets once at creation: a named list (names: the sequence lengths), each a
# list(data = matrix seq.len x samples, label = vector or matrix with one column per sample).
.mx.bucket.check <- function(buckets, fname) {
  if (!is.list(buckets) || !length(buckets) || is.null(names(buckets)) ||
      any(!nzchar(names(buckets)))) {
    stop(fname, ": buckets must be a named list (one element per sequence length, e.g. ",
         "list(\"100\" = list(data = ..., label = ...)))", call. = FALSE)
  }
  for (nm in names(buckets)) {
    len <- suppressWarnings(as.integer(nm))
    if (is.na(len) || len < 1L) {
      stop(fname, ": bucket name '", nm, "' is not a sequence length (a positive integer)",
           call. = FALSE)
    }
    b <- buckets[[nm]]
    if (!is.list(b) || is.null(b$data) || is.null(b$label)) {
      stop(fname, ": bucket '", nm, "' must be list(data = ..., label = ...)", call. = FALSE)
    }
    if (!is.matrix(b$data) || !is.numeric(b$data)) {
      stop(fname, ": bucket '", nm, "': data must be a numeric matrix (sequence length x ",
           "samples)", call. = FALSE)
    }
    n <- ncol(b$data)
    nl <- if (is.null(dim(b$label))) length(b$label) else tail(dim(b$label), 1L)
    if (!is.numeric(b$label) || nl != n) {
      stop(fname, ": bucket '", nm, "': label must be numeric with one value (or column) per ",
           "sample; data has ", n, " samples, label ", nl, call. = FALSE)
    }
  }
  invisible(buckets)
}

BucketIter <- setRefClass("BucketIter",
  fields = c("buckets", "bucket.names", "batch.size", "data.mask.element", "shuffle",
             "bucket.plan", "bucketID", "epoch", "batch", "batch.per.bucket",
             "last.batch.pad", "batch.per.epoch", "seed"),
  methods = list(
    initialize = function(buckets, batch.size, data.mask.element = 0, shuffle = FALSE,
                          seed = 123) {
      buckets <<- buckets
      bucket.names <<- names(buckets)
      batch.size <<- batch.size
      data.mask.element <<- data.mask.element
      shuffle <<- shuffle
      seed <<- seed
      epoch <<- 0
      batch <<- 0
      batch.per.bucket <<- 0
      batch.per.epoch <<- 0
      last.batch.pad <<- 0
      bucket.plan <<- NULL
      bucketID <<- NULL
      invisible(.self)
    },
    reset = function() {
      sizes <- vapply(buckets, function(b) ncol(b$data), numeric(1))
      batch.per.bucket <<- ceiling(sizes / batch.size)
      pad <- batch.size - sizes %% batch.size
      pad[pad == batch.size] <- 0
      last.batch.pad <<- pad
      batch.per.epoch <<- sum(batch.per.bucket)
      epoch <<- epoch + 1
      batch <<- 0
      plan.names <- rep(names(batch.per.bucket), times = batch.per.bucket)
      if (shuffle) {
        # as the real package: R's generator reseeded at every reset, the batch order drawn
        # first, then each bucket's samples (the permutation applies to the current order)
        set.seed(seed)
        plan.names <- sample(plan.names)
        buckets <<- lapply(buckets, function(b) {
          id <- sample(ncol(b$data))
          lab <- if (is.null(dim(b$label))) b$label[id] else b$label[, id, drop = FALSE]
          list(data = b$data[, id, drop = FALSE], label = lab)
        })
      }
      # the plan: for each batch of the epoch, its index within its bucket, named by bucket
      plan <- stats::ave(seq_along(plan.names), plan.names, FUN = seq_along)
      names(plan) <- plan.names
      bucket.plan <<- plan
      bucketID <<- plan[1]
      invisible(NULL)
    },
    iter.next = function() {
      batch <<- batch + 1
      bucketID <<- bucket.plan[batch]
      batch <= batch.per.epoch
    },
    value = function() {
      if (is.null(bucketID) || is.na(bucketID)) {
        stop("BucketIter$value: no current batch; call reset() and iter.next() first",
             call. = FALSE)
      }
      nm <- names(bucketID)
      idx <- (bucketID - 1) * batch.size + seq_len(batch.size)
      npad <- num.pad()
      # the last batch of a bucket is completed with the bucket's first samples
      if (npad > 0) idx <- c(idx[seq_len(batch.size - npad)], seq_len(npad))
      b <- buckets[[nm]]
      data <- b$data[, idx, drop = FALSE]
      seq.mask <- as.integer(nm) - colSums(data == data.mask.element)
      label <- if (is.null(dim(b$label))) b$label[idx] else b$label[, idx, drop = FALSE]
      list(data = mx.nd.array(data), seq.mask = mx.nd.array(seq.mask),
           label = mx.nd.array(label))
    },
    num.pad = function() {
      nm <- names(bucketID)
      if (bucketID == batch.per.bucket[[nm]] && last.batch.pad[[nm]] != 0) {
        return(last.batch.pad[[nm]])
      }
      0
    },
    finalize = function() invisible(NULL)))

mx.io.bucket.iter <- function(buckets, batch.size, data.mask.element = 0, shuffle = FALSE,
                              seed = 123) {
  fname <- "mx.io.bucket.iter"
  .mx.bucket.check(buckets, fname)
  .mx.rnn.count(batch.size, "batch.size", fname)
  if (!is.numeric(data.mask.element) || length(data.mask.element) != 1L) {
    stop(fname, ": data.mask.element must be a single number", call. = FALSE)
  }
  if (!is.logical(shuffle) || length(shuffle) != 1L || is.na(shuffle)) {
    stop(fname, ": shuffle must be TRUE or FALSE", call. = FALSE)
  }
  if (!is.numeric(seed) || length(seed) != 1L || is.na(seed)) {
    stop(fname, ": seed must be a single number", call. = FALSE)
  }
  BucketIter$new(buckets = buckets, batch.size = batch.size,
                 data.mask.element = data.mask.element, shuffle = shuffle, seed = seed)
}

is.mx.bucket.iter <- function(x) inherits(x, "BucketIter")
