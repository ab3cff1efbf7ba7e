# Learning-rate schedulers. As in the real package each is a function(optimizerEnv) that
# updates optimizerEnv$lr from optimizerEnv$num_update; handed to mx.opt.create it also
# becomes the engine's scheduler (the same rule, applied in the training loop).

mx.lr_scheduler.FactorScheduler <- function(step, factor_val, stop_factor_lr = 1e-8,
                                            verbose = TRUE) {
  if (!is.numeric(step) || length(step) != 1L || is.na(step) || step < 1) {
    stop("mx.lr_scheduler.FactorScheduler: Schedule step must be greater or equal than 1 round",
         call. = FALSE)
  }
  if (!is.numeric(factor_val) || length(factor_val) != 1L || is.na(factor_val) ||
      factor_val > 1) {
    stop("mx.lr_scheduler.FactorScheduler: Factor must be no more than 1 to make lr reduce",
         call. = FALSE)
  }
  f <- function(optimizerEnv) {
    num_update <- optimizerEnv$num_update
    count <- optimizerEnv$count
    lr <- optimizerEnv$lr
    if (num_update > count + step) {
      count <- count + step
      lr <- lr * factor_val
      if (lr < stop_factor_lr) {
        lr <- stop_factor_lr
        if (verbose) message("Update[", num_update, "]: now learning rate arrived at ", lr,
                             "will not change in the future")
      } else if (verbose) {
        message("Update[", num_update, "]: learning rate is changed to ", lr)
      }
      optimizerEnv$lr <- lr
      optimizerEnv$count <- count
    }
  }
  attr(f, "mx.engine") <- list("factor", step, factor_val, stop_factor_lr)
  f
}

mx.lr_scheduler.MultiFactorScheduler <- function(step, factor_val, stop_factor_lr = 1e-8,
                                                 verbose = TRUE) {
  if (!is.numeric(step) || !length(step) || anyNA(step) || !all(step == cummax(step))) {
    stop("mx.lr_scheduler.MultiFactorScheduler: Schedule step must be an increasing integer list",
         call. = FALSE)
  }
  if (any(step < 1)) {
    stop("mx.lr_scheduler.MultiFactorScheduler: Schedule step must be greater or equal than 1 round",
         call. = FALSE)
  }
  if (!is.numeric(factor_val) || length(factor_val) != 1L || is.na(factor_val) ||
      factor_val > 1) {
    stop("mx.lr_scheduler.MultiFactorScheduler: Factor must be no more than 1 to make lr reduce",
         call. = FALSE)
  }
  f <- function(optimizerEnv) {
    if (is.null(optimizerEnv$cur_step_ind)) optimizerEnv$cur_step_ind <- 1L
    cur <- optimizerEnv$cur_step_ind
    num_update <- optimizerEnv$num_update
    lr <- optimizerEnv$lr
    if (cur <= length(step) && num_update > step[[cur]]) {
      optimizerEnv$count <- step[[cur]]
      optimizerEnv$cur_step_ind <- cur + 1L
      lr <- max(lr * factor_val, stop_factor_lr)
      if (verbose) message("Update[", num_update, "]: learning rate is changed to ", lr)
      optimizerEnv$lr <- lr
    }
  }
  attr(f, "mx.engine") <- list("multifactor", as.list(step), factor_val, stop_factor_lr)
  f
}
