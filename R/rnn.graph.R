# Recurrent network symbols as the real package built them: rnn.graph (the fused RNN
# operator) and rnn.graph.unroll (LSTM/GRU cells unrolled over seq_len steps from
# FullyConnected, split and Activation). Variable and node names are the real package's, so
# parameters saved by either load into the other ("rnn.params.weight", "embed.weight",
# "cls.weight", "l1.i2h.weight", "init_1_h", ...).
# Data arrive as R matrices seq.len x batch (engine shape (batch, seq)); labels likewise for
# one-to-one, one per sample for seq-to-one.

.mx.rnn.check <- function(fname, config, cell_type, loss_output, num_rnn_layer, num_hidden,
                          num_decode, num_embed, input_size) {
  if (missing(config) || !is.character(config) || length(config) != 1L ||
      !config %in% c("seq-to-one", "one-to-one")) {
    stop(fname, ": config must be \"seq-to-one\" or \"one-to-one\"",
         if (!missing(config) && is.character(config)) paste0(", got \"", config[1L], "\""),
         call. = FALSE)
  }
  if (!is.character(cell_type) || length(cell_type) != 1L ||
      !cell_type %in% c("lstm", "gru")) {
    stop(fname, ": cell_type must be \"lstm\" or \"gru\"",
         if (is.character(cell_type)) paste0(", got \"", cell_type[1L], "\""), call. = FALSE)
  }
  if (!is.null(loss_output) && (!is.character(loss_output) || length(loss_output) != 1L ||
      !loss_output %in% c("softmax", "linear", "logistic", "MAE"))) {
    stop(fname, ": loss_output must be NULL, \"softmax\", \"linear\", \"logistic\" or \"MAE\"",
         call. = FALSE)
  }
  .mx.rnn.count(num_rnn_layer, "num_rnn_layer", fname)
  .mx.rnn.count(num_hidden, "num_hidden", fname)
  if (!is.null(loss_output)) .mx.rnn.count(num_decode, "num_decode", fname)
  if (!is.null(num_embed)) {
    .mx.rnn.count(num_embed, "num_embed", fname)
    .mx.rnn.count(input_size, "input_size (needed with num_embed)", fname)
  }
  invisible(NULL)
}

# A single positive whole number, or a clear error naming the function and argument.
.mx.rnn.count <- function(v, what, fname) {
  if (!is.numeric(v) || length(v) != 1L || is.na(v) || v < 1 || v != round(v)) {
    stop(fname, ": ", what, " must be a positive integer", call. = FALSE)
  }
  invisible(v)
}

# The output layer: FullyConnected to num_decode, then the loss named `name`.
.mx.rnn.head <- function(hidden, label, loss_output, num_decode, ignore_label, cls.weight,
                         cls.bias, decode.name, name) {
  decode <- mx.symbol.FullyConnected(data = hidden, weight = cls.weight, bias = cls.bias,
                                     num_hidden = num_decode, flatten = TRUE,
                                     name = decode.name)
  switch(loss_output,
         softmax = mx.symbol.SoftmaxOutput(data = decode, label = label,
                                           use_ignore = ignore_label != -1,
                                           ignore_label = ignore_label, name = name),
         linear = mx.symbol.LinearRegressionOutput(data = decode, label = label, name = name),
         logistic = mx.symbol.LogisticRegressionOutput(data = decode, label = label,
                                                       name = name),
         MAE = mx.symbol.MAERegressionOutput(data = decode, label = label, name = name))
}

# The sequence outputs (engine shape (seq, batch, hidden)) turned into the graph's output:
# the last step (seq-to-one) or every step (one-to-one), with the loss when asked.
.mx.rnn.output <- function(seq.out, config, masking, seq.mask, label, loss_output, num_decode,
                           ignore_label, cls.weight, cls.bias, prefix, mask.name,
                           decode.name, loss.name) {
  if (config == "seq-to-one") {
    mask <- if (masking) {
      mx.symbol.SequenceLast(data = seq.out, use.sequence.length = TRUE,
                             sequence_length = seq.mask, name = mask.name)
    } else {
      mx.symbol.SequenceLast(data = seq.out, use.sequence.length = FALSE, name = mask.name)
    }
    if (is.null(loss_output)) return(mask)
    return(.mx.rnn.head(mask, label, loss_output, num_decode, ignore_label, cls.weight,
                        cls.bias, decode.name, loss.name))
  }
  mask <- if (masking) {
    mx.symbol.SequenceMask(data = seq.out, use.sequence.length = TRUE,
                           sequence_length = seq.mask, value = 0, name = mask.name)
  } else {
    mx.symbol.identity(data = seq.out, name = mask.name)
  }
  mask <- mx.symbol.swapaxes(data = mask, dim1 = 0, dim2 = 1,
                             name = paste0(prefix, "swap_post"))
  if (is.null(loss_output)) return(mask)
  # (batch, seq, hidden) -> (batch * seq, hidden); labels (batch, seq) -> batch * seq
  mask <- mx.symbol.reshape(data = mask, shape = c(0, -1), reverse = TRUE)
  label <- mx.symbol.reshape(data = label, shape = c(-1))
  .mx.rnn.head(mask, label, loss_output, num_decode, ignore_label, cls.weight, cls.bias,
               decode.name, loss.name)
}

rnn.graph <- function(num_rnn_layer, input_size = NULL, num_embed = NULL, num_hidden,
                      num_decode, dropout = 0, ignore_label = -1, bidirectional = FALSE,
                      loss_output = NULL, config, cell_type, masking = FALSE,
                      output_last_state = FALSE, rnn.state = NULL, rnn.state.cell = NULL,
                      prefix = "") {
  fname <- "rnn.graph"
  if (missing(cell_type)) stop(fname, ": cell_type must be \"lstm\" or \"gru\"", call. = FALSE)
  .mx.rnn.check(fname, config, cell_type, loss_output, num_rnn_layer, num_hidden,
                num_decode, num_embed, input_size)
  data <- mx.symbol.Variable("data")
  label <- mx.symbol.Variable("label")
  seq.mask <- mx.symbol.Variable("seq.mask")
  params <- mx.symbol.Variable("rnn.params.weight")
  if (is.null(rnn.state)) rnn.state <- mx.symbol.Variable("rnn.state")
  if (cell_type == "lstm" && is.null(rnn.state.cell)) {
    rnn.state.cell <- mx.symbol.Variable("rnn.state.cell")
  }
  cls.weight <- mx.symbol.Variable("cls.weight")
  cls.bias <- mx.symbol.Variable("cls.bias")
  if (!is.null(num_embed)) {
    data <- mx.symbol.Embedding(data = data, input_dim = input_size,
                                weight = mx.symbol.Variable("embed.weight"),
                                output_dim = num_embed, name = "embed")
  }
  # the fused operator wants time first: (seq, batch, features)
  data <- mx.symbol.swapaxes(data = data, dim1 = 0, dim2 = 1, name = paste0(prefix, "swap_pre"))
  rnn <- mx.symbol.RNN(data = data, state = rnn.state,
                       state_cell = if (cell_type == "lstm") rnn.state.cell,
                       parameters = params, state.size = num_hidden,
                       num.layers = num_rnn_layer, bidirectional = bidirectional,
                       mode = cell_type, state.outputs = output_last_state, p = dropout,
                       name = paste0(prefix, "RNN"))
  # the real package names these nodes without the prefix in rnn.graph
  .mx.rnn.output(rnn[[1]], config, masking, seq.mask, label, loss_output, num_decode,
                 ignore_label, cls.weight, cls.bias, prefix, mask.name = "mask",
                 decode.name = if (config == "seq-to-one") "decode" else paste0(prefix, "decode"),
                 loss.name = "loss")
}

# The gates' pre-activations: i2h of the input, plus h2h of the previous h when there is
# one (parameters param[[paste0(key, "i2h.weight")]], ...; nodes named <nm>.<key>i2h).
.mx.rnn.gates <- function(indata, prev.state, param, key, n, nm) {
  fc <- function(x, which) {
    mx.symbol.FullyConnected(data = x, weight = param[[paste0(key, which, ".weight")]],
                             bias = param[[paste0(key, which, ".bias")]], num_hidden = n,
                             name = paste0(nm, ".", key, which))
  }
  gates <- fc(indata, "i2h")
  if (!is.null(prev.state)) gates <- gates + fc(prev.state$h, "h2h")
  gates
}

# One LSTM step: gates from i2h (+ h2h when there is a previous state), split in the order
# input, transform, forget, output (MXNet's fused layout); returns list(h, c).
lstm.cell <- function(num_hidden, indata, prev.state, param, seqidx, layeridx, dropout = 0,
                      prefix = "") {
  nm <- paste0(prefix, "t", seqidx, ".l", layeridx)
  if (dropout > 0 && layeridx > 1) indata <- mx.symbol.Dropout(data = indata, p = dropout)
  gates <- .mx.rnn.gates(indata, prev.state, param, "", num_hidden * 4, nm)
  g <- mx.symbol.split(gates, num.outputs = 4, axis = 1, squeeze.axis = FALSE,
                       name = paste0(nm, ".slice"))
  in.gate <- mx.symbol.Activation(g[[1]], act.type = "sigmoid")
  in.transform <- mx.symbol.Activation(g[[2]], act.type = "tanh")
  forget.gate <- mx.symbol.Activation(g[[3]], act.type = "sigmoid")
  out.gate <- mx.symbol.Activation(g[[4]], act.type = "sigmoid")
  next.c <- in.gate * in.transform
  if (!is.null(prev.state)) next.c <- forget.gate * prev.state$c + next.c
  next.h <- out.gate * mx.symbol.Activation(next.c, act.type = "tanh")
  list(h = next.h, c = next.c)
}

# One GRU step: update and reset gates, then the candidate from the reset state;
# h = h.prev + update * (candidate - h.prev). Returns list(h).
gru.cell <- function(num_hidden, indata, prev.state, param, seqidx, layeridx, dropout = 0,
                     prefix = "") {
  nm <- paste0(prefix, "t", seqidx, ".l", layeridx)
  if (dropout > 0 && layeridx > 1) indata <- mx.symbol.Dropout(data = indata, p = dropout)
  gates <- .mx.rnn.gates(indata, prev.state, param, "gates.", num_hidden * 2, nm)
  g <- mx.symbol.split(gates, num.outputs = 2, axis = 1, squeeze.axis = FALSE,
                       name = paste0(nm, ".split"))
  update.gate <- mx.symbol.Activation(g[[1]], act.type = "sigmoid")
  reset.gate <- mx.symbol.Activation(g[[2]], act.type = "sigmoid")
  trans.i2h <- mx.symbol.FullyConnected(data = indata, weight = param$trans.i2h.weight,
                                        bias = param$trans.i2h.bias, num_hidden = num_hidden,
                                        name = paste0(nm, ".trans.i2h"))
  h.reset <- if (is.null(prev.state)) reset.gate * 0 else prev.state$h * reset.gate
  trans.h2h <- mx.symbol.FullyConnected(data = h.reset, weight = param$trans.h2h.weight,
                                        bias = param$trans.h2h.bias, num_hidden = num_hidden,
                                        name = paste0(nm, ".trans.h2h"))
  h.trans <- mx.symbol.Activation(trans.i2h + trans.h2h, act.type = "tanh")
  next.h <- if (is.null(prev.state)) {
    update.gate * h.trans
  } else {
    prev.state$h + update.gate * (h.trans - prev.state$h)
  }
  list(h = next.h)
}

# The parameter variables of one layer, named as the real package named them.
.mx.rnn.cell.params <- function(cell_type, prefix, i) {
  v <- function(s) mx.symbol.Variable(paste0(prefix, "l", i, ".", s))
  keys <- if (cell_type == "lstm") {
    c("i2h.weight", "i2h.bias", "h2h.weight", "h2h.bias")
  } else {
    c("gates.i2h.weight", "gates.i2h.bias", "gates.h2h.weight", "gates.h2h.bias",
      "trans.i2h.weight", "trans.i2h.bias", "trans.h2h.weight", "trans.h2h.bias")
  }
  stats::setNames(lapply(keys, v), keys)
}

rnn.graph.unroll <- function(num_rnn_layer, seq_len, input_size = NULL, num_embed = NULL,
                             num_hidden, num_decode, dropout = 0, ignore_label = -1,
                             loss_output = NULL, init.state = NULL, config,
                             cell_type = "lstm", masking = FALSE, output_last_state = FALSE,
                             prefix = "", data_name = "data", label_name = "label") {
  fname <- "rnn.graph.unroll"
  .mx.rnn.check(fname, config, cell_type, loss_output, num_rnn_layer, num_hidden,
                num_decode, num_embed, input_size)
  if (missing(seq_len)) stop(fname, ": seq_len must be a positive integer", call. = FALSE)
  .mx.rnn.count(seq_len, "seq_len", fname)
  if (!is.null(init.state) && (!is.list(init.state) || length(init.state) != num_rnn_layer)) {
    stop(fname, ": init.state must be a list with one state per layer (list(h = , c = ) ",
         "for lstm, list(h = ) for gru)", call. = FALSE)
  }
  if (is.null(init.state) && isTRUE(output_last_state)) {
    init.state <- lapply(seq_len(num_rnn_layer), function(i) {
      s <- list(h = mx.symbol.Variable(paste0("init_", prefix, i, "_h")))
      if (cell_type == "lstm") s$c <- mx.symbol.Variable(paste0("init_", prefix, i, "_c"))
      s
    })
  }
  cls.weight <- mx.symbol.Variable(paste0(prefix, "cls.weight"))
  cls.bias <- mx.symbol.Variable(paste0(prefix, "cls.bias"))
  param.cells <- lapply(seq_len(num_rnn_layer),
                        function(i) .mx.rnn.cell.params(cell_type, prefix, i))
  data <- mx.symbol.Variable(data_name)
  label <- mx.symbol.Variable(label_name)
  seq.mask <- mx.symbol.Variable(paste0(prefix, "seq.mask"))
  data <- mx.symbol.swapaxes(data = data, dim1 = 0, dim2 = 1, name = paste0(prefix, "swap_pre"))
  if (!is.null(num_embed)) {
    data <- mx.symbol.Embedding(data = data, input_dim = input_size,
                                weight = mx.symbol.Variable(paste0(prefix, "embed.weight")),
                                output_dim = num_embed, name = paste0(prefix, "embed"))
  }
  steps <- mx.symbol.split(data = data, axis = 0, num.outputs = seq_len, squeeze_axis = TRUE)
  cell <- if (cell_type == "lstm") lstm.cell else gru.cell
  states <- if (is.null(init.state)) vector("list", num_rnn_layer) else init.state
  outs <- vector("list", seq_len)
  for (t in seq_len(seq_len)) {
    hidden <- steps[[t]]
    for (i in seq_len(num_rnn_layer)) {
      s <- cell(num_hidden = num_hidden, indata = hidden, prev.state = states[[i]],
                param = param.cells[[i]], seqidx = t, layeridx = i, dropout = dropout,
                prefix = prefix)
      hidden <- s$h
      states[[i]] <- s
    }
    outs[[t]] <- hidden
  }
  # seq_len blocks of (batch, hidden) stacked along the first axis, then (seq, batch, hidden)
  concat <- mx.symbol.concat(data = outs, num.args = seq_len, dim = 0,
                             name = paste0(prefix, "concat"))
  concat <- mx.symbol.reshape(data = concat, shape = c(num_hidden, -1, seq_len),
                              name = paste0(prefix, "rnn_reshape"))
  # the real package passed the loss name positionally for seq-to-one logistic/MAE, which
  # the operator refused; here every loss is named paste0(prefix, "loss")
  out <- .mx.rnn.output(concat, config, masking, seq.mask, label, loss_output, num_decode,
                        ignore_label, cls.weight, cls.bias, prefix,
                        mask.name = paste0(prefix, "mask"),
                        decode.name = paste0(prefix, "decode"),
                        loss.name = paste0(prefix, "loss"))
  if (isTRUE(output_last_state)) {
    # outputs: the loss, then each layer's last h (and c for lstm)
    last <- do.call(c, lapply(states, function(s) unname(s)))
    return(mx.symbol.Group(c(list(out), last)))
  }
  out
}
