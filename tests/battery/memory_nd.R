# Memory across the bridge (run by tests/test_memory.py): NDArrays created from R and
# dropped must be released by R's garbage collector, so the engine's handle count falls back
# and the process's resident memory stays bounded.  Prints "KEY value" lines.
suppressPackageStartupMessages(library(mxnet))
n_small <- as.integer(Sys.getenv("MX_N_SMALL", "100000"))
n_large <- as.integer(Sys.getenv("MX_N_LARGE", "1000"))
status <- function(key) {
  l <- readLines("/proc/self/status")
  as.numeric(sub("^[^0-9]*([0-9]+).*$", "\\1", l[startsWith(l, paste0(key, ":"))])) / 1024
}
handles <- function() mxnet:::mx.internal.handle.count()
report <- function(tag) {
  invisible(gc())
  cat(sprintf("%s rss_mib=%.1f hwm_mib=%.1f handles=%d\n", tag, status("VmRSS"),
              status("VmHWM"), handles()))
}
# warm-up: code paths, allocator pools, one large array
x <- mx.nd.ones(c(2, 2))
for (i in seq_len(2000)) a <- x + i
b <- mx.nd.ones(c(1000, 1000))
rm(a, b)
report("baseline")
# what an NDArray that is NOT released costs: hold 10,000 small ones, then 5 large ones
held <- lapply(seq_len(10000), function(i) x + i)
report("held_small")
rm(held)
report("released_small")
for (i in seq_len(n_small)) a <- x + i        # 100,000 small arrays made and dropped
report("small")
held <- lapply(1:5, function(i) mx.nd.ones(c(1000, 1000)))   # 5 x 4 MB kept alive
report("held_large")
rm(held)
report("released_large")
for (i in seq_len(n_large)) b <- mx.nd.ones(c(1000, 1000))   # 1,000 x 4 MB made and dropped
report("large")
rm(a, b)
report("end")
