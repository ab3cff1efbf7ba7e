# Inference with recurrent networks, as the real package's mx.infer.rnn (outputs for every
# batch of a bucket iterator), mx.infer.rnn.one (all outputs of the last batch, e.g. the
# fused RNN's states, with states given back in through input.params) and
# mx.infer.rnn.one.unroll (one NDArray through an unrolled graph, init_* states in and out).
# Arguments that are neither inputs nor given parameters (the states) are bound to zeros.

# Bind `sym` for the inputs `dlist` (named MXNDArrays): given parameters where the symbol has
# them (their dims must match), zeros elsewhere; grad.req "write" for `trainable`.
.mx.rnn.bind <- function(sym, dlist, params, aux.params, ctx, fname,
                         trainable = character(0), what = "parameter") {
  shapes <- do.call(mx.symbol.infer.shape, c(list(sym), lapply(dlist, dim)))
  if (is.null(shapes)) {
    stop(fname, ": cannot infer the symbol's shapes from its inputs (",
         paste(names(dlist), collapse = ", "), ")", call. = FALSE)
  }
  pick <- function(shp, n, given) {
    a <- given[[n]]
    if (is.null(a)) return(mx.nd.zeros(shp, ctx = ctx))
    if (!identical(as.numeric(dim(a)), as.numeric(shp))) {
      stop(fname, ": ", what, " '", n, "' has dim c(", paste(dim(a), collapse = ", "),
           ") but the symbol needs c(", paste(shp, collapse = ", "), ") for these inputs",
           call. = FALSE)
    }
    a
  }
  arg.names <- names(shapes$arg.shapes)
  args <- lapply(arg.names, function(n) {
    if (n %in% names(dlist)) mx.nd.zeros(shapes$arg.shapes[[n]], ctx = ctx)
    else pick(shapes$arg.shapes[[n]], n, params)
  })
  aux <- lapply(names(shapes$aux.shapes), function(n) pick(shapes$aux.shapes[[n]], n, aux.params))
  reqs <- ifelse(arg.names %in% trainable, "write", "null")
  ex <- mx.symbol.bind(sym, ctx = ctx, arg.arrays = args, aux.arrays = aux,
                       grad.reqs = as.list(reqs))
  mx.exec.update.arg.arrays(ex, dlist, match.name = TRUE)
  ex
}

# The current batch's fields `names` as MXNDArrays (iterators written in R may give R arrays).
.mx.rnn.inputs <- function(iter, names = NULL) {
  v <- iter$value()
  if (!is.null(names)) v <- v[names]
  lapply(v, function(a) if (is.mx.ndarray(a)) a else mx.nd.array(a))
}

.mx.rnn.infer.ctx <- function(ctx, fname) {
  if (is.null(ctx)) ctx <- mx.ctx.default()
  if (!is.mx.context(ctx) && is.list(ctx) && length(ctx) >= 1L) ctx <- ctx[[1L]]
  if (!is.mx.context(ctx)) stop(fname, ": ctx must be mx.context or list of mx.context",
                                call. = FALSE)
  ctx
}

.mx.rnn.params.arg <- function(x, what, fname) {
  if (is.null(x)) return(list())
  if (!is.list(x) || (length(x) && is.null(names(x))) ||
      !all(vapply(x, is.mx.ndarray, logical(1)))) {
    stop(fname, ": ", what, " must be a named list of MXNDArray", call. = FALSE)
  }
  x
}

# Collects MXNDArrays and joins them along the last R dimension (the samples).
mx.nd.arraypacker <- function() {
  parts <- list()
  list(push = function(nd) {
         parts[[length(parts) + 1L]] <<- nd
         invisible(NULL)
       },
       get = function() {
         if (!length(parts)) stop("mx.nd.arraypacker: nothing was pushed", call. = FALSE)
         if (length(parts) == 1L) return(parts[[1L]])
         mx.nd.concat(data = parts, num.args = length(parts), dim = 0)
       })
}

mx.infer.rnn <- function(infer.data, model, ctx = mx.cpu()) {
  fname <- "mx.infer.rnn"
  if (!(is.mx.bucket.iter(infer.data) || is.mx.dataiter(infer.data))) {
    stop(fname, ": infer.data must be a bucket iterator made by mx.io.bucket.iter",
         call. = FALSE)
  }
  if (!is.list(model) || is.null(model$symbol) || is.null(model$arg.params)) {
    stop(fname, ": model must be a model from mx.model.buckets or mx.model.load",
         call. = FALSE)
  }
  if (is.serialized(model)) model <- mx.unserialize(model)
  ctx <- .mx.rnn.infer.ctx(ctx, fname)
  infer.data$reset()
  if (!isTRUE(infer.data$iter.next())) stop(fname, ": Empty infer.data", call. = FALSE)
  # the real function read train.data$bucketID here (undefined) for a list of symbols; the
  # symbol of each batch's bucket is used
  sym.of <- function() .mx.buckets.symbol(model$symbol, infer.data, fname)
  input.names <- intersect(names(infer.data$value()), sym.of()$arguments)
  execs <- list()
  packer <- mx.nd.arraypacker()
  infer.data$reset()
  while (isTRUE(infer.data$iter.next())) {
    dlist <- .mx.rnn.inputs(infer.data, input.names)
    key <- if (is.mx.bucket.iter(infer.data)) names(infer.data$bucketID) else ".single"
    ex <- execs[[key]]
    if (is.null(ex)) {
      ex <- .mx.rnn.bind(sym.of(), dlist, model$arg.params, model$aux.params, ctx, fname)
      execs[[key]] <- ex
    } else {
      mx.exec.update.arg.arrays(ex, dlist, match.name = TRUE)
    }
    mx.exec.forward(ex, is.train = FALSE)
    out <- ex$outputs[[1L]]
    padded <- infer.data$num.pad()
    d <- dim(out)
    n <- d[[length(d)]]
    if (padded > 0) {
      # a one-to-one output holds rows for each step of each sample (samples outer): the
      # real function removed `padded` rows only, here the padded samples' rows go
      d.in <- dim(dlist[[1L]])
      per <- n %/% d.in[[length(d.in)]]
      out <- mx.nd.slice.axis(data = out, axis = 0, begin = 0, end = n - padded * per)
    }
    packer$push(out)
  }
  infer.data$reset()
  packer$get()
}

mx.infer.rnn.one <- function(infer.data, symbol, arg.params, aux.params,
                             input.params = NULL, ctx = mx.cpu()) {
  fname <- "mx.infer.rnn.one"
  if (!(is.mx.bucket.iter(infer.data) || is.mx.dataiter(infer.data))) {
    stop(fname, ": infer.data must be a data iterator (mx.io.arrayiter or mx.io.bucket.iter)",
         call. = FALSE)
  }
  if (!is.mx.symbol(symbol)) stop(fname, ": symbol must be an MXSymbol", call. = FALSE)
  arg.params <- .mx.rnn.params.arg(arg.params, "arg.params", fname)
  aux.params <- .mx.rnn.params.arg(aux.params, "aux.params", fname)
  input.params <- .mx.rnn.params.arg(input.params, "input.params", fname)
  ctx <- .mx.rnn.infer.ctx(ctx, fname)
  params <- arg.params
  params[names(input.params)] <- input.params
  infer.data$reset()
  if (!isTRUE(infer.data$iter.next())) stop(fname, ": Empty infer.data", call. = FALSE)
  input.names <- intersect(names(infer.data$value()), symbol$arguments)
  infer.data$reset()
  out <- NULL
  while (isTRUE(infer.data$iter.next())) {
    dlist <- .mx.rnn.inputs(infer.data, input.names)
    ex <- .mx.rnn.bind(symbol, dlist, params, aux.params, ctx, fname)
    mx.exec.forward(ex, is.train = FALSE)
    out <- ex$outputs
  }
  infer.data$reset()
  out
}

mx.infer.rnn.one.unroll <- function(infer.data, symbol, num_hidden, arg.params, aux.params,
                                    init_states = NULL, ctx = mx.cpu()) {
  fname <- "mx.infer.rnn.one.unroll"
  if (!is.mx.ndarray(infer.data)) {
    stop(fname, ": infer.data must be an MXNDArray (sequence length x batch)", call. = FALSE)
  }
  if (!is.mx.symbol(symbol)) stop(fname, ": symbol must be an MXSymbol", call. = FALSE)
  if (!is.numeric(num_hidden) || length(num_hidden) != 1L || is.na(num_hidden) ||
      num_hidden < 1) {
    stop(fname, ": num_hidden must be a positive integer", call. = FALSE)
  }
  arg.params <- .mx.rnn.params.arg(arg.params, "arg.params", fname)
  aux.params <- .mx.rnn.params.arg(aux.params, "aux.params", fname)
  ctx <- .mx.rnn.infer.ctx(ctx, fname)
  arguments <- symbol$arguments
  input.names <- intersect(c("data", "label"), arguments)
  dlist <- list(data = infer.data, label = infer.data)[input.names]
  state.names <- arguments[startsWith(arguments, "init_")]
  batch <- tail(dim(infer.data), 1L)
  if (is.null(init_states)) {
    init_states <- lapply(state.names, function(n) mx.nd.zeros(c(num_hidden, batch), ctx = ctx))
  } else if (!is.list(init_states) || length(init_states) != length(state.names) ||
             !all(vapply(init_states, is.mx.ndarray, logical(1)))) {
    stop(fname, ": init_states must be a list of ", length(state.names), " MXNDArray (",
         paste(state.names, collapse = ", "), "), e.g. the states a previous call returned",
         call. = FALSE)
  }
  # states are taken in the symbol's order of its init_* arguments, whatever their names
  names(init_states) <- state.names
  # a fused model's inputs and states in arg.params are not parameters here
  params <- arg.params[setdiff(names(arg.params), c(input.names, state.names))]
  inputs <- c(dlist, init_states)
  ex <- .mx.rnn.bind(symbol, inputs, params, aux.params, ctx, fname)
  mx.exec.forward(ex, is.train = FALSE)
  ex$outputs
}
