# Evaluation metrics. As in the real package a metric is list(init, update, get) of class
# "mx.metric" (usable from R code); the built-in ones also name an engine metric, so that
# training computes them in the engine without calling R for each batch.

mx.metric.custom <- function(name, feval) {
  if (!is.character(name) || length(name) != 1L) {
    stop("mx.metric.custom: name must be a single string", call. = FALSE)
  }
  if (!is.function(feval)) stop("mx.metric.custom: feval must be a function(label, pred)",
                                call. = FALSE)
  init <- function() c(0, 0)
  update <- function(label, pred, state) {
    m <- feval(label, pred)
    if (is.mx.ndarray(m)) m <- as.array(m)
    if (!is.numeric(m) || length(m) != 1L) {
      stop("metric '", name, "': feval must return a single number", call. = FALSE)
    }
    c(state[[1L]] + 1, state[[2L]] + m)
  }
  get <- function(state) list(name = name, value = state[[2L]] / state[[1L]])
  structure(list(init = init, update = update, get = get), class = "mx.metric")
}

.mx.metric.builtin <- function(name, engine, feval) {
  m <- mx.metric.custom(name, feval)
  m$engine <- engine
  m
}

mx.metric.accuracy <- .mx.metric.builtin("accuracy", "accuracy", function(label, pred) {
  pred <- mx.nd.argmax(data = pred, axis = 1, keepdims = FALSE)
  as.array(mx.nd.mean(label == pred))
})

mx.metric.top_k_accuracy <- .mx.metric.builtin("top_k_accuracy", "top_k_accuracy",
                                               function(label, pred, top_k = 5) {
  p <- as.array(pred)
  l <- as.vector(as.array(label))
  if (is.null(dim(p))) dim(p) <- c(1L, length(p))
  hit <- vapply(seq_along(l), function(i) {
    (l[[i]] + 1) %in% utils::head(order(p[, i], decreasing = TRUE), top_k)
  }, logical(1))
  mean(hit)
})

.mx.flat <- function(x) as.vector(as.array(x))

mx.metric.mse <- .mx.metric.builtin("mse", "mse", function(label, pred) {
  mean((.mx.flat(label) - .mx.flat(pred))^2)
})

mx.metric.rmse <- .mx.metric.builtin("rmse", "rmse", function(label, pred) {
  sqrt(mean((.mx.flat(label) - .mx.flat(pred))^2))
})

mx.metric.mae <- .mx.metric.builtin("mae", "mae", function(label, pred) {
  mean(abs(.mx.flat(label) - .mx.flat(pred)))
})

mx.metric.rmsle <- .mx.metric.builtin("rmsle", "rmsle", function(label, pred) {
  sqrt(mean((log1p(.mx.flat(pred)) - log1p(.mx.flat(label)))^2))
})

mx.metric.Perplexity <- .mx.metric.builtin("Perplexity", "Perplexity",
                                           function(label, pred, mask_element = -1) {
  l <- .mx.flat(label)
  p <- as.array(pred)
  if (is.null(dim(p))) dim(p) <- c(1L, length(p))
  probs <- p[cbind(pmax(l, 0) + 1, seq_along(l))]
  mask <- l != mask_element
  exp(-sum(log(probs) * mask) / sum(mask))
})

mx.metric.logloss <- .mx.metric.builtin("logloss", "logloss", function(label, pred) {
  y <- .mx.flat(label)
  p <- pmin(pmax(.mx.flat(pred), 1e-15), 1 - 1e-15)
  -mean(y * log(p) + (1 - y) * log(1 - p))
})

mx.metric.logistic_acc <- .mx.metric.builtin("accuracy", "logistic_acc", function(label, pred) {
  mean(.mx.flat(label) == (.mx.flat(pred) > 0.5))
})

is.mx.metric <- function(x) inherits(x, "mx.metric")

# The metric given to training as the engine wants it; NULL for none.
.mx.metric.spec <- function(metric, fname) {
  if (is.null(metric)) return(NULL)
  if (is.character(metric) && length(metric) == 1L) {
    known <- list(accuracy = mx.metric.accuracy, acc = mx.metric.accuracy,
                  top_k_accuracy = mx.metric.top_k_accuracy, mse = mx.metric.mse,
                  rmse = mx.metric.rmse, mae = mx.metric.mae, rmsle = mx.metric.rmsle,
                  perplexity = mx.metric.Perplexity, logloss = mx.metric.logloss)
    m <- known[[tolower(metric)]]
    if (is.null(m)) {
      stop(fname, ": unknown eval.metric '", metric, "'; use one of mx.metric.accuracy, ",
           "mx.metric.rmse, ... or mx.metric.custom(name, feval)", call. = FALSE)
    }
    metric <- m
  }
  if (!is.list(metric) || !all(c("init", "update", "get") %in% names(metric)) ||
      !all(vapply(metric[c("init", "update", "get")], is.function, logical(1)))) {
    stop(fname, ": eval.metric must be a metric such as mx.metric.accuracy or ",
         "mx.metric.custom(name, feval)", call. = FALSE)
  }
  if (!is.null(metric$engine)) {
    return(list(engine = metric$engine, name = metric$get(c(1, 0))$name))
  }
  metric[c("init", "update", "get")]
}
