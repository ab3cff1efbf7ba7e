# Initializers: as in the real package, an initializer is a function(name, shape, ctx,
# allow.unknown) that returns the MXNDArray for one parameter (shape in R order); the
# random ones draw from the engine's generator (mx.set.seed repeats them).

.mx.init.array <- function(kind, shape, ctx, a = 0, b = 1) {
  if (is.null(ctx)) ctx <- mx.ctx.default()
  .mx.py("initializer", .mx.sym.path("init_array"), list(kind, as.list(as.numeric(shape)), ctx,
                                                      as.numeric(a), as.numeric(b)))
}

mx.init.internal.default <- function(name, shape, ctx = NULL, allow.unknown = FALSE) {
  if (endsWith(name, "bias")) return(.mx.init.array("zeros", shape, ctx))
  if (endsWith(name, "gamma")) return(.mx.init.array("ones", shape, ctx))
  if (endsWith(name, "beta")) return(.mx.init.array("zeros", shape, ctx))
  if (endsWith(name, "moving_mean")) return(.mx.init.array("zeros", shape, ctx))
  if (endsWith(name, "moving_var")) return(.mx.init.array("ones", shape, ctx))
  if (allow.unknown) return(NULL)
  stop(paste("Unkown initialization pattern for ", name), call. = FALSE)
}

.mx.init.check <- function(value, what, fname) {
  if (!is.numeric(value) || length(value) != 1L || is.na(value) || value < 0) {
    stop(fname, ": ", what, " must be a single non-negative number", call. = FALSE)
  }
}

mx.init.uniform <- function(scale) {
  .mx.init.check(scale, "scale", "mx.init.uniform")
  function(name, shape, ctx = NULL, allow.unknown = FALSE) {
    if (!endsWith(name, "weight")) {
      return(mx.init.internal.default(name, shape, ctx, allow.unknown = allow.unknown))
    }
    .mx.init.array("uniform", shape, ctx, -scale, scale)
  }
}

mx.init.normal <- function(sd) {
  .mx.init.check(sd, "sd", "mx.init.normal")
  function(name, shape, ctx = NULL, allow.unknown = FALSE) {
    if (!endsWith(name, "weight")) {
      return(mx.init.internal.default(name, shape, ctx, allow.unknown = allow.unknown))
    }
    .mx.init.array("normal", shape, ctx, 0, sd)
  }
}

mx.init.Xavier <- function(rnd_type = "uniform", factor_type = "avg", magnitude = 3) {
  if (!is.character(rnd_type) || length(rnd_type) != 1L ||
      !rnd_type %in% c("uniform", "gaussian")) {
    stop("mx.init.Xavier: Not supported random type. See usage of function mx.init.Xavier",
         call. = FALSE)
  }
  if (!is.character(factor_type) || length(factor_type) != 1L ||
      !factor_type %in% c("avg", "in", "out")) {
    stop("mx.init.Xavier: Not supported factor type. See usage of function mx.init.Xavier",
         call. = FALSE)
  }
  .mx.init.check(magnitude, "magnitude", "mx.init.Xavier")
  function(name, shape, ctx = NULL, allow.unknown = FALSE) {
    if (!endsWith(name, "weight")) {
      return(mx.init.internal.default(name, shape, ctx, allow.unknown = allow.unknown))
    }
    fan_out <- shape[length(shape)]
    fan_in <- prod(shape[-length(shape)])
    factor_val <- switch(factor_type, avg = (fan_in + fan_out) / 2, "in" = fan_in,
                         out = fan_out)
    scale <- sqrt(magnitude / factor_val)
    if (rnd_type == "uniform") .mx.init.array("uniform", shape, ctx, -scale, scale)
    else .mx.init.array("normal", shape, ctx, 0, scale)
  }
}

mx.init.create <- function(initializer, shape.array, ctx = NULL, skip.unknown = TRUE) {
  if (!is.function(initializer)) {
    stop("mx.init.create: initializer must be a function such as mx.init.uniform(0.01)",
         call. = FALSE)
  }
  if (length(shape.array) == 0L) return(list())
  nms <- names(shape.array)
  if (is.null(nms)) stop("mx.init.create: shape.array must be a named list", call. = FALSE)
  ret <- lapply(seq_along(nms), function(i) {
    initializer(nms[[i]], shape.array[[i]], ctx, allow.unknown = skip.unknown)
  })
  names(ret) <- nms
  if (skip.unknown) ret <- ret[!vapply(ret, is.null, logical(1))]
  ret
}
