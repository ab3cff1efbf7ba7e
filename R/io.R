# Data iterators: mx.io.arrayiter over R arrays (copied into the engine once), the engine's
# MNIST and CSV iterators, mx.io.extract, and the `$` members of the real MXDataIter.

is.mx.dataiter <- function(x) {
  inherits(x, "MXDataIter") || inherits(x, "Rcpp_MXNativeDataIter") ||
    inherits(x, "Rcpp_MXArrayDataIter")
}

# Base class for iterators written in R (as in the real package, user iterators extend it:
# setRefClass("MyIter", contains = "Rcpp_MXArrayDataIter", methods = list(reset = ...,
# iter.next = ..., value = ..., num.pad = ...))).
setRefClass("Rcpp_MXArrayDataIter", fields = list(),
            methods = list(
              reset = function() stop("reset() is not implemented by this iterator"),
              iter.next = function() stop("iter.next() is not implemented by this iterator"),
              value = function() stop("value() is not implemented by this iterator"),
              num.pad = function() 0L,
              finalize = function() invisible(NULL)))

.mx.num.samples <- function(x) {
  d <- dim(x)
  if (is.null(d)) length(x) else d[[length(d)]]
}

mx.io.arrayiter <- function(data, label, batch.size = 128, shuffle = FALSE) {
  fname <- "mx.io.arrayiter"
  # the real iterator took as.array() of both, so MXNDArray data and labels work
  if (is.mx.ndarray(data)) data <- as.array(data)
  if (!missing(label) && is.mx.ndarray(label)) label <- as.array(label)
  if (is.data.frame(data)) data <- data.matrix(data)
  if (!(is.numeric(data) || is.logical(data)) || is.object(data) && !is.matrix(data) &&
      !is.array(data)) {
    stop(fname, ": data must be a numeric vector, matrix or array", call. = FALSE)
  }
  if (missing(label) || is.null(label)) {
    stop(fname, ": label must be given (one value, or a column, per sample)", call. = FALSE)
  }
  if (is.data.frame(label)) label <- data.matrix(label)
  if (is.factor(label)) {
    stop(fname, ": label is a factor; convert it to 0-based numeric class indices, e.g. ",
         "as.integer(f) - 1", call. = FALSE)
  }
  if (!(is.numeric(label) || is.logical(label))) {
    stop(fname, ": label must be numeric", call. = FALSE)
  }
  if (!is.numeric(batch.size) || length(batch.size) != 1L || is.na(batch.size) ||
      batch.size < 1 || batch.size != round(batch.size) || batch.size > .Machine$integer.max) {
    stop(fname, ": batch.size must be a positive integer", call. = FALSE)
  }
  n <- .mx.num.samples(data)
  if (n == 0L) stop(fname, ": data has no samples", call. = FALSE)
  if (.mx.num.samples(label) != n) {
    stop(fname, ": label has ", .mx.num.samples(label), " samples but data has ", n,
         " (samples are on the last dimension of data)", call. = FALSE)
  }
  if (anyNA(data)) stop(fname, ": data contains NA values", call. = FALSE)
  if (anyNA(label)) stop(fname, ": label contains NA values", call. = FALSE)
  if (is.null(dim(data))) dim(data) <- length(data)
  if (is.null(dim(label))) dim(label) <- length(label)
  it <- .mx.py(fname, .mx.sym.path("arrayiter"),
               list(data, label, as.integer(batch.size), isTRUE(shuffle)))
  attr(it, "label.range") <- range(label)
  attr(it, "batch.size") <- as.integer(batch.size)
  it
}

# Engine iterators: parameters by name as the real package (dotted spellings accepted).
.mx.io.native <- function(kind, fname, args) {
  if (length(args) && (is.null(names(args)) || !all(nzchar(names(args))))) {
    stop(fname, ": parameters must be given by name", call. = FALSE)
  }
  for (key in c("image", "label", "data.csv", "label.csv", "data_csv", "label_csv")) {
    v <- args[[key]]
    if (!is.null(v)) {
      if (!is.character(v) || length(v) != 1L) {
        stop(fname, ": ", key, " must be a file name", call. = FALSE)
      }
      v <- path.expand(v)
      if (!file.exists(v)) stop(fname, ": cannot open file '", v, "': no such file", call. = FALSE)
      args[[key]] <- v
    }
  }
  .mx.py(fname, .mx.sym.path("native_iter"), list(kind, args))
}

mx.io.MNISTIter <- function(...) .mx.io.native("MNISTIter", "mx.io.MNISTIter", list(...))

mx.io.CSVIter <- function(...) .mx.io.native("CSVIter", "mx.io.CSVIter", list(...))

mx.io.ImageRecordIter <- function(...) {
  .mx.io.native("ImageRecordIter", "mx.io.ImageRecordIter", .mx.io.image.paths(list(...)))
}

mx.io.extract <- function(iter, field) {
  if (!is.mx.dataiter(iter)) stop("mx.io.extract: iter must be a data iterator", call. = FALSE)
  if (!is.character(field) || length(field) != 1L) {
    stop("mx.io.extract: field must be a single string such as \"data\" or \"label\"",
         call. = FALSE)
  }
  if (inherits(iter, "MXDataIter")) {
    return(.mx.py("mx.io.extract", .mx.sym.path("extract"), list(iter, field)))
  }
  parts <- list()
  iter$reset()
  while (iter$iter.next()) {
    v <- iter$value()[[field]]
    if (is.null(v)) stop("mx.io.extract: the iterator has no field '", field, "'", call. = FALSE)
    a <- as.array(v)
    pad <- iter$num.pad()
    d <- dim(a)
    if (is.null(d)) d <- length(a)
    keep <- d[[length(d)]] - pad
    idx <- rep(list(quote(expr = )), length(d))
    idx[[length(d)]] <- seq_len(keep)
    parts[[length(parts) + 1L]] <- do.call(`[`, c(list(a), idx, list(drop = FALSE)))
  }
  iter$reset()
  if (!length(parts)) stop("mx.io.extract: the iterator gives no batch", call. = FALSE)
  d <- dim(parts[[1L]])
  out <- unlist(lapply(parts, as.vector))
  if (length(d) > 1L) dim(out) <- c(d[-length(d)], length(out) / prod(d[-length(d)]))
  out
}

`$.MXDataIter` <- function(x, name) {
  switch(name,
    reset = function() {
      .mx.method("MXDataIter$reset", x, "reset")
      invisible(NULL)
    },
    iter.next = function() .mx.py("MXDataIter$iter.next", .mx.sym.path("iter_next"), list(x)),
    value = function() .mx.py("MXDataIter$value", .mx.sym.path("iter_value"), list(x)),
    num.pad = function() .mx.py("MXDataIter$num.pad", .mx.sym.path("iter_pad"), list(x)),
    batch.size = {
      bs <- attr(x, "batch.size", exact = TRUE)
      if (is.null(bs)) .mx.method("MXDataIter$batch.size", x, "__getattribute__",
                                  list("batch_size")) else bs
    },
    finalize = function() invisible(NULL),
    stop("MXDataIter has no member '", name, "'", call. = FALSE))
}

print.MXDataIter <- function(x, ...) {
  cat("MXDataIter (batch size ", x$batch.size, ")\n", sep = "")
  invisible(x)
}

# The engine side of any iterator: an MXDataIter as is, an R iterator through callbacks.
.mx.io.engine <- function(iter, input.names, output.names, fname) {
  if (inherits(iter, "MXDataIter")) return(iter)
  if (!is.mx.dataiter(iter) && !(is.environment(iter) || is.list(iter))) {
    stop(fname, ": not a data iterator", call. = FALSE)
  }
  funcs <- list(reset = function() { iter$reset(); NULL },
                iter_next = function() isTRUE(iter$iter.next()),
                value = function() iter$value(),
                num_pad = function() {
                  p <- tryCatch(iter$num.pad(), error = function(e) 0L)
                  if (is.null(p)) 0L else p
                })
  .mx.py(fname, .mx.sym.path("r_iterator"), list(funcs, as.list(input.names),
                                                 as.list(output.names)))
}
