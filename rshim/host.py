"""Python hosts R: embed R with rpy2, attach the bridge, run an R script like Rscript.

``run_script(path)`` evaluates the script's top-level expressions in the global
environment and prints visible values (as Rscript does); an error prints
``Error in <call> : <message>`` and ``Execution halted`` to stderr and gives exit status 1.
"""
import os
import sys

_RUNNER = r"""
function(path, args) {
  options(mxnet.script.args = args)
  warn_buffer <- character(0)
  flush_warnings <- function() {
    if (length(warn_buffer) == 1L) {
      cat("Warning message:\n", warn_buffer, "\n", sep = "", file = stderr())
    } else if (length(warn_buffer) > 1L) {
      cat("Warning messages:\n", paste0(seq_along(warn_buffer), ": ", warn_buffer, "\n"),
          sep = "", file = stderr())
    }
    warn_buffer <<- character(0)
  }
  format_cond <- function(cond) {
    call <- conditionCall(cond)
    if (is.null(call)) conditionMessage(cond)
    else paste0("In ", paste(deparse(call, nlines = 1L), collapse = ""), " : ",
                conditionMessage(cond))
  }
  status <- tryCatch({
    exprs <- parse(file = path, keep.source = FALSE)
    for (e in exprs) {
      withCallingHandlers({
        res <- withVisible(eval(e, envir = globalenv()))
        if (res$visible) {
          if (isS4(res$value)) methods::show(res$value) else print(res$value)
        }
      }, warning = function(w) {
        warn_buffer <<- c(warn_buffer, format_cond(w))
        invokeRestart("muffleWarning")
      })
      flush_warnings()
    }
    0L
  }, error = function(e) {
    flush_warnings()
    call <- conditionCall(e)
    msg <- if (is.null(call)) paste0("Error: ", conditionMessage(e))
           else paste0("Error in ", paste(deparse(call, nlines = 1L), collapse = ""), " : ",
                       conditionMessage(e))
    cat(msg, "\n", "Execution halted\n", sep = "", file = stderr())
    1L
  })
  status
}
"""


def rscript_argv(path, args=()):
    """The command line Rscript gives R, so that a script's ``commandArgs()`` (and
    ``commandArgs(trailingOnly = TRUE)``) read the same under ``python -m rshim``. R stops
    reading options at ``--args``; ``--file=`` only names the script here (embedded R runs no
    REPL, so it does not read the file)."""
    argv = ["R", "--no-echo", "--no-restore", f"--file={path}"]
    return tuple(argv + ["--args", *args] if args else argv)


def start_r(argv=None):
    """Embed R (non-interactive, like Rscript) with console output on sys.stdout/stderr;
    ``argv``: R's command line (``commandArgs()``), rpy2's default when None."""
    import rpy2.rinterface as ri
    from rpy2.rinterface_lib import callbacks, embedded
    if embedded.isinitialized():
        return ri
    embedded._DEFAULT_R_INTERACTIVE = False
    if argv is not None:
        embedded._options = tuple(argv)
    callbacks.consolewrite_print = lambda s: (sys.stdout.write(s), sys.stdout.flush())
    callbacks.consolewrite_warnerror = lambda s: (sys.stderr.write(s), sys.stderr.flush())
    ri.initr_simple()
    return ri


def run_script(path, args=()):
    """Run an R script with the mxnet bridge attached; the exit status (0 or 1)."""
    if not os.path.exists(path):
        sys.stderr.write(f"Fatal error: cannot open file '{path}': No such file or directory\n")
        return 2
    ri = start_r(rscript_argv(path, args))
    from .attach import attach
    attach()
    runner = ri.evalr(_RUNNER)
    status = runner(ri.StrSexpVector([os.path.abspath(path)]), ri.StrSexpVector(list(args)))
    sys.stdout.flush()
    # No engine call may run from R finalizers while Python shuts down.
    ri.evalr("if ('mxnet' %in% loadedNamespaces()) mxnet:::.mx.shutdown()")
    return int(status[0])
