# NDArray: creation, conversion to R, save/load and the S3 methods of class MXNDArray.

# Validate a shape given in R order; the engine order (reversed) as a list of integers.
.mx.shape.arg <- function(shape, fname) {
  if (!is.numeric(shape) || length(shape) == 0L || anyNA(shape) ||
      any(shape < 0) || any(shape != round(shape))) {
    stop(fname, ": shape must be a vector of non-negative integers, got ",
         paste(deparse(shape), collapse = ""), call. = FALSE)
  }
  as.list(rev(as.integer(shape)))
}

.mx.nd.arg <- function(x, what, fname) {
  if (!is.mx.ndarray(x)) stop(fname, ": ", what, " must be an MXNDArray", call. = FALSE)
  x
}

mx.nd.array <- function(src.array, ctx = NULL) {
  ctx <- .mx.ctx.arg(ctx, "mx.nd.array")
  if (is.mx.ndarray(src.array)) return(mx.nd.copyto(src.array, ctx))
  if (!(is.numeric(src.array) || is.logical(src.array)) || !is.atomic(src.array) ||
      (is.object(src.array) && !is.array(src.array))) {
    what <- if (is.object(src.array)) paste(class(src.array), collapse = "/") else typeof(src.array)
    stop("mx.nd.array: src.array must be a numeric, integer or logical vector, matrix or ",
         "array; got ", what, call. = FALSE)
  }
  .mx.check(.Call(.MXNetEnv$nd_from_r, src.array, ctx), "mx.nd.array")
}

mx.nd.zeros <- function(shape, ctx = NULL) {
  shape <- .mx.shape.arg(shape, "mx.nd.zeros")
  .mx.py("mx.nd.zeros", "pybridge.ndarray.zeros", list(shape),
         list(ctx = .mx.ctx.arg(ctx, "mx.nd.zeros")))
}

mx.nd.ones <- function(shape, ctx = NULL) {
  shape <- .mx.shape.arg(shape, "mx.nd.ones")
  .mx.py("mx.nd.ones", "pybridge.ndarray.ones", list(shape),
         list(ctx = .mx.ctx.arg(ctx, "mx.nd.ones")))
}

mx.nd.copyto <- function(src, ctx) {
  .mx.nd.arg(src, "src", "mx.nd.copyto")
  if (missing(ctx) || !is.mx.context(ctx)) {
    stop("mx.nd.copyto: ctx must be a context such as mx.cpu() or mx.gpu()", call. = FALSE)
  }
  .mx.method("mx.nd.copyto", src, "copyto", list(ctx))
}

mx.nd.save <- function(ndarray, filename) {
  if (!is.character(filename) || length(filename) != 1L) {
    stop("mx.nd.save: filename must be a single string", call. = FALSE)
  }
  filename <- path.expand(filename)
  if (!is.list(ndarray) || is.object(ndarray)) ndarray <- list(ndarray)
  ok <- vapply(ndarray, is.mx.ndarray, logical(1))
  if (!all(ok)) {
    stop("mx.nd.save: ndarray must be an MXNDArray or a list of MXNDArray", call. = FALSE)
  }
  nms <- names(ndarray)
  if (!is.null(nms) && !all(nzchar(nms))) {
    stop("mx.nd.save: either every element of the list is named or none", call. = FALSE)
  }
  .mx.py("mx.nd.save", "pybridge.ndarray.save", list(filename, ndarray))
  invisible(NULL)
}

mx.nd.load <- function(filename) {
  if (!is.character(filename) || length(filename) != 1L) {
    stop("mx.nd.load: filename must be a single string", call. = FALSE)
  }
  filename <- path.expand(filename)
  if (!file.exists(filename)) {
    stop("mx.nd.load: cannot open file '", filename, "': no such file", call. = FALSE)
  }
  res <- .mx.py("mx.nd.load", "pybridge.ndarray.load", list(filename))
  if (is.mx.ndarray(res)) res <- list(res)
  res
}

is.mx.ndarray <- function(src.array) inherits(src.array, "MXNDArray")

Ops.MXNDArray <- function(e1, e2) {
  res <- .Call(.MXNetEnv$nd_ops, .Generic, e1, if (missing(e2)) NULL else e2)
  # a result is a handle (an object); an error report is not. is.object() is a primitive,
  # typeof() a closure: this line runs for every operator.
  if (is.object(res)) res else .mx.check(res, "Ops.MXNDArray")
}

Math.MXNDArray <- function(x, ...) {
  if (...length()) {
    stop("Math.MXNDArray: ", .Generic, "() takes no further arguments for MXNDArray",
         call. = FALSE)
  }
  op <- switch(.Generic, ceiling = "ceil", .Generic)
  .mx.nd.invoke(op, .Generic, list(data = x), list())
}

dim.MXNDArray <- function(x) .mx.check(.Call(.MXNetEnv$nd_dim, x), "dim.MXNDArray")

length.MXNDArray <- function(x) .mx.check(.Call(.MXNetEnv$nd_size, x), "length.MXNDArray")

as.array.MXNDArray <- function(x, ...) {
  .mx.check(.Call(.MXNetEnv$nd_to_r, x), "as.array.MXNDArray")
}

as.matrix.MXNDArray <- function(x, ...) {
  if (length(dim(x)) != 2L) {
    stop("as.matrix.MXNDArray: the MXNDArray is not two dimensional", call. = FALSE)
  }
  as.array(x)
}

as.vector.MXNDArray <- function(x, mode = "any") as.vector(as.array(x), mode = mode)

as.double.MXNDArray <- function(x, ...) as.vector(as.array(x), mode = "double")

print.MXNDArray <- function(x, ...) {
  print(as.array(x), ...)
  invisible(x)
}

c.MXNDArray <- function(...) list(...)

all.equal.MXNDArray <- function(target, current, ...) {
  if (is.mx.ndarray(current)) current <- as.array(current)
  all.equal(as.array(target), current, ...)
}

ctx <- function(nd) {
  .mx.nd.arg(nd, "nd", "ctx")
  .mx.check(.Call(.MXNetEnv$nd_ctx, nd), "ctx")
}
