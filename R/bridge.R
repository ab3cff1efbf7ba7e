# The R half of the bridge: handles, result checking, generic calls into the engine.

# Engine objects reach R as handles: external pointers whose address is the id in rshim's
# handle table, with the object's R class (MXNDArray, MXSymbol, ...) and a C finalizer that
# releases the id when R's garbage collector frees the pointer (see rshim/handles.py).

# Turn the error/warning report of an entry point (a .Call routine of rshim/entries.py) into
# R conditions; the value otherwise.
.mx.check <- function(res, fname) {
  cond <- attr(res, "mx.cond", exact = TRUE)
  if (is.null(cond)) return(res)
  if (identical(cond, "interrupt")) {
    # Ctrl-C while the engine ran: R's interrupt condition, so that tryCatch(interrupt = )
    # and on.exit behave as for an interrupted R computation; uncaught, a clear error.
    signalCondition(structure(class = c("interrupt", "condition"),
                              list(message = paste0(fname, ": interrupted"), call = NULL)))
    stop(fname, ": interrupted by the user (Ctrl-C)", call. = FALSE)
  }
  if (identical(cond, "error")) {
    msg <- as.vector(res)
    if (!startsWith(msg, paste0(fname, ":"))) msg <- paste0(fname, ": ", msg)
    stop(msg, call. = FALSE)
  }
  for (w in res[[2L]]) warning(paste0(fname, ": ", w), call. = FALSE)
  .mx.check(res[[1L]], fname)
}

# Call the engine function at dotted Python path `path` (errors name `fname`).
.mx.py <- function(fname, path, args = list(), kwargs = list()) {
  .mx.check(.Call(.MXNetEnv$call, path, args, kwargs), fname)
}

# Call method `name` of the engine object behind `obj`.
.mx.method <- function(fname, obj, name, args = list(), kwargs = list()) {
  .mx.check(.Call(.MXNetEnv$method, obj, name, args, kwargs), fname)
}

# Run registry operator `op` (used by the generated mx.nd.* wrappers).
.mx.nd.invoke <- function(op, fname, inputs, params, out = NULL) {
  res <- .mx.check(.Call(.MXNetEnv$nd_invoke, op, inputs, params, out), fname)
  if (is.null(out)) res else out
}

# R functions called by the engine (training callbacks): never let an R error unwind
# through Python; report it as a value.
.mx.callback.run <- function(f, args) {
  tryCatch(list(TRUE, do.call(f, args)),
           error = function(e) list(FALSE, conditionMessage(e)))
}

# Engine internals
#
# \code{mx.internal.handle.count} gives the number of engine objects R currently holds
# (they are released when R's garbage collector frees their R objects);
# \code{mx.internal.call} calls an engine function by its dotted Python path with
# arguments converted by the bridge's generic rule.
#
# @param path dotted Python path of a function, e.g. \code{"pybridge.ndarray.ones"}.
# @param ... arguments; named ones are passed by name.
# @return The number of handles; the converted result of the call.
mx.internal.handle.count <- function() {
  .mx.check(.Call(.MXNetEnv$handle_count), "mx.internal.handle.count")
}

mx.internal.call <- function(path, ...) {
  if (!is.character(path) || length(path) != 1L) {
    stop("mx.internal.call: path must be a single string", call. = FALSE)
  }
  args <- list(...)
  nms <- names(args)
  if (is.null(nms)) nms <- rep("", length(args))
  .mx.py("mx.internal.call", path, unname(args[!nzchar(nms)]), args[nzchar(nms)])
}
