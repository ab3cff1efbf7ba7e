# The R half of the bridge: handles, result checking, generic calls into the engine.

# A new R object over engine handle `id`: an environment of class `cls` whose finalizer
# releases the handle when R collects it.
.mx.new <- function(id, cls) {
  e <- new.env(parent = emptyenv(), size = 1L)
  e$id <- id
  class(e) <- cls
  reg.finalizer(e, .mx.finalizer, onexit = TRUE)
  e
}

.mx.finalizer <- function(e) {
  if (isTRUE(.MXNetEnv$alive)) .External(.MXNetEnv$release, .subset2(e, "id"))
  invisible(NULL)
}

# Turn an entry point's error/warning report into R conditions; the value otherwise.
.mx.check <- function(res, fname) {
  cond <- attr(res, "mx.cond", exact = TRUE)
  if (is.null(cond)) return(res)
  if (identical(cond, "error")) {
    msg <- as.vector(res)
    if (!startsWith(msg, paste0(fname, ":"))) msg <- paste0(fname, ": ", msg)
    stop(msg, call. = FALSE)
  }
  for (w in res[[2L]]) warning(paste0(fname, ": ", w), call. = FALSE)
  .mx.check(res[[1L]], fname)
}

# Engine handle markers (integer ids with attribute mx.class) -> R objects, recursively.
.mx.unmarshal <- function(x) {
  cls <- attr(x, "mx.class", exact = TRUE)
  if (!is.null(cls)) return(.mx.new(as.vector(x), cls))
  if (is.list(x) && !is.object(x) && length(x)) x[] <- lapply(x, .mx.unmarshal)
  x
}

# Call the engine function at dotted Python path `path` (errors name `fname`).
.mx.py <- function(fname, path, args = list(), kwargs = list()) {
  .mx.unmarshal(.mx.check(.External(.MXNetEnv$call, path, args, kwargs), fname))
}

# Call method `name` of the engine object behind `obj`.
.mx.method <- function(fname, obj, name, args = list(), kwargs = list()) {
  .mx.unmarshal(.mx.check(.External(.MXNetEnv$method, obj, name, args, kwargs), fname))
}

# Run registry operator `op` (used by the generated mx.nd.* wrappers).
.mx.nd.invoke <- function(op, fname, inputs, params, out = NULL) {
  res <- .mx.check(.External(.MXNetEnv$nd_invoke, op, inputs, params, out), fname)
  if (!is.null(out)) return(out)
  if (length(res) == 1L) .mx.new(res, "MXNDArray") else lapply(res, .mx.new, cls = "MXNDArray")
}

# R functions called by the engine (training callbacks): never let an R error unwind
# through Python; report it as a value.
.mx.callback.run <- function(f, args) {
  tryCatch(list(TRUE, do.call(f, .mx.unmarshal(args))),
           error = function(e) list(FALSE, conditionMessage(e)))
}

#' Engine internals
#'
#' \code{mx.internal.handle.count} gives the number of engine objects R currently holds
#' (they are released when R's garbage collector frees their R objects);
#' \code{mx.internal.call} calls an engine function by its dotted Python path with
#' arguments converted by the bridge's generic rule.
#'
#' @param path dotted Python path of a function, e.g. \code{"pybridge.ndarray.ones"}.
#' @param ... arguments; named ones are passed by name.
#' @return The number of handles; the converted result of the call.
#' @name mx.internal
#' @keywords internal
mx.internal.handle.count <- function() {
  .mx.check(.External(.MXNetEnv$handle_count), "mx.internal.handle.count")
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
