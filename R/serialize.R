# mx.serialize / mx.unserialize: a model as plain R data (saveRDS/save-able) and back.

is.serialized <- function(model) {
  if (!is.list(model)) return(FALSE)
  if (!is.null(model[["is.serialized"]])) isTRUE(model[["is.serialized"]]) else FALSE
}

mx.serialize <- function(model) {
  if (!inherits(model, "MXFeedForwardModel")) {
    stop("mx.serialize: model must be an MXFeedForwardModel", call. = FALSE)
  }
  if (is.serialized(model)) return(model)
  out <- list(symbol_json = model$symbol$as.json(),
              arg.params = lapply(model$arg.params, as.array),
              aux.params = lapply(model$aux.params, as.array),
              is.serialized = TRUE)
  if (!is.null(model$history)) out$history <- model$history
  structure(out, class = "MXFeedForwardModel")
}

mx.unserialize <- function(model) {
  if (!is.serialized(model)) return(model)
  if (!is.character(model$symbol_json)) {
    stop("mx.unserialize: the serialized model has no symbol_json", call. = FALSE)
  }
  symbol <- mx.symbol.load.json(model$symbol_json)
  arg.params <- lapply(model$arg.params, mx.nd.array)
  aux.params <- lapply(model$aux.params, mx.nd.array)
  .mx.model.new(symbol, arg.params, aux.params, model$history)
}
