"""``python -m rshim script.R [args...]`` and the console script ``mxnet-r``."""
import sys


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: python -m rshim script.R [args...]\n"
              "Run an R script (like Rscript) in R embedded in this Python, with the mxnet\n"
              "package's bridge attached in-process (no reticulate).")
        return 0 if argv else 2
    from .host import run_script
    return run_script(argv[0], argv[1:])


if __name__ == "__main__":
    sys.exit(main())
