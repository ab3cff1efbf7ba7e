# Shared helpers for the mxnet tests.

# The engine's shape of an NDArray (row-major order), read from the engine itself.
engine_shape <- function(nd) mxnet:::.mx.method("engine_shape", nd, "__getattribute__", list("shape"))

# The engine's values in its own (C) memory order, as a plain R vector.
engine_flat <- function(nd) as.array(mxnet:::.mx.method("engine_flat", nd, "reshape", list(-1L)))

# R's value rounded to float32 the way the engine stores it (no float32 type in R).
float32 <- function(x) {
  con <- rawConnection(raw(0), "r+")
  on.exit(close(con))
  writeBin(as.double(x), con, size = 4)
  seek(con, 0)
  res <- readBin(con, "double", n = length(x), size = 4)
  dim(res) <- dim(x)
  res
}
