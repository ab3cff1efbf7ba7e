# Models: mx.model.FeedForward.create (training in the engine's loop), predict, checkpoints
# (mx.model.save / mx.model.load), parameter initialization and the model's history plot.

.mx.model.new <- function(symbol, arg.params, aux.params, history = NULL) {
  if (!length(arg.params)) arg.params <- structure(list(), names = character(0))
  if (!length(aux.params)) aux.params <- structure(list(), names = character(0))
  model <- list(symbol = symbol, arg.params = arg.params, aux.params = aux.params)
  if (!is.null(history)) model$history <- history
  structure(model, class = "MXFeedForwardModel")
}

is.mx.model <- function(x) inherits(x, "MXFeedForwardModel")

mx.model.init.params <- function(symbol, input.shape, output.shape, initializer, ctx) {
  if (!is.mx.symbol(symbol)) stop("mx.model.init.params: symbol needs to be MXSymbol",
                                  call. = FALSE)
  slist <- do.call(mx.symbol.infer.shape, c(list(symbol), as.list(input.shape),
                                            as.list(output.shape)))
  if (is.null(slist)) {
    stop("mx.model.init.params: Not enough information to get shapes", call. = FALSE)
  }
  arg.params <- mx.init.create(initializer, slist$arg.shapes, ctx, skip.unknown = TRUE)
  aux.params <- mx.init.create(initializer, slist$aux.shapes, ctx, skip.unknown = FALSE)
  list(arg.params = arg.params, aux.params = aux.params)
}

mx.model.select.layout.train <- function(X, y) {
  if (is.null(y)) stop("mx.model.FeedForward.create: Need to provide y for training",
                       call. = FALSE)
  y <- as.array(y)
  dimX <- dim(X)
  dimy <- dim(y)
  if (length(dimX) != 2L) return("colmajor")
  rowmajor <- dimX[[1L]] == dimy[[1L]]
  colmajor <- dimX[[length(dimX)]] == dimy[[length(dimy)]]
  if (rowmajor + colmajor != 1L) {
    stop("mx.model.FeedForward.create: Cannot auto select array.layout, please specify ",
         "this parameter", call. = FALSE)
  }
  if (rowmajor) {
    warning("Auto detect layout of input matrix, use rowmajor..\n", call. = FALSE)
    "rowmajor"
  } else {
    warning("Auto detect layout input matrix, use colmajor..\n", call. = FALSE)
    "colmajor"
  }
}

mx.model.select.layout.predict <- function(X, model) {
  dimX <- dim(X)
  if (length(dimX) != 2L) return("colmajor")
  fits <- function(nfeature) {
    ret <- mx.symbol.infer.shape(model$symbol, data = c(nfeature, 1))
    if (is.null(ret)) return(FALSE)
    nms <- names(model$arg.params)
    all(vapply(nms, function(n) {
      s <- ret$arg.shapes[[n]]
      is.null(s) || identical(as.numeric(s), as.numeric(dim(model$arg.params[[n]])))
    }, logical(1)))
  }
  rowmajor <- fits(dimX[[2L]])
  colmajor <- fits(dimX[[1L]])
  if (rowmajor + colmajor != 1L) {
    stop("predict: Cannot auto select array.layout, please specify this parameter",
         call. = FALSE)
  }
  if (rowmajor) {
    warning("Auto detect layout of input matrix, use rowmajor..\n", call. = FALSE)
    "rowmajor"
  } else {
    warning("Auto detect layout input matrix, use colmajor..\n", call. = FALSE)
    "colmajor"
  }
}

# An R array (+ labels) as an iterator, with the layout rule of the real package.
.mx.model.array.iter <- function(X, y, layout, batch.size, shuffle, fname, model = NULL) {
  if (is.data.frame(X)) X <- data.matrix(X)
  if (!is.character(layout) || length(layout) != 1L ||
      !layout %in% c("auto", "rowmajor", "colmajor")) {
    stop(fname, ": array.layout must be \"auto\", \"rowmajor\" or \"colmajor\"", call. = FALSE)
  }
  if (anyNA(X)) stop(fname, ": the data contain NA values", call. = FALSE)
  if (layout == "auto") {
    layout <- if (is.null(model)) mx.model.select.layout.train(X, y)
              else mx.model.select.layout.predict(X, model)
  }
  if (layout == "rowmajor") {
    if (length(dim(X)) != 2L) {
      stop(fname, ": array.layout = \"rowmajor\" is only supported for matrices", call. = FALSE)
    }
    X <- t(X)
  }
  n <- .mx.num.samples(X)
  if (is.null(y)) y <- rep(0, n)
  if (.mx.num.samples(y) != n) {
    stop(fname, ": y has ", .mx.num.samples(y), " labels but X has ", n, " samples",
         call. = FALSE)
  }
  mx.io.arrayiter(X, y, batch.size = min(n, batch.size), shuffle = shuffle)
}

.mx.callbacks <- function(cb, what, fname) {
  if (is.null(cb)) return(NULL)
  if (is.function(cb)) return(list(cb))
  if (is.list(cb) && all(vapply(cb, is.function, logical(1)))) return(cb)
  stop(fname, ": ", what, " must be a function(iteration, nbatch, env, verbose) or a list ",
       "of them", call. = FALSE)
}

# The check of labels against the classes of a softmax output, before any training.
.mx.check.labels <- function(symbol, iter, shapes, fname, what) {
  rng <- if (inherits(iter, "MXDataIter")) attr(iter, "label.range", exact = TRUE) else NULL
  if (is.null(rng)) return(invisible(NULL))
  heads <- .mx.py(fname, .mx.sym.path("head_ops"), list(symbol))
  if (!identical(unlist(heads)[1L], "SoftmaxOutput")) return(invisible(NULL))
  inf <- do.call(mx.symbol.infer.shape, c(list(symbol), shapes$input, shapes$output))
  if (is.null(inf) || !length(inf$out.shapes)) return(invisible(NULL))
  out <- inf$out.shapes[[1L]]
  k <- out[[1L]]
  if (length(out) == 2L && (rng[[1L]] < 0 || rng[[2L]] > k - 1)) {
    stop(fname, ": ", what, " labels range from ", rng[[1L]], " to ", rng[[2L]],
         " but the network's softmax output has ", k, " classes (labels 0 to ", k - 1, ")",
         call. = FALSE)
  }
  invisible(NULL)
}

# The training loops' argument checks (mx.model.FeedForward.create, mx.model.buckets): the
# counts named in `...` are positive whole numbers, `initializer` a function.
.mx.model.check.loop <- function(fname, initializer, ...) {
  counts <- list(...)
  for (v in names(counts)) .mx.rnn.count(counts[[v]], v, fname)
  if (!is.function(initializer)) {
    stop(fname, ": initializer must be a function such as mx.init.uniform(0.01)", call. = FALSE)
  }
  invisible(NULL)
}

# The names of the symbol's data and label arguments: those ending in "data" and "label"
# (internal, as in the real package, which example scripts call with mxnet:::).
mx.model.check.arguments <- function(symbol) {
  if (!is.mx.symbol(symbol)) {
    stop("mx.model.check.arguments: symbol must be an MXSymbol", call. = FALSE)
  }
  data <- NULL
  label <- NULL
  for (nm in arguments(symbol)) {
    if (endsWith(nm, "data")) {
      if (!is.null(data)) {
        stop("mx.model.check.arguments: Multiple fields contains suffix data", call. = FALSE)
      }
      data <- nm
    }
    if (endsWith(nm, "label")) {
      if (!is.null(label)) {
        stop("mx.model.check.arguments: Multiple fields contains suffix label", call. = FALSE)
      }
      label <- nm
    }
  }
  c(data, label)
}

mx.model.FeedForward.create <- function(symbol, X, y = NULL, ctx = NULL, begin.round = 1,
                                        num.round = 10, optimizer = "sgd",
                                        initializer = mx.init.uniform(0.01),
                                        eval.data = NULL, eval.metric = NULL,
                                        epoch.end.callback = NULL, batch.end.callback = NULL,
                                        array.batch.size = 128, array.layout = "auto",
                                        kvstore = "local", verbose = TRUE,
                                        arg.params = NULL, aux.params = NULL,
                                        input.names = NULL, output.names = NULL,
                                        fixed.param = NULL, allow.extra.params = FALSE,
                                        metric_cpu = TRUE, ...) {
  fname <- "mx.model.FeedForward.create"
  if (!is.mx.symbol(symbol)) stop(fname, ": symbol must be an MXSymbol", call. = FALSE)
  .mx.model.check.loop(fname, begin.round = begin.round, num.round = num.round,
                       array.batch.size = array.batch.size, initializer = initializer)
  verbose <- isTRUE(verbose)
  if (is.data.frame(X)) X <- data.matrix(X)
  if (is.array(X) || is.matrix(X) || (is.numeric(X) && is.null(dim(X)))) {
    if (missing(y) || is.null(y)) {
      stop(fname, ": Need to provide parameter y for training with R arrays.", call. = FALSE)
    }
    if (is.data.frame(y)) y <- data.matrix(y)
    if (anyNA(y)) stop(fname, ": y contains NA values", call. = FALSE)
    if (is.null(dim(X))) X <- matrix(X, nrow = 1L)
    X <- .mx.model.array.iter(X, y, array.layout, array.batch.size, TRUE, fname)
  } else if (!is.mx.dataiter(X)) {
    stop(fname, ": X must be an R array/matrix or a data iterator (mx.io.arrayiter, ...)",
         call. = FALSE)
  }
  arg.names <- arguments(symbol)
  if (is.null(input.names)) input.names <- "data"
  if (is.null(output.names)) output.names <- arg.names[endsWith(arg.names, "label")]
  missing.in <- setdiff(input.names, arg.names)
  if (length(missing.in)) {
    stop(fname, ": input '", missing.in[[1L]], "' is not an argument of the symbol (",
         paste(arg.names, collapse = ", "), ")", call. = FALSE)
  }
  train.iter <- .mx.io.engine(X, input.names, output.names, fname)
  if (is.null(.mx.py(fname, .mx.sym.path("iter_summary"), list(train.iter)))) {
    stop(fname, ": Empty input: the training data give no batch", call. = FALSE)
  }
  shapes <- .mx.py(fname, .mx.sym.path("iter_shapes"),
                   list(train.iter, as.list(input.names), as.list(output.names)))
  .mx.check.labels(symbol, X, shapes, fname, "training")
  # parameters: initialized as the real package does, then those given by the user
  params <- mx.model.init.params(symbol, shapes$input, shapes$output, initializer, mx.cpu())
  for (what in c("arg.params", "aux.params")) {
    given <- get(what)
    if (is.null(given)) next
    if (!is.list(given) || (length(given) && is.null(names(given)))) {
      stop(fname, ": ", what, " must be a named list of MXNDArray", call. = FALSE)
    }
    known <- if (what == "arg.params") arg.names else symbol$auxiliary.states
    extra <- setdiff(names(given), known)
    if (length(extra) && !isTRUE(allow.extra.params)) {
      stop(fname, ": ", what, " has parameter(s) the symbol does not have: ",
           paste(extra, collapse = ", "), " (use allow.extra.params = TRUE)", call. = FALSE)
    }
    given <- given[names(given) %in% known]
    for (n in names(given)) {
      v <- given[[n]]
      if (!is.mx.ndarray(v)) v <- mx.nd.array(v)
      params[[what]][[n]] <- v
    }
  }
  if (is.null(ctx)) ctx <- mx.ctx.default()
  if (is.mx.context(ctx)) ctx <- list(ctx)
  if (!is.list(ctx) || !length(ctx) || !all(vapply(ctx, is.mx.context, logical(1)))) {
    stop(fname, ": ctx must be mx.context or list of mx.context", call. = FALSE)
  }
  ctx1 <- ctx[[1L]]
  # the engine trains on one device: say so in the words of the engine's Module, and count
  # the devices actually used in the "Start training" line below
  if (length(ctx) > 1L && verbose) {
    message("Training on ", ctx1$device, "(", ctx1$device_id, ") only; data parallelism over ",
            length(ctx), " devices is not supported by this engine")
  }
  batch.size <- shapes$input[[1L]][[length(shapes$input[[1L]])]]
  if (is.character(optimizer)) {
    optimizer <- mx.opt.create(optimizer, rescale.grad = (1 / batch.size), ...)
  } else if (!is.mx.optimizer(optimizer)) {
    stop(fname, ": optimizer must be a name such as \"sgd\" or made by mx.opt.create",
         call. = FALSE)
  }
  engine.opt <- .mx.opt.engine(optimizer, fname)
  eval.iter <- NULL
  if (!is.null(eval.data)) {
    if (is.list(eval.data) && !is.mx.dataiter(eval.data)) {
      if (is.null(eval.data$data) || is.null(eval.data$label)) {
        stop(fname, ": Please provide the validation set as list(data=R.array, label=R.array)",
             call. = FALSE)
      }
      eval.data <- .mx.model.array.iter(eval.data$data, eval.data$label, array.layout,
                                        array.batch.size, FALSE, fname)
    } else if (!is.mx.dataiter(eval.data)) {
      stop(fname, ": The validation set should be either a mx.io.DataIter or a R list",
           call. = FALSE)
    }
    eval.iter <- .mx.io.engine(eval.data, input.names, output.names, fname)
    if (is.null(.mx.py(fname, .mx.sym.path("iter_summary"), list(eval.iter)))) {
      stop(fname, ": eval.data gives no batch", call. = FALSE)
    }
    .mx.check.labels(symbol, eval.data, shapes, fname, "validation")
  }
  metric <- .mx.metric.spec(eval.metric, fname)
  epoch.cbs <- .mx.callbacks(epoch.end.callback, "epoch.end.callback", fname)
  batch.cbs <- .mx.callbacks(batch.end.callback, "batch.end.callback", fname)
  env <- new.env()
  if (!is.null(metric)) env$metric <- list(get = function(state) state)
  env$symbol <- symbol
  env$begin.round <- begin.round
  env$end.round <- num.round
  # batch-end callbacks run inside the engine's loop: their messages and warnings are kept
  # and re-signalled in R after the epoch (where the caller's handlers can see them)
  held <- new.env()
  held$conds <- list()
  batch.fn <- NULL
  if (!is.null(batch.cbs)) {
    batch.fn <- function(iteration, nbatch, train) {
      env$iteration <- iteration
      env$train.metric <- train
      env$eval.metric <- NULL
      keep <- TRUE
      withCallingHandlers({
        for (cb in batch.cbs) if (identical(cb(iteration, nbatch, env), FALSE)) keep <- FALSE
      }, message = function(m) {
        held$conds[[length(held$conds) + 1L]] <- m
        invokeRestart("muffleMessage")
      }, warning = function(w) {
        held$conds[[length(held$conds) + 1L]] <- w
        invokeRestart("muffleWarning")
      })
      keep
    }
  }
  progress <- NULL
  if (verbose && interactive()) {
    pb <- NULL
    progress <- function(i, n) {
      if (n <= 0) return(NULL)
      if (is.null(pb)) pb <<- utils::txtProgressBar(min = 0, max = n, style = 3)
      utils::setTxtProgressBar(pb, i)
      if (i >= n) {
        close(pb)
        pb <<- NULL
      }
      NULL
    }
  }
  kv <- .mx.model.kvstore(kvstore, fname)
  trainer <- .mx.py(fname, .mx.sym.path("Trainer"),
                    list(symbol, train.iter, eval.iter, ctx1, engine.opt, metric,
                         params$arg.params, params$aux.params, as.list(input.names),
                         as.list(output.names), as.list(fixed.param), batch.fn, progress))
  .mx.model.attach.kvstore(trainer, kv, fname)
  flush.held <- function() {
    conds <- held$conds
    held$conds <- list()
    for (cond in conds) {
      if (inherits(cond, "message")) message(cond) else warning(cond)
    }
  }
  if (verbose) message("Start training with 1 devices")
  for (iteration in seq.int(begin.round, length.out = max(0, num.round - begin.round + 1))) {
    res <- tryCatch(.mx.method(fname, trainer, "epoch", list(iteration)),
                    error = function(e) {
                      flush.held()
                      stop(e)
                    })
    flush.held()
    if (verbose && !is.null(res$train)) {
      message("[", iteration, "] Train-", res$train$name, "=", res$train$value)
    }
    if (verbose && !is.null(res$validation)) {
      message("[", iteration, "] Validation-", res$validation$name, "=", res$validation$value)
    }
    if (!is.null(epoch.cbs)) {
      p <- .mx.method(fname, trainer, "params")
      env$iteration <- iteration
      env$train.metric <- res$train
      env$eval.metric <- res$validation
      env$model <- .mx.model.new(symbol, p$arg.params, p$aux.params)
      keep <- TRUE
      for (cb in epoch.cbs) {
        if (identical(cb(iteration, 0, env, verbose = verbose), FALSE)) keep <- FALSE
      }
      if (!keep) break
    }
  }
  p <- .mx.method(fname, trainer, "params")
  .mx.model.new(symbol, p$arg.params, p$aux.params,
                .mx.history(.mx.method(fname, trainer, "history")))
}

.mx.history <- function(h) {
  fix <- function(x) lapply(x, function(v) as.numeric(unlist(v)))
  list(train = fix(h$train), validation = fix(h$validation), time = as.numeric(unlist(h$time)))
}

predict.MXFeedForwardModel <- function(object, X, ctx = NULL, array.batch.size = 128,
                                       array.layout = "auto", allow.extra.params = FALSE, ...) {
  fname <- "predict"
  model <- object
  if (is.serialized(model)) model <- mx.unserialize(model)
  if (is.null(ctx)) ctx <- mx.ctx.default()
  if (!is.mx.context(ctx)) stop(fname, ": ctx must be mx.cpu() or mx.gpu()", call. = FALSE)
  if (missing(X)) stop(fname, ": X (the data to predict) is missing", call. = FALSE)
  if (is.data.frame(X)) X <- data.matrix(X)
  if (is.array(X) || is.matrix(X) || (is.numeric(X) && is.null(dim(X)))) {
    if (is.null(dim(X))) X <- matrix(X, ncol = 1L)
    X <- .mx.model.array.iter(X, NULL, array.layout, array.batch.size, FALSE, fname, model)
  } else if (!is.mx.dataiter(X)) {
    stop(fname, ": X must be an R array/matrix or a data iterator", call. = FALSE)
  }
  it <- .mx.io.engine(X, "data", character(0), fname)
  res <- .mx.py(fname, .mx.sym.path("predict"),
                list(model$symbol, model$arg.params, model$aux.params, it, ctx,
                     isTRUE(allow.extra.params)))
  if (is.null(dim(res))) res <- matrix(res, nrow = 1L)
  res
}

mx.model.save <- function(model, prefix, iteration) {
  fname <- "mx.model.save"
  if (!is.mx.model(model)) stop(fname, ": model must be an MXFeedForwardModel", call. = FALSE)
  if (is.serialized(model)) model <- mx.unserialize(model)
  if (!is.character(prefix) || length(prefix) != 1L) {
    stop(fname, ": prefix must be a single string", call. = FALSE)
  }
  if (!is.numeric(iteration) || length(iteration) != 1L || iteration < 0) {
    stop(fname, ": iteration must be a non-negative number", call. = FALSE)
  }
  .mx.py(fname, .mx.sym.path("save_checkpoint"),
         list(path.expand(prefix), as.integer(iteration), model$symbol,
              as.list(model$arg.params), as.list(model$aux.params)))
  invisible(NULL)
}

mx.model.load <- function(prefix, iteration) {
  fname <- "mx.model.load"
  if (!is.character(prefix) || length(prefix) != 1L) {
    stop(fname, ": prefix must be a single string", call. = FALSE)
  }
  prefix <- path.expand(prefix)
  files <- c(paste0(prefix, "-symbol.json"), sprintf("%s-%04d.params", prefix, as.integer(iteration)))
  for (f in files) if (!file.exists(f)) {
    stop(fname, ": cannot open file '", f, "': no such file", call. = FALSE)
  }
  res <- .mx.py(fname, .mx.sym.path("load_checkpoint"), list(prefix, as.integer(iteration)))
  .mx.model.new(res$symbol, res$arg.params, res$aux.params)
}

print.MXFeedForwardModel <- function(x, ...) {
  if (is.serialized(x)) {
    cat("MXFeedForwardModel (serialized)\n")
    return(invisible(x))
  }
  cat("MXFeedForwardModel\n")
  cat("  outputs: ", paste(outputs(x$symbol), collapse = ", "), "\n", sep = "")
  np <- sum(vapply(x$arg.params, length, numeric(1)))
  cat("  parameters: ", length(x$arg.params), " arrays, ", format(np, big.mark = ","),
      " values\n", sep = "")
  if (!is.null(x$history) && length(x$history$train)) {
    last <- function(h) vapply(h, function(v) v[[length(v)]], numeric(1))
    cat("  epochs: ", length(x$history$time), "; last ",
        paste0("Train-", names(x$history$train), "=", format(last(x$history$train)),
               collapse = ", "), "\n", sep = "")
    if (length(x$history$validation)) {
      cat("  last ", paste0("Validation-", names(x$history$validation), "=",
                            format(last(x$history$validation)), collapse = ", "), "\n", sep = "")
    }
  }
  invisible(x)
}

plot.MXFeedForwardModel <- function(x, y, ...) {
  h <- x$history
  if (is.null(h) || !length(h$train)) {
    stop("plot: the model has no metric history (it was not trained by ",
         "mx.model.FeedForward.create in this session)", call. = FALSE)
  }
  name <- names(h$train)[[1L]]
  tr <- h$train[[1L]]
  va <- if (length(h$validation)) h$validation[[1L]] else NULL
  rng <- range(c(tr, va), finite = TRUE)
  graphics::plot(seq_along(tr), tr, type = "b", pch = 19, col = "steelblue", ylim = rng,
                 xlab = "epoch", ylab = name, main = paste("Training history:", name), ...)
  if (!is.null(va)) {
    graphics::lines(seq_along(va), va, type = "b", pch = 17, col = "darkorange")
    graphics::legend("bottomright", legend = c("train", "validation"),
                     col = c("steelblue", "darkorange"), pch = c(19, 17), lty = 1, bty = "n")
  }
  invisible(x)
}
