# A small stand-in for the parts of the `imager` package the deck uses, for machines without
# imager (it is not packaged in Debian, and CRAN may be out of reach). Used by deck.R only
# when `library(imager)` fails. Same calls, same array layout as imager's `cimg`:
# dim = c(width, height, depth, spectrum), values in [0, 1].
#   load.image(file)              JPEG or PNG -> cimg
#   crop.borders(im, nx, ny)      drop nx columns left and right, ny rows top and bottom
#   resize(im, size_x, size_y, interpolation_type = 1)   1: nearest neighbour, 3: bilinear
#   plot(im, rescale = TRUE)      draws the image (x to the right, y downwards, as imager);
#                                 values are stretched to [0, 1] first unless rescale = FALSE
#   as.cimg(arr)                  a 2-D (w, h), 3-D (w, h, c) or 4-D array as a cimg
#   as.array(im), dim(im), width(im), height(im)

load.image <- function(file) {
  if (!file.exists(file)) stop("load.image: file '", file, "' does not exist")
  ext <- tolower(tools::file_ext(file))
  arr <- switch(ext,
    jpg = , jpeg = jpeg::readJPEG(file),
    png = png::readPNG(file),
    stop("load.image: unsupported file type '", ext, "' (JPEG and PNG only)"))
  if (length(dim(arr)) == 2) dim(arr) <- c(dim(arr), 1)
  arr <- arr[, , seq_len(min(3, dim(arr)[3])), drop = FALSE]       # drop any alpha channel
  as.cimg(aperm(arr, c(2, 1, 3)))                                   # (h, w, c) -> (w, h, c)
}

as.cimg <- function(arr) {
  d <- dim(arr)
  if (length(d) == 2) dim(arr) <- c(d, 1, 1)
  if (length(d) == 3) dim(arr) <- c(d[1], d[2], 1, d[3])
  if (length(dim(arr)) != 4) stop("as.cimg: expected a 2-, 3- or 4-dimensional array")
  structure(arr, class = c("cimg", "imager_array", "numeric"))
}

width <- function(im) dim(im)[1]
height <- function(im) dim(im)[2]

as.array.cimg <- function(x, ...) { attr(x, "class") <- NULL; x }

crop.borders <- function(im, nx = 0, ny = 0, nz = 0) {
  w <- width(im); h <- height(im)
  if (2 * nx >= w || 2 * ny >= h) stop("crop.borders: borders larger than the image")
  as.cimg(as.array(im)[(nx + 1):(w - nx), (ny + 1):(h - ny), , , drop = FALSE])
}

resize <- function(im, size_x = width(im), size_y = height(im), interpolation_type = 1L) {
  src <- as.array(im)
  w <- width(im); h <- height(im)
  if (interpolation_type == 1L) {                                  # nearest neighbour
    ix <- pmin(w, floor((seq_len(size_x) - 0.5) * w / size_x) + 1)
    iy <- pmin(h, floor((seq_len(size_y) - 0.5) * h / size_y) + 1)
    return(as.cimg(src[ix, iy, , , drop = FALSE]))
  }
  if (interpolation_type != 3L) stop("resize: interpolation_type must be 1 (nearest) or 3 (linear)")
  # bilinear: sample positions in source pixel coordinates (pixel centres aligned)
  fx <- pmin(pmax((seq_len(size_x) - 0.5) * w / size_x + 0.5, 1), w)
  fy <- pmin(pmax((seq_len(size_y) - 0.5) * h / size_y + 0.5, 1), h)
  x0 <- floor(fx); x1 <- pmin(x0 + 1, w); ax <- fx - x0
  y0 <- floor(fy); y1 <- pmin(y0 + 1, h); ay <- fy - y0
  out <- array(0, c(size_x, size_y, dim(src)[3], dim(src)[4]))
  for (z in seq_len(dim(src)[3])) for (c in seq_len(dim(src)[4])) {
    p <- src[, , z, c]
    top <- p[x0, y0] * (1 - ax) + p[x1, y0] * ax
    bottom <- p[x0, y1] * (1 - ax) + p[x1, y1] * ax
    out[, , z, c] <- sweep(top, 2, 1 - ay, `*`) + sweep(bottom, 2, ay, `*`)
  }
  as.cimg(out)
}

plot.cimg <- function(x, rescale = TRUE, ...) {
  arr <- as.array(x)[, , 1, , drop = TRUE]
  if (rescale) {                                  # imager's default: min..max -> 0..1
    span <- range(arr, finite = TRUE)
    arr <- if (span[2] > span[1]) (arr - span[1]) / (span[2] - span[1]) else arr * 0
  }
  if (length(dim(arr)) == 2) arr <- array(arr, c(dim(arr), 1))
  rgb_img <- if (dim(arr)[3] >= 3) {
    grDevices::rgb(arr[, , 1], arr[, , 2], arr[, , 3])
  } else grDevices::grey(arr[, , 1])
  raster <- matrix(rgb_img, nrow = dim(arr)[1])                      # (w, h)
  raster <- t(raster)                                               # rows = y, as images are drawn
  w <- width(x); h <- height(x)
  graphics::plot(c(1, w), c(h, 1), type = "n", xlab = "x", ylab = "y", asp = 1, ylim = c(h, 1), ...)
  graphics::rasterImage(grDevices::as.raster(raster), 1, h, w, 1)
  invisible(x)
}
