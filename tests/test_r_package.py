"""The R package `mxnet`: its testthat suite through both ways in, the deck's first slide,
and the generated wrappers being up to date.

The package is installed from this working tree into a temporary library (so the tests
see the code under test), then:
- plain R: ``Rscript`` runs the suite (``library(mxnet)`` starts Python with reticulate);
- Python hosts R: ``python -m rshim`` runs the same suite in embedded R (no reticulate).
Each run happens in a subprocess; a failing expectation, an R error or a crash fails here.
"""
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
TESTTHAT = ROOT / "tests" / "testthat"

pytestmark = pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")

RUNNER = r"""
suppressPackageStartupMessages({ library(testthat); library(mxnet) })
res <- as.data.frame(test_dir("%s", reporter = "summary", stop_on_failure = FALSE))
cat(sprintf("TESTTHAT-COUNTS tests=%%d expectations=%%d failed=%%d skipped=%%d errors=%%d warnings=%%d\n",
            nrow(res), sum(res$nb), sum(res$failed), sum(res$skipped),
            sum(res$error), sum(res$warning)))
"""

DECK = "library(mxnet); a <- mx.nd.ones(c(2, 3)); b <- a * 2 + 1; b\n"
DECK_OUT = "     [,1] [,2] [,3]\n[1,]    3    3    3\n[2,]    3    3    3\n"


@pytest.fixture(scope="module")
def r_env(tmp_path_factory):
    """Environment with the package installed from this tree in a temporary library."""
    lib = tmp_path_factory.mktemp("rlib")
    env = dict(os.environ, MXNET_PYTHON=sys.executable, R_LIBS=str(lib),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    proc = subprocess.run(["R", "CMD", "INSTALL", "--no-data", "--no-test-load", "-l", str(lib),
                           str(ROOT)], env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return env


def _counts(output):
    m = re.search(r"TESTTHAT-COUNTS (.*)", output)
    assert m, f"no testthat summary in the output:\n{output[-4000:]}"
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def _run_suite(cmd, env, tmp_path):
    script = tmp_path / "run_testthat.R"
    script.write_text(RUNNER % str(TESTTHAT).replace("\\", "/"))
    proc = subprocess.run(cmd + [str(script)], env=env, capture_output=True, text=True,
                          timeout=900, cwd=tmp_path)
    out = proc.stdout + proc.stderr
    counts = _counts(out)
    print(f"\n{' '.join(cmd[-3:])}: testthat {counts}")
    assert proc.returncode == 0, out[-4000:]
    assert counts["failed"] == 0 and counts["errors"] == 0, out[-6000:]
    assert counts["expectations"] > 100
    return counts


def test_testthat_via_rscript(r_env, tmp_path):
    _run_suite(["Rscript"], r_env, tmp_path)


def test_testthat_via_python_hosting_r(r_env, tmp_path):
    _run_suite([sys.executable, "-m", "rshim"], r_env, tmp_path)


@pytest.mark.parametrize("how", ["Rscript", "rshim"])
def test_deck_first_slide_both_ways(r_env, tmp_path, how):
    script = tmp_path / "deck.R"
    script.write_text(DECK)
    cmd = ["Rscript"] if how == "Rscript" else [sys.executable, "-m", "rshim"]
    proc = subprocess.run(cmd + [str(script)], env=r_env, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == DECK_OUT


def test_error_exit_status_and_message_both_ways(r_env, tmp_path):
    script = tmp_path / "bad.R"
    script.write_text('library(mxnet)\nx <- mx.nd.array("a")\ncat("not reached\\n")\n')
    outs = []
    for cmd in (["Rscript"], [sys.executable, "-m", "rshim"]):
        proc = subprocess.run(cmd + [str(script)], env=r_env, capture_output=True, text=True,
                              timeout=300, cwd=tmp_path)
        assert proc.returncode == 1
        assert "not reached" not in proc.stdout
        assert "mx.nd.array: src.array must be a numeric" in proc.stderr
        assert "Traceback" not in proc.stderr
        outs.append(proc.stderr)
    assert outs[0] == outs[1]


def test_script_arguments_read_the_same_both_ways(r_env, tmp_path):
    """commandArgs() under python -m rshim is Rscript's: trailing arguments and --file=."""
    script = tmp_path / "args.R"
    script.write_text('cat(commandArgs(trailingOnly = TRUE), sep = "|"); cat("\\n")\n'
                      'cat(grep("^--file=", commandArgs(), value = TRUE), "\\n")\n'
                      'cat(interactive(), "\\n")\n')
    outs = []
    for cmd in (["Rscript"], [sys.executable, "-m", "rshim"]):
        proc = subprocess.run(cmd + [str(script), "a", "b c", "--x=1"], env=r_env,
                              capture_output=True, text=True, timeout=300, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        outs.append(proc.stdout)
    assert outs[0] == f"a|b c|--x=1\n--file={script} \nFALSE \n"
    assert outs[1] == outs[0]


GC_IN_CALLBACKS = """library(mxnet)
It <- setRefClass("It", fields = c("it"), contains = "Rcpp_MXArrayDataIter",
  methods = list(initialize = function(it) { .self$it <- it; .self },
    value = function() { gc(); .self$it$value() }, iter.next = function() .self$it$iter.next(),
    reset = function() .self$it$reset(), num.pad = function() .self$it$num.pad(),
    finalize = function() NULL))
set.seed(1)
x <- matrix(runif(4 * 300), 4); y <- runif(300)
net <- mx.symbol.LinearRegressionOutput(mx.symbol.FullyConnected(mx.symbol.Variable("data"),
                                                                 num_hidden = 1))
m <- mx.model.FeedForward.create(net, X = It$new(mx.io.arrayiter(x, y, batch.size = 32)),
  ctx = mx.cpu(), num.round = 2, learning.rate = 0.01, verbose = FALSE,
  batch.end.callback = function(iteration, nbatch, env, verbose = TRUE) { gc(); TRUE })
cat("trained\n")
"""


@pytest.mark.parametrize("how", ["Rscript", "rshim"])
def test_gc_inside_r_callbacks_during_training(r_env, tmp_path, how):
    """R code called from the engine (a batch callback, an R iterator) may run gc(), which runs
    reticulate's finalizers; under Rscript that aborted R ("the GIL is released") until R code
    started from Python kept the GIL."""
    script = tmp_path / "gc.R"
    script.write_text(GC_IN_CALLBACKS)
    cmd = ["Rscript"] if how == "Rscript" else [sys.executable, "-m", "rshim"]
    for _ in range(2):                  # it aborted in 2 of 2 runs before the fix
        proc = subprocess.run(cmd + [str(script)], env=r_env, capture_output=True, text=True,
                              timeout=300, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert proc.stdout.strip().endswith("trained")


@pytest.mark.parametrize("generator", ["gen_r.py", "gen_r_symbol.py"])
def test_generated_r_wrappers_are_up_to_date(generator):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / generator), "--check"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, ("R wrappers/help pages are out of date; run "
                                  f"scripts/{generator}:\n" + proc.stdout + proc.stderr)
