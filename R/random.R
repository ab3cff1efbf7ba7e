# Random numbers on the engine's generators: mx.set.seed, mx.runif, mx.rnorm.

mx.set.seed <- function(seed) {
  if (!is.numeric(seed) || length(seed) != 1L || is.na(seed) || !is.finite(seed) ||
      abs(seed) > .Machine$integer.max) {
    stop("mx.set.seed: seed must be a single integer-valued number", call. = FALSE)
  }
  .mx.py("mx.set.seed", "pybridge.random.seed", list(as.integer(seed)))
  invisible(NULL)
}

.mx.random <- function(fname, path, shape, a, b, names, ctx) {
  if (!is.numeric(a) || length(a) != 1L) stop(fname, " only accept numeric ", names[1], call. = FALSE)
  if (!is.numeric(b) || length(b) != 1L) stop(fname, " only accept numeric ", names[2], call. = FALSE)
  shape <- .mx.shape.arg(shape, fname)
  kwargs <- list(a, b, shape, .mx.ctx.arg(ctx, fname))
  names(kwargs) <- c(if (names[1] == "min") c("low", "high") else c("loc", "scale"),
                     "shape", "ctx")
  .mx.py(fname, path, list(), kwargs)
}

mx.runif <- function(shape, min = 0, max = 1, ctx = NULL) {
  .mx.random("mx.runif", "pybridge.ndarray.random.uniform", shape, min, max,
             c("min", "max"), ctx)
}

mx.rnorm <- function(shape, mean = 0, sd = 1, ctx = NULL) {
  .mx.random("mx.rnorm", "pybridge.ndarray.random.normal", shape, mean, sd,
             c("mean", "sd"), ctx)
}
