# Training callbacks: function(iteration, nbatch, env, verbose) called by the engine's
# training loop (batch.end.callback after each batch, epoch.end.callback after each epoch's
# validation). `env` holds what the real package's loop held: env$metric with
# env$metric$get(env$train.metric) (and env$eval.metric) giving list(name, value), and at
# the end of an epoch env$model (an MXFeedForwardModel with the current parameters).

mx.metric.logger <- setRefClass("mx.metric.logger",
                                fields = list(train = "numeric", eval = "numeric"))

mx.callback.log.train.metric <- function(period, logger = NULL) {
  function(iteration, nbatch, env, verbose = TRUE) {
    if (nbatch %% period == 0 && !is.null(env$metric)) {
      result <- env$metric$get(env$train.metric)
      if (nbatch != 0 && verbose) {
        message("Batch [", nbatch, "] Train-", result$name, "=", result$value)
      }
      if (!is.null(logger)) {
        if (!inherits(logger, "mx.metric.logger")) {
          stop("mx.callback.log.train.metric: Invalid mx.metric.logger.", call. = FALSE)
        }
        logger$train <- c(logger$train, result$value)
        if (!is.null(env$eval.metric)) {
          result <- env$metric$get(env$eval.metric)
          if (nbatch != 0 && verbose) {
            message("Batch [", nbatch, "] Validation-", result$name, "=", result$value)
          }
          logger$eval <- c(logger$eval, result$value)
        }
      }
    }
    TRUE
  }
}

mx.callback.log.speedometer <- function(batch.size, frequency = 50) {
  function(iteration, nbatch, env, verbose = TRUE) {
    count <- nbatch
    if (is.null(env$count)) env$count <- 0
    if (is.null(env$init)) env$init <- FALSE
    if (env$count > count) env$init <- FALSE
    env$count <- count
    if (env$init) {
      if (count %% frequency == 0 && !is.null(env$metric)) {
        time <- as.double(difftime(Sys.time(), env$tic, units = "secs"))
        speed <- frequency * batch.size / time
        result <- env$metric$get(env$train.metric)
        if (nbatch != 0 && verbose) {
          message("Batch [", nbatch, "] Speed: ", speed, " samples/sec Train-",
                  result$name, "=", result$value)
        }
        env$tic <- Sys.time()
      }
    } else {
      env$init <- TRUE
      env$tic <- Sys.time()
    }
    TRUE
  }
}

mx.callback.save.checkpoint <- function(prefix, period = 1) {
  function(iteration, nbatch, env, verbose = TRUE) {
    if (iteration %% period == 0) {
      mx.model.save(env$model, prefix, iteration)
      if (verbose) message(sprintf("Model checkpoint saved to %s-%04d.params\n", prefix, iteration))
    }
    TRUE
  }
}

mx.callback.early.stop <- function(train.metric = NULL, eval.metric = NULL, bad.steps = NULL,
                                   maximize = FALSE, verbose = FALSE) {
  best <- new.env()
  function(iteration, nbatch, env, verbose = verbose) {
    better <- function(a, b) if (maximize) a > b else a < b
    if (!is.null(env$metric)) {
      if (!is.null(train.metric)) {
        result <- env$metric$get(env$train.metric)
        if (better(result$value, train.metric)) return(FALSE)
      }
      if (!is.null(eval.metric) && !is.null(env$eval.metric)) {
        result <- env$metric$get(env$eval.metric)
        if (better(result$value, eval.metric)) return(FALSE)
      }
    }
    if (!is.null(bad.steps)) {
      if (iteration == 1 || is.null(best$iter)) {
        best$iter <- 1
        best$score <- if (maximize) 0 else Inf
      }
      if (!is.null(env$eval.metric)) {
        result <- env$metric$get(env$eval.metric)
        worse <- if (maximize) result$value < best$score else result$value > best$score
        if (worse) {
          if (best$iter == bad.steps) {
            if (isTRUE(verbose)) {
              message("Best score=", best$score, ", iteration [", iteration - bad.steps, "]")
            }
            return(FALSE)
          }
          best$iter <- best$iter + 1
        } else {
          best$score <- result$value
          best$iter <- 1
        }
      }
    }
    TRUE
  }
}
