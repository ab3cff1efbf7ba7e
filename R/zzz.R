# Package start-up: find the engine's Python and take over the bridge's entry points.

# State of the package: the bridge's .External routines, the default context.
.MXNetEnv <- new.env()

# Evaluated when the package is installed (stored in the lazy-load database): the Python
# named by MXNET_PYTHON at install time, and the source tree (holds rshim/ and pybridge/).
.mx.install.python <- Sys.getenv("MXNET_PYTHON")
.mx.install.source <- local({
  src <- getwd()  # R CMD INSTALL <dir> builds the lazy-load database in <dir>
  if (file.exists(file.path(src, "rshim", "__init__.py"))) normalizePath(src) else ""
})

.onLoad <- function(libname, pkgname) {
  .MXNetEnv$alive <- FALSE
  bridge <- getOption("mxnet.bridge")
  if (is.null(bridge)) {
    .mx.start.python()
    bridge <- getOption("mxnet.bridge")
    if (is.null(bridge)) stop("mxnet: rshim.attach() did not provide the bridge", call. = FALSE)
  }
  .mx.bind(bridge)
  init.context.default()
}

.onUnload <- function(libpath) {
  .mx.shutdown()
}

# The Python to start: MXNET_PYTHON if set, else the one recorded at install time.
.mx.python.path <- function() {
  py <- Sys.getenv("MXNET_PYTHON")
  if (nzchar(py)) return(py)
  .mx.install.python
}

.mx.start.python <- function() {
  py <- .mx.python.path()
  if (!nzchar(py)) {
    stop("mxnet: no Python configured. Set MXNET_PYTHON to the python of the mxnet-bridge ",
         "environment (with pybridge, rshim and rpy2), or reinstall the package with ",
         "MXNET_PYTHON=<python> R CMD INSTALL <path>", call. = FALSE)
  }
  if (!file.exists(py)) {
    stop("mxnet: the configured Python '", py, "' does not exist; set MXNET_PYTHON to the ",
         "python of the mxnet-bridge environment", call. = FALSE)
  }
  if (!requireNamespace("reticulate", quietly = TRUE)) {
    stop("mxnet: the R package 'reticulate' is needed to start Python", call. = FALSE)
  }
  # RETICULATE_PYTHON first: reticulate then uses exactly this Python and does not look
  # for project files (pyproject.toml) in the working directory.
  old <- Sys.getenv("RETICULATE_PYTHON", unset = NA)
  Sys.setenv(RETICULATE_PYTHON = py)
  on.exit(if (is.na(old)) Sys.unsetenv("RETICULATE_PYTHON")
          else Sys.setenv(RETICULATE_PYTHON = old), add = TRUE)
  ok <- tryCatch({
    reticulate::use_python(py, required = TRUE)
    TRUE
  }, error = function(e) conditionMessage(e))
  if (!isTRUE(ok)) {
    stop("mxnet: cannot use Python '", py, "': ", ok, call. = FALSE)
  }
  src <- .mx.install.source
  if (!reticulate::py_module_available("rshim") && nzchar(src) &&
      file.exists(file.path(src, "rshim", "__init__.py"))) {
    sys <- reticulate::import("sys", convert = FALSE)
    sys$path$insert(0L, src)
  }
  res <- tryCatch({
    rshim <- reticulate::import("rshim", convert = TRUE)
    rshim$attach()
    TRUE
  }, error = function(e) conditionMessage(e))
  if (!isTRUE(res)) {
    stop("mxnet: Python '", py, "' could not start the bridge (rshim): ", res, call. = FALSE)
  }
  invisible(TRUE)
}

.mx.bind <- function(bridge) {
  for (name in names(bridge)) assign(name, bridge[[name]], envir = .MXNetEnv)
  .External(.MXNetEnv$set_callback_runner, .mx.callback.run)
  .MXNetEnv$alive <- TRUE
  invisible(TRUE)
}

# After this no finalizer calls the engine (used when the hosting Python shuts down).
.mx.shutdown <- function() {
  .MXNetEnv$alive <- FALSE
  invisible(NULL)
}
