# mx.mlp: a multi-layer perceptron built and trained in one call (the real package's).

mx.mlp <- function(data, label, hidden_node = 1, out_node, dropout = NULL,
                   activation = "tanh", out_activation = "softmax",
                   ctx = mx.ctx.default(), ...) {
  fname <- "mx.mlp"
  m <- length(hidden_node)
  if (!is.numeric(hidden_node) || m < 1L || anyNA(hidden_node) || any(hidden_node < 1)) {
    stop(fname, ": hidden_node must be a vector of positive integers", call. = FALSE)
  }
  if (missing(out_node) || !is.numeric(out_node) || length(out_node) != 1L || out_node < 1) {
    stop(fname, ": out_node (the number of outputs) must be a positive integer", call. = FALSE)
  }
  if (!is.null(dropout)) {
    if (length(dropout) != 1L) stop(fname, ": only accept dropout ratio of length 1.",
                                    call. = FALSE)
    dropout <- max(0, min(dropout, 1 - 1e-7))
  }
  if (length(activation) == 1L) {
    activation <- rep(activation, m)
  } else if (length(activation) != m) {
    stop(fname, ": Length of activation should be ", m, call. = FALSE)
  }
  act <- mx.symbol.Variable("data")
  for (i in seq_len(m)) {
    fc <- mx.symbol.FullyConnected(act, num_hidden = hidden_node[i])
    act <- mx.symbol.Activation(fc, act_type = activation[i])
    if (i == m && !is.null(dropout)) act <- mx.symbol.Dropout(act, p = dropout)
  }
  fc <- mx.symbol.FullyConnected(act, num_hidden = out_node)
  out <- switch(out_activation,
                rmse = mx.symbol.LinearRegressionOutput(fc),
                softmax = mx.symbol.SoftmaxOutput(fc),
                logistic = mx.symbol.LogisticRegressionOutput(fc),
                stop(fname, ": out_activation \"", out_activation, "\" is not supported; use ",
                     "\"softmax\", \"rmse\" or \"logistic\"", call. = FALSE))
  mx.model.FeedForward.create(out, X = data, y = label, ctx = ctx, ...)
}
