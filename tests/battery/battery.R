# Bad-input battery for the R package: every function exported by NAMESPACE is called with
# wrong types, NULL, NA, empty vectors, negative and huge dimensions, mismatched shapes and
# wrong argument names.  Run by tests/test_bad_input_r.py:
#
#   Rscript battery.R <log file> <first case index> <worker> <workers>
#
# Worker k of n (0-based) runs the functions whose position in the sorted export list is k
# modulo n, so that n processes can share the battery.  Exports that are the same function
# as an earlier export (aliases such as mx.symbol.broadcast_add / mx.symbol.broadcast.add)
# are tested once.
# Cases are numbered in a fixed order (exports sorted by name).  Before a case runs, a line
# "S<TAB>i<TAB>function<TAB>case" is written and flushed to the log; after it, a line
# "R<TAB>i<TAB>status<TAB>message" (status: error, value).  If the process dies, the driver
# knows which case killed it from the last "S" line without an "R" line, and starts a new
# process at the next case.  After each function's cases the session is checked to still
# compute (a line "B<TAB>i<TAB>function" if it does not; the process then stops).

args <- commandArgs(trailingOnly = TRUE)
log_file <- args[[1L]]
first <- as.integer(args[[2L]])
worker <- if (length(args) >= 3L) as.integer(args[[3L]]) else 0L
workers <- if (length(args) >= 4L) as.integer(args[[4L]]) else 1L
max_cases <- .Machine$integer.max

suppressPackageStartupMessages(library(mxnet))
ns <- asNamespace("mxnet")
exports <- sort(getNamespaceExports("mxnet"))
is_fun <- vapply(exports, function(n) is.function(get(n, envir = ns)), logical(1))
not_functions <- exports[!is_fun]     # objects, e.g. mx.metric.accuracy: nothing to call
exports <- exports[is_fun]
fns <- lapply(exports, get, envir = ns)
dup <- vapply(seq_along(fns), function(k) {
  k > 1L && any(vapply(fns[seq_len(k - 1L)], identical, logical(1), fns[[k]]))
}, logical(1))
aliases <- exports[dup]
exports <- exports[!dup]

nd <- mx.nd.ones(c(2, 3))
sym <- mx.symbol.Variable("data")

# Bad values, each a function so that a case gets a fresh object.
bad <- list(
  NULL_ = function() NULL,
  NA_ = function() NA,
  NA_real = function() NA_real_,
  empty_num = function() numeric(0),
  empty_chr = function() character(0),
  empty_list = function() list(),
  string = function() "not-a-valid-value",
  negative = function() -1,
  zero = function() 0,
  huge = function() 1e15,
  nan = function() NaN,
  inf = function() -Inf,
  neg_dims = function() c(-2, 3),
  huge_dims = function() c(1e7, 1e7),
  frac_dims = function() c(2.5, 3),
  bool = function() TRUE,
  fun = function() function(x) x,
  env = function() new.env(),
  df = function() data.frame(a = 1:3, b = letters[1:3]),
  factor = function() factor(c("a", "b")),
  complex = function() 1i,
  raw = function() as.raw(1:3),
  ndarray = function() mx.nd.ones(c(4, 5)),
  symbol = function() mx.symbol.Variable("x"),
  ctx = function() mx.cpu()
)
few <- bad[c("NULL_", "NA_", "empty_num", "string", "negative", "huge", "huge_dims", "fun",
             "ndarray", "symbol")]

# Each function gets every kind of case, and a share of the bad values: they rotate over
# the functions (function k starts at value k * n), so that every value is tried on many
# functions and the battery stays short.  MXNET_BATTERY_FULL=1 gives every function every
# value (about 4 times as many cases).
full <- nzchar(Sys.getenv("MXNET_BATTERY_FULL"))
pick <- function(values, n, k) {
  if (full || n >= length(values)) return(values)
  values[((k * n + seq_len(n) - 1L) %% length(values)) + 1L]
}

# The cases for function number k: a list of (label, argument list).
cases_for <- function(name, f, k) {
  fm <- names(formals(f))
  named <- setdiff(fm, "...")
  out <- list(list("no arguments", list()))
  for (b in pick(names(bad), 5L, k)) {
    out[[length(out) + 1L]] <- list(paste0("first=", b), list(bad[[b]]()))
  }
  if (length(named) > 1L) {
    for (b in pick(names(few), 2L, k)) {
      a <- lapply(named, function(n) few[[b]]())
      names(a) <- named
      out[[length(out) + 1L]] <- list(paste0("all=", b), a)
    }
  }
  # A plausible first argument, then a bad value for each other named argument.
  valid <- if (startsWith(name, "mx.nd.")) nd else if (startsWith(name, "mx.symbol.")) sym else NULL
  if (!is.null(valid) && length(named) > 1L) {
    others <- if (full) named[-1L] else head(named[-1L], 3L)
    for (j in seq_along(others)) {
      for (b in pick(c("NULL_", "string", "huge_dims"), 1L, k + j)) {
        a <- list(valid)
        a[[others[[j]]]] <- bad[[b]]()
        out[[length(out) + 1L]] <- list(paste0("first=valid,", others[[j]], "=", b), a)
      }
    }
  }
  if (startsWith(name, "mx.nd.")) {
    out[[length(out) + 1L]] <- list("mismatched shapes",
                                    list(mx.nd.ones(c(2, 3)), mx.nd.ones(c(4, 5))))
    out[[length(out) + 1L]] <- list("three mismatched arrays",
                                    list(mx.nd.ones(c(2, 3)), mx.nd.ones(c(3, 2)), mx.nd.ones(7)))
    out[[length(out) + 1L]] <- list("empty array",
                                    list(mx.nd.array(numeric(0))))
  }
  if (startsWith(name, "mx.symbol.")) {
    out[[length(out) + 1L]] <- list("symbol and ndarray", list(sym, nd))
  }
  out[[length(out) + 1L]] <- list("wrong argument name", list(no.such.argument = 1))
  out[[length(out) + 1L]] <- list("wrong argument names",
                                  list(nd, data.frame.bogus = NA, `__class__` = "x"))
  out
}

con <- file(log_file, open = "a")
emit <- function(...) {
  writeLines(paste(..., sep = "\t"), con)
  flush(con)
}
clean <- function(msg) gsub("[\t\r\n]+", " ", msg)

session_ok <- function() {
  isTRUE(tryCatch(identical(as.array(mx.nd.ones(2) + 1), c(2, 2)), error = function(e) FALSE))
}

workdir <- tempfile("battery")
dir.create(workdir)
setwd(workdir)          # functions that write files (mx.nd.save, mx.model.save) write here

if (worker == 0L && first <= 1L) {
  for (a in aliases) emit("D", a)
  for (a in not_functions) emit("O", a)
}
i <- 0L
done <- 0L
for (k in seq_along(exports)) {
  name <- exports[[k]]
  f <- get(name, envir = ns)
  cs <- cases_for(name, f, k)
  if ((k - 1L) %% workers != worker) {
    i <- i + length(cs)
    next
  }
  ran_any <- FALSE
  for (cs_i in cs) {
    i <- i + 1L
    if (i < first) next
    if (done >= max_cases) break
    ran_any <- TRUE
    emit("S", i, name, cs_i[[1L]])
    t0 <- proc.time()[["elapsed"]]
    res <- withCallingHandlers(
      tryCatch({
        v <- do.call(f, cs_i[[2L]])
        force(v)
        c("value", "")
      }, error = function(e) c("error", clean(conditionMessage(e)))),
      warning = function(w) invokeRestart("muffleWarning"),
      message = function(m) invokeRestart("muffleMessage"))
    emit("R", i, res[[1L]], res[[2L]], round(1000 * (proc.time()[["elapsed"]] - t0)))
    done <- done + 1L
  }
  if (ran_any) {
    invisible(gc())
    if (!session_ok()) {
      emit("B", i, name)
      quit(status = 3L)
    }
  }
  if (done >= max_cases) break
}
emit("E", i)
close(con)
