# Build the deck's R data file from IDX files:
#   Rscript idx_to_rda.R OUT.rda NAME1 IMAGES1 LABELS1 [NAME2 IMAGES2 LABELS2 ...]
# Each NAME becomes a numeric (double) matrix of N rows x 785 columns: the label (0..9) in
# column 1, then the 784 pixel values 0..255 in the image's row-major order, as the deck
# expects (`dat[ind,-1]`, `train_mnist[,1]`, `t(x)`, `x/255`, `as.numeric(dat[ind,-1])`).
# A plain matrix, not a data.frame: `as.numeric(dat[ind,-1])` fails on a data.frame row.
# Double, not integer: the deck passes the unscaled matrix straight to mx.io.arrayiter in
# its MLP chunks, and a double matrix reaches the bridge as plain numbers on every path,
# while an integer one might arrive as int32.  The cost is memory: ~380 MB instead of
# ~190 MB for 60000 x 785 (the files themselves are gzip-compressed, 25 MB and 62 MB).
# The file is written to a temporary name in the same folder, then renamed.

read_idx <- function(path, want_ndim) {
  con <- file(path, "rb")
  on.exit(close(con))
  magic <- readBin(con, "raw", 4)
  if (length(magic) != 4 || magic[1] != 0 || magic[2] != 0 || magic[3] != as.raw(8))
    stop("idx_to_rda: ", path, " is not an unsigned-byte IDX file")
  ndim <- as.integer(magic[4])
  if (ndim != want_ndim) stop("idx_to_rda: ", path, " has ", ndim, " dims, expected ", want_ndim)
  dims <- readBin(con, "integer", ndim, size = 4, endian = "big")
  n <- prod(as.numeric(dims))
  values <- readBin(con, "integer", n, size = 1, signed = FALSE)
  if (length(values) != n) stop("idx_to_rda: ", path, " is truncated")
  if (length(readBin(con, "raw", 1)) != 0) stop("idx_to_rda: ", path, " has trailing bytes")
  list(dims = dims, values = values)
}

args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 4 || (length(args) - 1) %% 3 != 0)
  stop("usage: Rscript idx_to_rda.R OUT.rda NAME IMAGES LABELS [NAME IMAGES LABELS ...]")
out <- args[1]
objects <- character(0)
env <- new.env()
for (i in seq(2, length(args), by = 3)) {
  name <- args[i]
  images <- read_idx(args[i + 1], 3L)
  labels <- read_idx(args[i + 2], 1L)
  n <- images$dims[1]
  pixels <- images$dims[2] * images$dims[3]
  if (labels$dims[1] != n) stop("idx_to_rda: ", n, " images but ", labels$dims[1], " labels")
  # IDX is row-major: image k's pixels are values[(k-1)*pixels + 1:pixels]; byrow fills rows.
  m <- cbind(labels$values, matrix(images$values, nrow = n, ncol = pixels, byrow = TRUE))
  storage.mode(m) <- "double"
  assign(name, m, envir = env)
  objects <- c(objects, name)
  cat(sprintf("%s: %d x %d, labels %s\n", name, nrow(m), ncol(m),
              paste(tabulate(m[, 1] + 1, nbins = 10), collapse = " ")))
}
tmp <- tempfile(pattern = paste0(".", basename(out), "."), tmpdir = dirname(out), fileext = ".tmp")
ok <- FALSE
tryCatch({
  save(list = objects, envir = env, file = tmp)
  ok <- file.rename(tmp, out)
}, finally = if (!ok) unlink(tmp))
if (!ok) stop("idx_to_rda: could not write ", out)
