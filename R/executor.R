# Executors: a symbol bound to arrays (mx.simple.bind, mx.symbol.bind), forward/backward and
# the `$` members of the real package's MXExecutor.

.mx.exec.arg <- function(x, fname) {
  if (!inherits(x, "MXExecutor")) stop(fname, ": exec must be an MXExecutor", call. = FALSE)
  invisible(x)
}

mx.simple.bind <- function(symbol, ctx, grad.req = "null", fixed.param = NULL, ...) {
  if (!is.mx.symbol(symbol)) stop("mx.simple.bind: symbol need to be MXSymbol", call. = FALSE)
  if (!is.mx.context(ctx)) {
    stop("mx.simple.bind: ctx must be a context such as mx.cpu() or mx.gpu()", call. = FALSE)
  }
  if (!is.character(grad.req) || length(grad.req) != 1L ||
      !grad.req %in% c("null", "write", "add")) {
    stop("mx.simple.bind: grad.req must be \"null\", \"write\" or \"add\"", call. = FALSE)
  }
  shapes <- list(...)
  if (length(shapes) && (is.null(names(shapes)) || !all(nzchar(names(shapes))))) {
    stop("mx.simple.bind: shapes must be given as name = dim", call. = FALSE)
  }
  shapes <- lapply(shapes, function(s) as.list(as.numeric(s)))
  .mx.py("mx.simple.bind", .mx.sym.path("simple_bind"),
         list(symbol, ctx, grad.req, as.list(fixed.param), shapes))
}

mx.symbol.bind <- function(symbol, ctx, arg.arrays, aux.arrays, grad.reqs) {
  if (!is.mx.symbol(symbol)) stop("mx.symbol.bind: symbol need to be MXSymbol", call. = FALSE)
  if (!is.mx.context(ctx)) {
    stop("mx.symbol.bind: ctx must be a context such as mx.cpu() or mx.gpu()", call. = FALSE)
  }
  .mx.py("mx.symbol.bind", .mx.sym.path("bind"),
         list(symbol, ctx, unname(as.list(arg.arrays)), unname(as.list(aux.arrays)),
              as.list(unlist(grad.reqs))))
}

.mx.exec.update <- function(exec, which, arrays, match.name, skip.null, fname) {
  .mx.exec.arg(exec, fname)
  if (is.mx.ndarray(arrays)) arrays <- list(arrays)
  if (!is.list(arrays)) stop(fname, ": arrays must be a list of MXNDArray", call. = FALSE)
  if (isTRUE(match.name)) {
    nms <- names(arrays)
    if (length(arrays) && (is.null(nms) || !all(nzchar(nms)))) {
      stop(fname, ": with match.name = TRUE every array must be named", call. = FALSE)
    }
    if (length(arrays)) {
      keep <- !vapply(arrays, is.null, logical(1)) | !isTRUE(skip.null)
      arrays <- arrays[keep]
    }
  } else {
    arrays <- unname(arrays)
  }
  .mx.py(fname, .mx.sym.path("exec_update"),
         list(exec, which, arrays, isTRUE(match.name), isTRUE(skip.null), fname))
  invisible(exec)
}

mx.exec.update.arg.arrays <- function(exec, arg.arrays, match.name = FALSE, skip.null = FALSE) {
  .mx.exec.update(exec, "arg", arg.arrays, match.name, skip.null, "mx.exec.update.arg.arrays")
}

mx.exec.update.aux.arrays <- function(exec, arg.arrays, match.name = FALSE, skip.null = FALSE) {
  .mx.exec.update(exec, "aux", arg.arrays, match.name, skip.null, "mx.exec.update.aux.arrays")
}

mx.exec.update.grad.arrays <- function(exec, arg.arrays, match.name = FALSE, skip.null = FALSE) {
  .mx.exec.update(exec, "grad", arg.arrays, match.name, skip.null, "mx.exec.update.grad.arrays")
}

mx.exec.forward <- function(exec, is.train = TRUE) {
  .mx.exec.arg(exec, "mx.exec.forward")
  .mx.py("mx.exec.forward", .mx.sym.path("exec_forward"), list(exec, isTRUE(is.train)))
  invisible(exec)
}

mx.exec.backward <- function(exec, ...) {
  .mx.exec.arg(exec, "mx.exec.backward")
  grads <- list(...)
  if (length(grads) == 1L && is.list(grads[[1L]])) grads <- grads[[1L]]
  .mx.py("mx.exec.backward", .mx.sym.path("exec_backward"), list(exec, unname(grads)))
  invisible(exec)
}

.mx.exec.arrays <- function(exec, which, copy) {
  res <- .mx.py(paste0("MXExecutor$", which), .mx.sym.path("exec_arrays"),
                list(exec, which, copy))
  if (!length(res)) return(structure(list(), names = character(0)))
  res
}

`$.MXExecutor` <- function(x, name) {
  switch(name,
    arg.arrays = .mx.exec.arrays(x, "arg", TRUE),
    ref.arg.arrays = .mx.exec.arrays(x, "arg", FALSE),
    grad.arrays = .mx.exec.arrays(x, "grad", TRUE),
    ref.grad.arrays = .mx.exec.arrays(x, "grad", FALSE),
    aux.arrays = .mx.exec.arrays(x, "aux", TRUE),
    ref.aux.arrays = .mx.exec.arrays(x, "aux", FALSE),
    outputs = .mx.exec.arrays(x, "out", TRUE),
    ref.outputs = .mx.exec.arrays(x, "out", FALSE),
    forward = function(is.train = TRUE, kwargs = list()) mx.exec.forward(x, is.train),
    backward = function(out.grads = list()) do.call(mx.exec.backward, c(list(x), out.grads)),
    update.arg.arrays = function(arrays, match.name = FALSE, skip.null = FALSE)
      mx.exec.update.arg.arrays(x, arrays, match.name, skip.null),
    update.aux.arrays = function(arrays, match.name = FALSE, skip.null = FALSE)
      mx.exec.update.aux.arrays(x, arrays, match.name, skip.null),
    update.grad.arrays = function(arrays, match.name = FALSE, skip.null = FALSE)
      mx.exec.update.grad.arrays(x, arrays, match.name, skip.null),
    stop("MXExecutor has no member '", name, "'", call. = FALSE))
}

print.MXExecutor <- function(x, ...) {
  cat("MXExecutor with arguments: ", paste(names(x$ref.arg.arrays), collapse = ", "), "\n",
      sep = "")
  invisible(x)
}
