# Contexts: mx.cpu(), mx.gpu(), the default context.

.mx.context <- function(device, dev.id, typeid, fname) {
  if (!is.numeric(dev.id) || length(dev.id) != 1L || is.na(dev.id) || dev.id < 0 ||
      dev.id != round(dev.id)) {
    stop(fname, ": dev.id must be a non-negative integer", call. = FALSE)
  }
  structure(list(device = device, device_id = as.integer(dev.id), device_typeid = typeid),
            class = "MXContext")
}

mx.cpu <- function(dev.id = 0L) .mx.context("cpu", dev.id, 1L, "mx.cpu")

mx.gpu <- function(dev.id = 0L) .mx.context("gpu", dev.id, 2L, "mx.gpu")

is.mx.context <- function(x) inherits(x, "MXContext")

init.context.default <- function() {
  .MXNetEnv[["mx.ctx.internal.default.value"]] <- mx.cpu()
}

mx.ctx.default <- function(new = NULL) {
  if (!is.null(new)) {
    if (!is.mx.context(new)) {
      stop("mx.ctx.default: new must be a context such as mx.cpu() or mx.gpu()", call. = FALSE)
    }
    .MXNetEnv[["mx.ctx.internal.default.value"]] <- new
  }
  .MXNetEnv[["mx.ctx.internal.default.value"]]
}

.mx.ctx.arg <- function(ctx, fname) {
  if (is.null(ctx)) return(mx.ctx.default())
  if (!is.mx.context(ctx)) {
    stop(fname, ": ctx must be a context such as mx.cpu() or mx.gpu()", call. = FALSE)
  }
  ctx
}
