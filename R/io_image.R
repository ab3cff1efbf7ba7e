# Image RecordIO in R: the arguments of mx.io.ImageRecordIter that name files, and im2rec.

# mx.io.ImageRecordIter's file arguments (dotted or not) as single path-expanded strings.
.mx.io.image.paths <- function(args) {
  for (key in names(args)) {
    if (!(gsub(".", "_", key, fixed = TRUE) %in%
          c("path_imgrec", "path_imgidx", "path_imglist", "mean_img"))) next
    v <- args[[key]]
    if (!is.character(v) || length(v) != 1L || is.na(v)) {
      stop("mx.io.ImageRecordIter: ", key, " must be a file name", call. = FALSE)
    }
    args[[key]] <- path.expand(v)
  }
  args
}

.mx.im2rec.int <- function(value, name) {
  if (!is.numeric(value) || length(value) != 1L || is.na(value) ||
      value != round(value) || abs(value) > .Machine$integer.max) {
    stop("im2rec: ", name, " must be a single integer", call. = FALSE)
  }
  as.integer(value)
}

.mx.im2rec.path <- function(value, name) {
  if (!is.character(value) || length(value) != 1L || is.na(value) || !nzchar(value)) {
    stop("im2rec: ", name, " must be a single file or folder name", call. = FALSE)
  }
  path.expand(value)
}

im2rec <- function(image_lst, root, output_rec, label_width = 1L,
                   pack_label = 0L, new_size = -1L, nsplit = 1L,
                   partid = 0L, center_crop = 0L, quality = 95L,
                   color_mode = 1L, unchanged = 0L, inter_method = 1L,
                   encoding = ".jpg") {
  image_lst <- .mx.im2rec.path(image_lst, "image_lst")
  if (!file.exists(image_lst)) {
    stop("im2rec: cannot open file '", image_lst, "': no such file", call. = FALSE)
  }
  # root is prepended to each listed name as it is (MXNet: root + name), so keep its "/"
  if (!is.character(root) || length(root) != 1L || is.na(root)) {
    stop("im2rec: root must be a single folder name", call. = FALSE)
  }
  root <- path.expand(root)
  output_rec <- .mx.im2rec.path(output_rec, "output_rec")
  ints <- list(label_width = label_width, pack_label = pack_label, new_size = new_size,
               nsplit = nsplit, partid = partid, center_crop = center_crop,
               quality = quality, color_mode = color_mode, unchanged = unchanged,
               inter_method = inter_method)
  ints <- Map(.mx.im2rec.int, ints, names(ints))
  if (ints$label_width < 1L) stop("im2rec: label_width must be at least 1", call. = FALSE)
  if (!is.character(encoding) || length(encoding) != 1L || is.na(encoding)) {
    stop("im2rec: Encoding mode must be .jpg or .png.", call. = FALSE)
  }
  out <- .mx.py("im2rec", "pybridge.recordio.im2rec",
                c(list(image_lst, root, output_rec), unname(ints), list(encoding)))
  invisible(out)
}
