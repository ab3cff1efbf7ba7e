# mx.model.buckets: training of recurrent networks on a bucket iterator (mx.io.bucket.iter).
# The loop is the real package's, in R over the executor API: one executor per bucket (bound
# on the bucket's first batch), all sharing the same parameter arrays, so a step taken on one
# bucket is seen by all; the R optimizer through mx.opt.get.updater; the metric's R
# functions; callbacks called with the loop's environment (env$metric, env$train.metric,
# env$eval.metric, env$model), as mx.callback.* expect.

.mx.buckets.ctx <- function(ctx, fname) {
  if (is.null(ctx)) ctx <- mx.ctx.default()
  if (is.mx.context(ctx)) ctx <- list(ctx)
  if (!is.list(ctx) || !length(ctx) || !all(vapply(ctx, is.mx.context, logical(1)))) {
    stop(fname, ": ctx must be mx.context or list of mx.context", call. = FALSE)
  }
  if (length(ctx) > 1L) {
    stop(fname, ": ctx has ", length(ctx), " devices; training on more than one device is ",
         "not supported by this engine, give one context", call. = FALSE)
  }
  ctx[[1L]]
}

# The iterator positioned on its first batch (as the real loop leaves it before binding).
.mx.buckets.first <- function(iter, what, fname) {
  if (!(is.mx.bucket.iter(iter) || is.mx.dataiter(iter))) {
    stop(fname, ": ", what, " must be a bucket iterator made by mx.io.bucket.iter",
         call. = FALSE)
  }
  if (!isTRUE(iter$iter.next())) {
    iter$reset()
    if (!isTRUE(iter$iter.next())) stop(fname, ": Empty ", what, call. = FALSE)
  }
  invisible(iter)
}

# The symbol for the iterator's current bucket.
.mx.buckets.symbol <- function(symbol, iter, fname) {
  if (is.mx.symbol(symbol)) return(symbol)
  key <- if (is.mx.bucket.iter(iter)) names(iter$bucketID) else NULL
  if (is.null(key) || is.null(symbol[[key]])) {
    stop(fname, ": symbol is a list without an element for bucket '",
         if (is.null(key)) "" else key, "' (name the list by bucket, as train.data$bucket.names)",
         call. = FALSE)
  }
  symbol[[key]]
}

.mx.buckets.metric <- function(metric, fname) {
  if (is.null(metric)) return(NULL)
  if (!is.list(metric) || !all(c("init", "update", "get") %in% names(metric)) ||
      !all(vapply(metric[c("init", "update", "get")], is.function, logical(1)))) {
    stop(fname, ": metric must be a metric such as mx.metric.accuracy or ",
         "mx.metric.custom(name, feval)", call. = FALSE)
  }
  metric
}

# The executor of the current bucket: made on first use with the batch's input shapes,
# over the shared parameter arrays `state$params`.
.mx.buckets.exec <- function(state, iter, dlist, fname) {
  key <- if (is.mx.bucket.iter(iter)) names(iter$bucketID) else ".single"
  ex <- state$execs[[key]]
  if (!is.null(ex)) return(ex)
  sym <- .mx.buckets.symbol(state$symbol, iter, fname)
  ex <- .mx.rnn.bind(sym, dlist, state$params, state$aux, state$ctx,
                     paste0(fname, " (bucket '", key, "')"), trainable = state$trainable)
  state$execs[[key]] <- ex
  ex
}

# A copy that owns its memory (mx.nd.copyto onto the array's own context shares it here).
.mx.rnn.copy <- function(a) mx.nd.identity(a)

# The model's parameters: copies of the trained (and fixed) arrays, as the real
# mx.model.extract.model (states and inputs are not parameters).
.mx.buckets.model <- function(state) {
  keep <- names(state$params)[names(state$params) %in% c(state$trainable, state$fixed)]
  args <- lapply(state$params[keep], .mx.rnn.copy)
  aux <- lapply(state$aux, .mx.rnn.copy)
  .mx.model.new(state$symbol.ini, args, aux)
}

# One pass over `iter`: forward (and, when training, backward and update) per batch; the
# metric state at the end. Callbacks are called from `env`, the loop's environment.
.mx.buckets.pass <- function(state, iter, is.train, iteration, env, fname) {
  metric <- state$metric
  m.state <- if (!is.null(metric)) metric$init() else NULL
  nbatch <- 0
  iter$reset()
  while (isTRUE(iter$iter.next())) {
    dlist <- .mx.rnn.inputs(iter, state$input.names)
    ex <- .mx.buckets.exec(state, iter, dlist, fname)
    mx.exec.update.arg.arrays(ex, dlist, match.name = TRUE)
    mx.exec.forward(ex, is.train = is.train)
    if (is.train) {
      mx.exec.backward(ex)
      grads <- ex$ref.grad.arrays[state$trainable]
      new <- state$updater(state$params[state$trainable], grads)
      mx.exec.update.arg.arrays(ex, new, match.name = TRUE)
    }
    if (!is.null(metric)) {
      m.state <- metric$update(label = dlist[[state$label.name]], pred = ex$ref.outputs[[1L]],
                               state = m.state)
    }
    nbatch <- nbatch + 1
    if (is.train && !is.null(state$batch.cbs)) {
      env$train.metric <- m.state
      env$nbatch <- nbatch
      for (cb in state$batch.cbs) cb(iteration, nbatch, env)
    }
  }
  m.state
}

mx.model.buckets <- function(symbol, train.data, eval.data = NULL, metric = NULL,
                             arg.params = NULL, aux.params = NULL, fixed.params = NULL,
                             num.round = 1, begin.round = 1,
                             initializer = mx.init.uniform(0.01), optimizer = "sgd",
                             ctx = NULL, batch.end.callback = NULL, epoch.end.callback = NULL,
                             kvstore = "local", verbose = TRUE, metric_cpu = TRUE) {
  fname <- "mx.model.buckets"
  if (!is.mx.symbol(symbol) && !(.mx.all.symbols(symbol) && !is.null(names(symbol)))) {
    stop(fname, ": symbol must be an MXSymbol or a list of MXSymbol named by bucket",
         call. = FALSE)
  }
  if (is.list(symbol) && !is.mx.bucket.iter(train.data)) {
    stop(fname, ": a list of symbols needs train.data made by mx.io.bucket.iter", call. = FALSE)
  }
  .mx.model.check.loop(fname, begin.round = begin.round, num.round = num.round,
                       initializer = initializer)
  verbose <- isTRUE(verbose)
  .mx.buckets.first(train.data, "train.data", fname)
  if (!is.null(eval.data)) .mx.buckets.first(eval.data, "eval.data", fname)
  ctx <- .mx.buckets.ctx(ctx, fname)
  metric <- .mx.buckets.metric(metric, fname)
  batch.cbs <- .mx.callbacks(batch.end.callback, "batch.end.callback", fname)
  epoch.cbs <- .mx.callbacks(epoch.end.callback, "epoch.end.callback", fname)
  for (what in c("arg.params", "aux.params")) {
    given <- get(what)
    if (!is.null(given) && (!is.list(given) || (length(given) && is.null(names(given))) ||
                            !all(vapply(given, is.mx.ndarray, logical(1))))) {
      stop(fname, ": ", what, " must be a named list of MXNDArray", call. = FALSE)
    }
  }

  sym.ini <- .mx.buckets.symbol(symbol, train.data, fname)
  arguments <- sym.ini$arguments
  first <- .mx.rnn.inputs(train.data)
  input.names <- intersect(names(first), arguments)
  if (!length(input.names)) {
    stop(fname, ": none of the iterator's fields (", paste(names(first), collapse = ", "),
         ") is an argument of the symbol", call. = FALSE)
  }
  input.shape <- lapply(first[input.names], dim)
  shapes <- do.call(mx.symbol.infer.shape, c(list(sym.ini), input.shape))
  if (is.null(shapes)) {
    stop(fname, ": cannot infer the symbol's shapes from the iterator's ",
         paste(input.names, collapse = ", "), call. = FALSE)
  }
  # the real package read input.shape here before defining it, so only optimizer objects
  # worked; a name now gets rescale.grad = 1 / batch size as in mx.model.FeedForward.create
  if (is.character(optimizer)) {
    d <- input.shape[[1L]]
    optimizer <- mx.opt.create(optimizer, rescale.grad = 1 / d[[length(d)]])
  } else if (!is.mx.optimizer(optimizer)) {
    stop(fname, ": optimizer must be a name such as \"sgd\" or made by mx.opt.create",
         call. = FALSE)
  }

  # parameters: zeros, then the initializer's (names ending in weight, bias, ...), then the
  # ones given; only the initializer's (less fixed.params) are trained, as in the real package
  params <- lapply(shapes$arg.shapes, function(s) mx.nd.zeros(s, ctx = ctx))
  ini <- mx.init.create(initializer, shapes$arg.shapes, ctx = ctx, skip.unknown = TRUE)
  ini <- ini[setdiff(names(ini), input.names)]
  params[names(ini)] <- ini
  extra <- setdiff(names(arg.params), arguments)
  if (length(extra)) {
    stop(fname, ": arg.params has parameter(s) the symbol does not have: ",
         paste(extra, collapse = ", "), call. = FALSE)
  }
  params[names(arg.params)] <- lapply(arg.params, .mx.rnn.copy)
  params[input.names] <- NULL
  aux <- lapply(shapes$aux.shapes, function(s) mx.nd.zeros(s, ctx = ctx))
  aux.ini <- mx.init.create(initializer, shapes$aux.shapes, ctx = ctx, skip.unknown = FALSE)
  aux[names(aux.ini)] <- aux.ini
  aux[names(aux.params)] <- lapply(aux.params, .mx.rnn.copy)
  for (n in names(params)) {
    if (!identical(as.numeric(dim(params[[n]])), as.numeric(shapes$arg.shapes[[n]]))) {
      stop(fname, ": arg.params$", n, " has dim c(", paste(dim(params[[n]]), collapse = ", "),
           "), the symbol needs c(", paste(shapes$arg.shapes[[n]], collapse = ", "), ")",
           call. = FALSE)
    }
  }

  state <- new.env()
  state$symbol <- symbol
  state$symbol.ini <- sym.ini
  state$ctx <- ctx
  state$params <- params
  state$aux <- aux
  state$trainable <- setdiff(names(ini), fixed.params)
  state$fixed <- intersect(fixed.params, names(params))
  state$input.names <- input.names
  # the metric's label: the last input, as in the real loop
  state$label.name <- input.names[[length(input.names)]]
  state$metric <- metric
  state$batch.cbs <- batch.cbs
  state$execs <- list()
  state$updater <- mx.opt.get.updater(optimizer, params[state$trainable], ctx = ctx)

  # what the callbacks read, as the real loop's environment held it
  env <- new.env()
  env$metric <- metric
  env$symbol <- symbol
  env$begin.round <- begin.round
  env$end.round <- num.round
  if (verbose) message("Start training with 1 devices")
  model <- NULL
  for (iteration in seq.int(begin.round, length.out = max(0, num.round - begin.round + 1))) {
    env$iteration <- iteration
    env$eval.metric <- NULL
    gc()
    env$train.metric <- .mx.buckets.pass(state, train.data, TRUE, iteration, env, fname)
    if (!is.null(metric) && verbose) {
      res <- metric$get(env$train.metric)
      message("[", iteration, "] Train-", res$name, "=", res$value)
    }
    if (!is.null(eval.data)) {
      env$eval.metric <- .mx.buckets.pass(state, eval.data, FALSE, iteration, env, fname)
      if (!is.null(metric) && verbose) {
        res <- metric$get(env$eval.metric)
        message("[", iteration, "] Validation-", res$name, "=", res$value)
      }
    }
    model <- .mx.buckets.model(state)
    env$model <- model
    keep <- TRUE
    for (cb in epoch.cbs) {
      if (identical(cb(iteration, 0, env, verbose = verbose), FALSE)) keep <- FALSE
    }
    if (!keep) break
  }
  if (is.null(model)) model <- .mx.buckets.model(state)
  model
}
