# Optimizers. mx.opt.create(name, ...) gives an "MXOptimizer": the real package's parameters
# (learning.rate, wd, rescale.grad, clip_gradient, lr_scheduler, ...) held in R plus the
# engine's optimizer that applies them (in the training loop, or through mx.opt.get.updater).

# `nullable`: parameters that the real optimizer read NULL for as "off" (clip_gradient of
# adagrad, adadelta and nag: no clipping); the others passed NULL on to an operator and failed.
.mx.opt.new <- function(name, args, nullable = character(0)) {
  fname <- paste0("mx.opt.", name)
  for (key in names(args)) {
    v <- args[[key]]
    if (is.null(v) && key %in% nullable) next
    if (key == "lr_scheduler") {
      if (!is.null(v) && (!is.function(v) || is.null(attr(v, "mx.engine")))) {
        stop(fname, ": lr_scheduler must be made by mx.lr_scheduler.FactorScheduler or ",
             "mx.lr_scheduler.MultiFactorScheduler", call. = FALSE)
      }
      next
    }
    if (key == "centered") {
      if (!is.logical(v) || length(v) != 1L || is.na(v)) {
        stop(fname, ": centered must be TRUE or FALSE", call. = FALSE)
      }
      next
    }
    if (!is.numeric(v) || length(v) != 1L || is.na(v)) {
      stop(fname, ": ", key, " must be a single number",
           if (key == "clip_gradient") " (-1: no clipping)", call. = FALSE)
    }
  }
  structure(list(name = name, args = args), class = "MXOptimizer")
}

mx.opt.sgd <- function(learning.rate = 0.01, momentum = 0, wd = 0, rescale.grad = 1,
                       clip_gradient = -1, lr_scheduler = NULL) {
  .mx.opt.new("sgd", list(learning.rate = learning.rate, momentum = momentum, wd = wd,
                          rescale.grad = rescale.grad, clip_gradient = clip_gradient,
                          lr_scheduler = lr_scheduler))
}

mx.opt.rmsprop <- function(learning.rate = 0.002, centered = TRUE, gamma1 = 0.95, gamma2 = 0.9,
                           epsilon = 1e-4, wd = 0, rescale.grad = 1, clip_gradient = -1,
                           lr_scheduler = NULL) {
  .mx.opt.new("rmsprop", list(learning.rate = learning.rate, centered = centered,
                              gamma1 = gamma1, gamma2 = gamma2, epsilon = epsilon, wd = wd,
                              rescale.grad = rescale.grad, clip_gradient = clip_gradient,
                              lr_scheduler = lr_scheduler))
}

mx.opt.adam <- function(learning.rate = 1e-3, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8,
                        wd = 0, rescale.grad = 1, clip_gradient = -1, lr_scheduler = NULL) {
  .mx.opt.new("adam", list(learning.rate = learning.rate, beta1 = beta1, beta2 = beta2,
                           epsilon = epsilon, wd = wd, rescale.grad = rescale.grad,
                           clip_gradient = clip_gradient, lr_scheduler = lr_scheduler))
}

mx.opt.adagrad <- function(learning.rate = 0.05, epsilon = 1e-8, wd = 0, rescale.grad = 1,
                           clip_gradient = -1, lr_scheduler = NULL) {
  .mx.opt.new("adagrad", list(learning.rate = learning.rate, epsilon = epsilon, wd = wd,
                              rescale.grad = rescale.grad, clip_gradient = clip_gradient,
                              lr_scheduler = lr_scheduler), nullable = "clip_gradient")
}

mx.opt.adadelta <- function(rho = 0.90, epsilon = 1e-5, wd = 0, rescale.grad = 1,
                            clip_gradient = -1) {
  .mx.opt.new("adadelta", list(rho = rho, epsilon = epsilon, wd = wd,
                               rescale.grad = rescale.grad, clip_gradient = clip_gradient),
              nullable = "clip_gradient")
}

mx.opt.nag <- function(learning.rate = 0.01, momentum = 0, wd = 0, rescale.grad = 1,
                       clip_gradient = -1, lr_scheduler = NULL) {
  .mx.opt.new("nag", list(learning.rate = learning.rate, momentum = momentum, wd = wd,
                          rescale.grad = rescale.grad, clip_gradient = clip_gradient,
                          lr_scheduler = lr_scheduler), nullable = "clip_gradient")
}

mx.opt.create <- function(name, ...) {
  if (!is.character(name) || length(name) != 1L) {
    stop("mx.opt.create: name must be a single string such as \"sgd\"", call. = FALSE)
  }
  f <- switch(name, sgd = mx.opt.sgd, rmsprop = mx.opt.rmsprop, adam = mx.opt.adam,
              adagrad = mx.opt.adagrad, adadelta = mx.opt.adadelta, nag = mx.opt.nag,
              stop("mx.opt.create: Unknown optimizer ", name, "; use one of sgd, rmsprop, ",
                   "adam, adagrad, adadelta, nag", call. = FALSE))
  args <- list(...)
  if (length(args) && (is.null(names(args)) || any(!nzchar(names(args))))) {
    stop("mx.opt.create: optimizer parameters must be given by name", call. = FALSE)
  }
  # R matches the names to the optimizer's formals, partially as in the real package
  # (`eps =` is adadelta's `epsilon`); names no formal (or several) would take are refused
  bad <- names(args)[is.na(pmatch(names(args), names(formals(f)), duplicates.ok = TRUE))]
  if (length(bad)) {
    stop("mx.opt.create: unknown parameter(s) ", paste(bad, collapse = ", "),
         " for optimizer \"", name, "\"; it takes ", paste(names(formals(f)), collapse = ", "),
         call. = FALSE)
  }
  do.call(f, args)
}

is.mx.optimizer <- function(x) inherits(x, "MXOptimizer")

# A fresh engine optimizer for an MXOptimizer (its own update counts and schedule).
.mx.opt.engine <- function(optimizer, fname) {
  args <- optimizer$args
  sched <- args$lr_scheduler
  args$lr_scheduler <- NULL
  if (!is.null(sched)) {
    spec <- attr(sched, "mx.engine")
    args$lr_scheduler <- .mx.py(fname, .mx.sym.path("make_scheduler"), spec)
  }
  args <- args[!vapply(args, is.null, logical(1))]
  .mx.py(fname, .mx.sym.path("make_optimizer"), list(optimizer$name, args))
}

mx.opt.get.updater <- function(optimizer, weights, ctx = NULL) {
  if (!is.mx.optimizer(optimizer)) {
    stop("mx.opt.get.updater: optimizer must be made by mx.opt.create", call. = FALSE)
  }
  updater <- .mx.py("mx.opt.get.updater", .mx.sym.path("make_updater"),
                    list(.mx.opt.engine(optimizer, "mx.opt.get.updater")))
  nms <- names(weights)
  function(weight, grad) {
    res <- .mx.py("mx.opt.get.updater", .mx.sym.path("apply_updater"),
                  list(updater, unname(as.list(weight)), unname(as.list(grad))))
    if (length(res) < length(weight)) length(res) <- length(weight)
    names(res) <- names(weight)
    res
  }
}

print.MXOptimizer <- function(x, ...) {
  a <- x$args[!vapply(x$args, is.null, logical(1))]
  a <- a[!vapply(a, is.function, logical(1))]
  cat("MXOptimizer \"", x$name, "\": ", paste(names(a), unlist(a), sep = " = ", collapse = ", "),
      "\n", sep = "")
  invisible(x)
}
