# Subsetting, sub-assignment and summaries of MXNDArray on the R dimensions.
#
# Indices are R's (1-based, per R dimension, dim(x) being the reversed engine shape); the
# engine sees 0-based ranges.  R-order begin/end/shape vectors given to the generated
# wrappers are reversed into engine order by the bridge (see ?mx.nd.slice).

# ---------------------------------------------------------------- index resolution
# Which index positions of a call are empty (x[, 1]); `dots` is its substitute(list(...)).
.mx.subset.empty <- function(dots) {
  exprs <- as.list(dots)[-1L]
  vapply(seq_along(exprs), function(k) identical(exprs[[k]], quote(expr = )), logical(1))
}

# One R subscript for an extent n -> 0-based positions (R's rules for arrays, except that
# what R would answer with NA is an error: NA indices, positions past the extent).
.mx.subset.positions <- function(i, n, fname, where) {
  if (is.null(i)) return(numeric(0))
  if (is.mx.ndarray(i)) {
    stop(fname, ": ", where, " is an MXNDArray; convert it with as.array() (and ",
         "as.logical() for a mask)", call. = FALSE)
  }
  if (is.logical(i)) {
    if (anyNA(i)) stop(fname, ": ", where, " contains NA", call. = FALSE)
    if (length(i) > n) {
      stop(fname, ": ", where, " is a logical subscript of length ", length(i),
           ", longer than the extent ", n, call. = FALSE)
    }
    if (length(i) == 0L) return(numeric(0))
    return(which(rep_len(i, n)) - 1)
  }
  if (!is.numeric(i) || is.object(i)) {
    what <- if (is.character(i)) "character (an MXNDArray has no dimnames)" else
      paste(class(i), collapse = "/")
    stop(fname, ": ", where, " must be numeric or logical, got ", what, call. = FALSE)
  }
  if (anyNA(i)) stop(fname, ": ", where, " contains NA", call. = FALSE)
  i <- trunc(as.double(i))
  if (any(i > n)) {
    stop(fname, ": ", where, " is out of range: ", max(i), " for an extent of ", n,
         call. = FALSE)
  }
  if (any(i < 0)) {
    if (any(i > 0)) {
      stop(fname, ": ", where, " mixes positive and negative subscripts (only 0's may be ",
           "mixed with negative subscripts)", call. = FALSE)
    }
    return(setdiff(seq_len(n), -i) - 1)   # negatives past the extent exclude nothing, as R
  }
  i[i > 0] - 1
}

# The call's indices resolved against dims `d`; a single index for a multi-dimensional array
# is linear (over prod(d)).  list(positions = 0-based positions per dimension, dims = the
# extents they index, linear = TRUE/FALSE).
.mx.subset.resolve <- function(d, empty, values, fname) {
  linear <- length(empty) == 1L && length(d) > 1L
  if (linear) {
    if (!empty[1L] && is.matrix(values[[1L]]) && ncol(values[[1L]]) == length(d)) {
      stop(fname, ": indexing by a matrix of positions is not supported", call. = FALSE)
    }
    d <- prod(d)
  } else if (length(empty) != length(d)) {
    stop(fname, ": incorrect number of dimensions: ", length(empty), " index(es) for an ",
         "array of ", length(d), " dimension(s)", call. = FALSE)
  }
  pos <- lapply(seq_along(d), function(k) {
    if (empty[k]) return(seq_len(d[k]) - 1)
    where <- if (linear) "the index" else paste0("the index for dimension ", k)
    .mx.subset.positions(values[[k]], d[k], fname, where)
  })
  list(positions = pos, dims = d, linear = linear)
}

# The indices of a `[` / `[<-` call: which positions are empty, and the values of the others
# (NULL where empty).  `elt` is the method's ...elt, so that each index is evaluated once,
# in the caller's frame, as R evaluates arguments.
.mx.subset.indices <- function(dots, elt) {
  empty <- .mx.subset.empty(dots)
  values <- vector("list", length(empty))
  for (k in which(!empty)) {
    v <- elt(k)
    if (!is.null(v)) values[[k]] <- v
  }
  list(empty = empty, values = values)
}

.mx.subset.contiguous <- function(p) length(p) <= 1L || all(diff(p) == 1)

# begin/end (R order, 0-based, end exclusive) of contiguous positions; empty -> 0:0.
.mx.subset.range <- function(p) if (length(p)) c(p[1L], p[length(p)] + 1) else c(0, 0)

# ---------------------------------------------------------------- engine helpers
# An MXNDArray with x's dtype: v itself if it has it (astype without copy).
.mx.nd.as.dtype.of <- function(v, x, fname) {
  dtype <- .mx.method(fname, x, "__getattribute__", list("dtype"))
  .mx.method(fname, v, "astype", list(dtype), list(copy = FALSE))
}

# Zeros of R dims `d` with x's dtype and context (results with no elements: the engine's
# reshape reads a 0 in a shape as "keep this extent").
.mx.nd.empty.like <- function(x, d, fname) {
  z <- .mx.py(fname, "pybridge.ndarray.zeros", list(.mx.shape.arg(d, fname)),
              list(ctx = ctx(x)))
  .mx.nd.as.dtype.of(z, x, fname)
}

.mx.nd.reshape.to <- function(x, d, fname) {
  if (identical(as.numeric(dim(x)), as.numeric(d))) return(x)
  .mx.nd.invoke("Reshape", fname, list(data = x), list(shape = d))
}

# ---------------------------------------------------------------- x[...]
`[.MXNDArray` <- function(x, ..., drop = TRUE) {
  fname <- "[.MXNDArray"
  .mx.flag.arg(drop, "drop", fname)
  idx <- .mx.subset.indices(substitute(list(...)), function(k) ...elt(k))
  if (all(idx$empty) && length(idx$empty) <= 1L) return(x)   # x[]
  d <- dim(x)
  r <- .mx.subset.resolve(d, idx$empty, idx$values, fname)
  pos <- r$positions
  out.d <- as.numeric(lengths(pos))
  if (r$linear) {
    out.d <- length(pos[[1L]])
  } else if (drop) {
    out.d <- out.d[out.d != 1]
    if (length(out.d) == 0L) out.d <- 1
  }
  if (prod(out.d) == 0) return(.mx.nd.empty.like(x, out.d, fname))
  if (r$linear) x <- .mx.nd.reshape.to(x, r$dims, fname)
  # contiguous positions: one slice over every such dimension; the others: take per axis
  contiguous <- vapply(pos, .mx.subset.contiguous, logical(1))
  whole <- vapply(seq_along(pos), function(k) contiguous[k] && length(pos[[k]]) == r$dims[k],
                  logical(1))
  if (!all(whole)) {
    ranges <- lapply(seq_along(pos), function(k)
      if (contiguous[k]) .mx.subset.range(pos[[k]]) else c(0, r$dims[k]))
    x <- .mx.nd.invoke("slice", fname, list(data = x),
                       list(begin = vapply(ranges, `[`, numeric(1), 1L),
                            end = vapply(ranges, `[`, numeric(1), 2L)))
  }
  for (k in which(!contiguous)) {
    indices <- mx.nd.array(pos[[k]], ctx = ctx(x))
    x <- .mx.nd.invoke("take", fname, list(a = x, indices = indices),
                       list(axis = length(r$dims) - k))
  }
  .mx.nd.reshape.to(x, out.d, fname)
}

# ---------------------------------------------------------------- x[...] <- value
`[<-.MXNDArray` <- function(x, ..., value) {
  fname <- "[<-.MXNDArray"
  idx <- .mx.subset.indices(substitute(list(...)), function(k) ...elt(k))
  d <- dim(x)
  if (length(idx$empty) == 0L) idx <- list(empty = TRUE, values = list(NULL))
  r <- .mx.subset.resolve(d, idx$empty, idx$values, fname)
  pos <- r$positions
  for (k in seq_along(pos)) {
    if (!.mx.subset.contiguous(pos[[k]])) {
      stop(fname, ": only contiguous ranges of indices are supported; the index ",
           if (r$linear) "" else paste0("for dimension ", k, " "),
           "selects positions that are not one ascending run", call. = FALSE)
    }
  }
  region <- as.numeric(lengths(pos))
  n <- prod(region)
  if (n == 0) return(x)   # nothing selected: nothing to replace, as R
  value <- .mx.subset.value(value, n, region, x, fname)
  target <- if (r$linear) .mx.nd.reshape.to(x, r$dims, fname) else x
  ranges <- lapply(pos, .mx.subset.range)
  params <- list(begin = vapply(ranges, `[`, numeric(1), 1L),
                 end = vapply(ranges, `[`, numeric(1), 2L))
  res <- if (is.numeric(value)) {
    .mx.nd.invoke("_slice_assign_scalar", fname, list(data = target),
                  c(list(scalar = value), params))
  } else {
    .mx.nd.invoke("_slice_assign", fname, list(lhs = target, rhs = value), params)
  }
  if (r$linear) .mx.nd.reshape.to(res, d, fname) else res
}

# The replacement as a scalar (one value) or an MXNDArray of the region's R dims and x's
# dtype; R vectors are recycled over the region as R does for arrays.
.mx.subset.value <- function(value, n, region, x, fname) {
  if (is.mx.ndarray(value)) {
    if (length(value) == 1L) return(as.double(as.array(value)))
    if (length(value) != n) {
      stop(fname, ": the replacement MXNDArray has ", length(value), " elements for a ",
           "region of ", n, call. = FALSE)
    }
    return(.mx.nd.as.dtype.of(.mx.nd.reshape.to(value, region, fname), x, fname))
  }
  if (!(is.numeric(value) || is.logical(value)) || (is.object(value) && !is.array(value))) {
    what <- if (is.object(value)) paste(class(value), collapse = "/") else typeof(value)
    stop(fname, ": value must be numeric, logical or an MXNDArray, got ", what, call. = FALSE)
  }
  if (length(value) == 0L) stop(fname, ": replacement has length zero", call. = FALSE)
  if (length(value) == 1L) return(as.double(value))
  if (n %% length(value) != 0) {
    stop(fname, ": number of items to replace (", n, ") is not a multiple of replacement ",
         "length (", length(value), ")", call. = FALSE)
  }
  v <- mx.nd.array(array(as.double(rep_len(value, n)), dim = region), ctx = ctx(x))
  .mx.nd.as.dtype.of(v, x, fname)
}

# ---------------------------------------------------------------- summaries
# Reductions run in the engine, in the array's dtype; R combines the per-argument results
# (so sum(x, y, 1) and R's rules for empty input and NA apply as for R vectors).
.mx.nd.reduce <- function(op, x, fname) {
  as.array(.mx.nd.invoke(op, fname, list(data = x), list()))
}

.mx.nd.count <- function(mask, fname) .mx.nd.reduce("sum", mask, fname)

# max/min; with na.rm, NaN is replaced by the reduction's neutral value (-Inf for max).
.mx.nd.extreme <- function(op, x, na.rm, fname) {
  if (!na.rm) return(.mx.nd.reduce(op, x, fname))
  neutral <- if (op == "max") -Inf else Inf
  fill <- .mx.nd.invoke("zeros_like", fname, list(data = x), list()) + neutral
  res <- .mx.nd.reduce(op, .mx.nd.invoke("where", fname,
                                         list(condition = x == x, x = x, y = fill), list()),
                       fname)
  # no value left: R's own max/min of nothing (-Inf and its warning)
  if (res == neutral && .mx.nd.count(x == x, fname) == 0) numeric(0) else res
}

# all/any of one array: non-zero is TRUE; NaN is NA, removed later by R when na.rm.
.mx.nd.truth <- function(generic, x, fname) {
  zeros <- .mx.nd.count(x == 0, fname)
  nans <- .mx.nd.count(x != x, fname)
  if (generic == "all") {
    if (zeros > 0) FALSE else if (nans > 0) NA else TRUE
  } else {
    if (length(x) - zeros - nans > 0) TRUE else if (nans > 0) NA else FALSE
  }
}

.mx.nd.summary <- function(generic, x, na.rm, fname) {
  if (length(x) == 0L) return(if (generic %in% c("all", "any")) logical(0) else numeric(0))
  switch(generic,
         sum = .mx.nd.reduce(if (na.rm) "nansum" else "sum", x, fname),
         prod = .mx.nd.reduce(if (na.rm) "nanprod" else "prod", x, fname),
         max = , min = .mx.nd.extreme(generic, x, na.rm, fname),
         range = c(.mx.nd.extreme("min", x, na.rm, fname),
                   .mx.nd.extreme("max", x, na.rm, fname)),
         all = , any = .mx.nd.truth(generic, x, fname),
         stop(fname, ": ", generic, "() is not supported for MXNDArray", call. = FALSE))
}

.mx.flag.arg <- function(v, what, fname) {
  if (!is.logical(v) || length(v) != 1L || is.na(v)) {
    stop(fname, ": ", what, " must be TRUE or FALSE", call. = FALSE)
  }
  v
}

Summary.MXNDArray <- function(..., na.rm = FALSE) {
  fname <- "Summary.MXNDArray"
  .mx.flag.arg(na.rm, "na.rm", fname)
  parts <- lapply(list(...), function(a)
    if (is.mx.ndarray(a)) .mx.nd.summary(.Generic, a, na.rm, fname) else a)
  do.call(.Generic, c(parts, list(na.rm = na.rm)))
}

mean.MXNDArray <- function(x, trim = 0, na.rm = FALSE, ...) {
  fname <- "mean.MXNDArray"
  .mx.flag.arg(na.rm, "na.rm", fname)
  if (!identical(as.numeric(trim), 0)) {
    stop(fname, ": trim is not supported for MXNDArray (only trim = 0)", call. = FALSE)
  }
  if (length(x) == 0L) return(NaN)
  if (!na.rm) return(.mx.nd.reduce("mean", x, fname))
  n <- .mx.nd.count(x == x, fname)
  if (n == 0) NaN else .mx.nd.reduce("nansum", x, fname) / n
}
