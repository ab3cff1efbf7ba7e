# KVStore: the real package's MXKVStore (an Rcpp module) over the engine's mx.kv store.
# Keys are integers, as the real package passed them to MXNet (any integer, 0 included);
# push and pull take one list of NDArrays per device, each with one array per key.

is.MXKVStore <- function(x) inherits(x, "MXKVStore")

mx.kv.create <- function(type = "local") {
  if (!is.character(type) || length(type) != 1L || is.na(type)) {
    stop("mx.kv.create: type must be a single string such as \"local\"", call. = FALSE)
  }
  .mx.py("mx.kv.create", "pybridge.kvstore.create", list(type))
}

# Integer keys as a list for the engine; `fname` names the method in errors.
.mx.kv.keys <- function(keys, fname) {
  if (!is.numeric(keys) || !length(keys) || anyNA(keys) || any(keys != round(keys)) ||
      any(abs(keys) > .Machine$integer.max)) {
    stop(fname, ": keys must be a vector of integers", call. = FALSE)
  }
  as.list(as.integer(keys))
}

.mx.kv.priority <- function(priority, keys, fname) {
  if (!is.numeric(priority) || anyNA(priority) || any(priority != round(priority))) {
    stop(fname, ": priority must be integers", call. = FALSE)
  }
  if (length(priority) != 0L && length(priority) != length(keys)) {
    stop(fname, ": The length of keys should be same as length of priority", call. = FALSE)
  }
}

# One list of NDArrays per device (what = "weight_lists" / "out_lists") -> one list per key.
.mx.kv.by.key <- function(lists, keys, what, fname) {
  if (!is.list(lists) || !length(lists) || is.mx.ndarray(lists)) {
    stop(fname, ": Expect ", what, " to be list(list(ndarray))", call. = FALSE)
  }
  for (l in lists) {
    if (!is.list(l) || is.mx.ndarray(l)) {
      stop(fname, ": Expect ", what, " to be list(list(ndarray))", call. = FALSE)
    }
    if (length(l) != length(keys)) {
      stop(fname, ": Expect length of keys to be same as each ", what, call. = FALSE)
    }
    if (!all(vapply(l, is.mx.ndarray, logical(1)))) {
      stop(fname, ": each element of ", what, " must be an MXNDArray", call. = FALSE)
    }
  }
  lapply(seq_along(keys), function(i) unname(lapply(lists, function(l) l[[i]])))
}

# kv$push / kv$pull: checks as the real package, then one engine call for all keys.
.mx.kv.transfer <- function(x, op, keys, lists, priority, what) {
  fname <- paste0("MXKVStore$", op)
  k <- .mx.kv.keys(keys, fname)
  if (length(priority) == 1L && length(k) > 1L) priority <- rep(priority, length(k))
  .mx.kv.priority(priority, k, fname)
  .mx.method(fname, x, op, list(k, .mx.kv.by.key(lists, k, what, fname)))
  invisible(NULL)
}

`$.MXKVStore` <- function(x, name) {
  switch(name,
    init = function(keys, weights) {
      fname <- "MXKVStore$init"
      k <- .mx.kv.keys(keys, fname)
      if (!is.list(weights) || is.mx.ndarray(weights) ||
          !all(vapply(weights, is.mx.ndarray, logical(1)))) {
        stop(fname, ": weights must be a list of MXNDArray", call. = FALSE)
      }
      if (length(weights) != length(k)) {
        stop(fname, ": The length of keys should be same as length of weights", call. = FALSE)
      }
      .mx.method(fname, x, "init", list(k, unname(weights)))
      invisible(NULL)
    },
    push = function(keys, weight_lists, priority = 0L) {
      .mx.kv.transfer(x, "push", keys, weight_lists, priority, "weight_lists")
    },
    pull = function(keys, out_lists, priority = 0L) {
      .mx.kv.transfer(x, "pull", keys, out_lists, priority, "out_lists")
    },
    set.optimizer = function(optimizer) {
      fname <- "MXKVStore$set.optimizer"
      if (!is.mx.optimizer(optimizer)) {
        stop(fname, ": optimizer must be made by mx.opt.create", call. = FALSE)
      }
      .mx.method(fname, x, "set_optimizer", list(.mx.opt.engine(optimizer, fname)))
      invisible(NULL)
    },
    type = .mx.kv.attr(x, "type"),
    update.on.kvstore = !(.mx.kv.attr(x, "type") %in%
                            c("local_allreduce_cpu", "local_allreduce_device")),
    num.workers = .mx.kv.attr(x, "num_workers"),
    rank = .mx.kv.attr(x, "rank"),
    stop("MXKVStore has no member '", name, "'", call. = FALSE))
}

.mx.kv.attr <- function(x, attr) {
  .mx.method(paste0("MXKVStore$", attr), x, "__getattribute__", list(attr))
}

print.MXKVStore <- function(x, ...) {
  cat("MXKVStore (type ", x$type, ")\n", sep = "")
  invisible(x)
}

# mx.model.FeedForward.create's kvstore: a store is used for training (see the real
# mx.model.create.kvstore); a name asks for none on one device.
.mx.model.kvstore <- function(kvstore, fname) {
  if (is.MXKVStore(kvstore)) return(kvstore)
  if (!is.character(kvstore) || length(kvstore) != 1L || is.na(kvstore)) {
    stop(fname, ": kvstore must be either MXKVStore or a string", call. = FALSE)
  }
  if (grepl("dist", tolower(kvstore), fixed = TRUE)) mx.kv.create(kvstore)
  NULL
}

# Hand the trainer's parameters to `kvstore`: it runs the optimizer on push when
# kvstore$update.on.kvstore, otherwise it sums the gradients and the trainer updates.
.mx.model.attach.kvstore <- function(trainer, kvstore, fname) {
  if (is.null(kvstore)) return(invisible(NULL))
  module <- .mx.method(fname, trainer, "__getattribute__", list("module"))
  .mx.method(fname, module, "_init_kvstore", list(kvstore, kvstore$update.on.kvstore))
  invisible(NULL)
}
