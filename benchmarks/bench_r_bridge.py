#!/usr/bin/env python3
"""Benchmarks of the R bridge (R package mxnet <-> engine through rshim).

    python benchmarks/bench_r_bridge.py [--rounds 7] [--no-mlp]

1. R -> NDArray -> R round trip of a 4000x4000 double matrix
   (``as.array(mx.nd.array(x))``) as a ratio to R's own ``x + 0``; goal: within 3x.
2. Per-call time of ``a * 2 + 1`` on a 2x3 array from R vs the same expression from Python
   (``pybridge``) timed in the same process right after, round by round; goals: within 3x,
   under 100 us.
3. The deck's product: ``res <- mx.nd.dot(a, a); res_mat <- as.matrix(res)`` on a 4000x4000
   ``a <- mx.nd.array(mat)``, against NumPy's float32 ``x @ x`` alone in the same process
   (goal: within 1.2x) and against R's own ``mat %*% mat`` on the doubles (the speed-up).
   ``mx.nd.dot(a, a)`` is the real package's engine-order product: on these arrays it gives
   ``mat %*% mat`` (checked here against R's result).
4. The deck's MLP (784-256-10 tanh, batch 128, lr 0.01, sgd) trained with
   ``mx.model.FeedForward.create`` on MNIST from R, seconds per epoch, next to the same
   network and data trained by real MXNet 1.9.1 (``side_by_side.py mxnet mlp_epoch`` with the
   reference Python; skipped when absent); processes alternate, medians.

Sections 1-3 run in both ways into R: plain ``Rscript`` (Python started by reticulate) and
``python -m rshim`` (Python hosts R); the R and the Python (or NumPy) timings of a round
alternate so that machine load affects both alike.  Figures are medians over rounds.  BLAS
threads are whatever the environment says (OPENBLAS_NUM_THREADS; recorded in the results).
Prints a markdown table and writes benchmarks/RESULTS-r-bridge.md.  Needs the R package
installed and, for section 4, MNIST in data/ (examples/get_data).
"""
import argparse
import datetime
import os
import pathlib
import platform
import re
import statistics
import subprocess
import sys
import tempfile

import collect   # benchmarks/collect.py: runs side_by_side.py with a given Python

ROOT = pathlib.Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS-r-bridge.md"

R_CODE = r"""
suppressPackageStartupMessages(library(mxnet))
rounds <- %(rounds)d
el <- function(expr) system.time(expr)[["elapsed"]]
set.seed(1)
x <- matrix(runif(4000 * 4000), 4000, 4000)
invisible(as.array(mx.nd.array(x)))             # warm up
rt <- r0 <- to_nd <- to_r <- numeric(rounds)
for (k in seq_len(rounds)) {
  r0[k] <- el(y <- x + 0)
  rm(y)
  rt[k] <- el(y <- as.array(mx.nd.array(x)))
  stopifnot(identical(dim(y), dim(x)))
  rm(y)
  to_nd[k] <- el(nd <- mx.nd.array(x))
  to_r[k] <- el(y <- as.array(nd))
  rm(y, nd)
  invisible(gc())
}
cat(sprintf("BENCH r_plus0_s %%.6f\n", median(r0)))
cat(sprintf("BENCH roundtrip_s %%.6f\n", median(rt)))
cat(sprintf("BENCH to_ndarray_s %%.6f\n", median(to_nd)))
cat(sprintf("BENCH to_r_s %%.6f\n", median(to_r)))
rm(x)
invisible(gc())
a <- mx.nd.ones(c(2, 3))
stopifnot(identical(as.array(a * 2 + 1), matrix(3, 2, 3)))
n <- %(n)d
r_us <- py_us <- numeric(rounds)
for (i in seq_len(200)) b <- a * 2 + 1           # warm up
for (k in seq_len(rounds)) {
  r_us[k] <- el(for (i in seq_len(n)) b <- a * 2 + 1) / n * 1e6
  py_us[k] <- mxnet:::mx.internal.call("timeit.timeit", "a * 2 + 1",
    "import pybridge as mx; a = mx.nd.ones((3, 2))", number = as.integer(n)) / n * 1e6
}
cat(sprintf("BENCH r_call_us %%.3f\n", median(r_us)))
cat(sprintf("BENCH py_call_us %%.3f\n", median(py_us)))
cat(sprintf("BENCH call_ratio %%.3f\n", median(r_us / py_us)))
rm(a, b)
# the deck's 4000x4000 product; NumPy's float32 matmul in this process; R's own %%*%%
set.seed(2)
mat <- matrix(runif(4000 * 4000), 4000, 4000)
a <- mx.nd.array(mat)
res_mat <- as.matrix(mx.nd.dot(a, a))            # warm up
np_setup <- paste("import numpy as np;",
                  "x = np.random.default_rng(2).random((4000, 4000), dtype=np.float32)")
mm_rounds <- min(rounds, %(mm_rounds)d)
dot_s <- np_s <- numeric(rounds)
rmm_s <- numeric(mm_rounds)
for (k in seq_len(rounds)) {
  rm(res_mat)
  invisible(gc())
  dot_s[k] <- el({res <- mx.nd.dot(a, a); res_mat <- as.matrix(res)})
  rm(res)
  np_s[k] <- mxnet:::mx.internal.call("timeit.timeit", "x @ x", np_setup, number = 1L)
  if (k <= mm_rounds) rmm_s[k] <- el(res_r <- mat %%*%% mat)
}
stopifnot(identical(dim(res_mat), dim(res_r)))
cat(sprintf("BENCH dot_rel_err %%.3g\n", max(abs(res_mat - res_r)) / max(abs(res_r))))
cat(sprintf("BENCH dot_s %%.6f\n", median(dot_s)))
cat(sprintf("BENCH numpy_matmul_s %%.6f\n", median(np_s)))
cat(sprintf("BENCH dot_ratio %%.3f\n", median(dot_s / np_s)))
cat(sprintf("BENCH r_matmul_s %%.6f\n", median(rmm_s)))
cat(sprintf("INFO r_blas %%s\n", extSoftVersion()[["BLAS"]]))
"""

R_MLP = r"""
suppressPackageStartupMessages(library(mxnet))
load(%(rda)s)
train_iter <- mx.io.arrayiter(t(train_mnist[, -1]), train_mnist[, 1], batch.size = 128,
                              shuffle = TRUE)
data <- mx.symbol.Variable("data")
fc1 <- mx.symbol.FullyConnected(data, num_hidden = 256)
act <- mx.symbol.Activation(fc1, act_type = "tanh")
fc2 <- mx.symbol.FullyConnected(act, num_hidden = 10)
net <- mx.symbol.SoftmaxOutput(data = fc2)
ends <- numeric(0)
stamp <- function(iteration, nbatch, env, verbose) {
  ends[iteration] <<- proc.time()[["elapsed"]]
  TRUE
}
mx.set.seed(0)
model <- mx.model.FeedForward.create(net, train_iter, ctx = mx.cpu(),
                                     eval.metric = mx.metric.accuracy, learning.rate = 0.01,
                                     num.round = 2, epoch.end.callback = stamp, verbose = FALSE)
cat(sprintf("BENCH mlp_epoch_s %%.4f\n", ends[2] - ends[1]))
"""


def _env():
    env = dict(os.environ)
    env.setdefault("MXNET_PYTHON", sys.executable)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_r(cmd_prefix, code):
    """Run R code in a fresh process (Rscript or python -m rshim); its BENCH figures."""
    with tempfile.TemporaryDirectory() as tmp:
        script = pathlib.Path(tmp) / "bench.R"
        script.write_text(code)
        proc = subprocess.run(cmd_prefix + [str(script)], capture_output=True, text=True,
                              env=_env(), cwd=tmp, timeout=3600)
    if proc.returncode != 0:
        sys.exit(f"benchmark failed ({' '.join(cmd_prefix)}):\n{proc.stdout}\n{proc.stderr}")
    res = {k: float(v) for k, v in re.findall(r"^BENCH (\S+) (\S+)$", proc.stdout, re.M)}
    res.update(re.findall(r"^INFO (\S+) (.+)$", proc.stdout, re.M))
    return res


def mlp_rows(ways, ref_python, repeats):
    """Epoch seconds of the deck's MLP: from R (each way) and real MXNet, alternating."""
    rda = ROOT / "data" / "mnist.rda"
    if not rda.exists():
        return None, f"no {rda} (run examples/get_data)"
    code = R_MLP % {"rda": '"' + str(rda) + '"'}
    times = {name: [] for name in ways}
    times["MXNet 1.9.1 (Python, side_by_side.py)"] = []
    for _ in range(repeats):
        for name, cmd in ways.items():
            times[name].append(run_r(cmd, code)["mlp_epoch_s"])
        if ref_python:
            res, err = collect.run_one(ref_python, "mxnet", "mlp_epoch", str(ROOT / "data"))
            if res is None:
                return None, f"MXNet run failed: {err}"
            times["MXNet 1.9.1 (Python, side_by_side.py)"].append(res["value"])
    return {k: statistics.median(v) for k, v in times.items() if v}, None


def machine():
    return f"{collect.cpu_model(platform.machine())}, {os.cpu_count()} CPUs"


def threads():
    unset = f"unset (a thread per CPU, {os.cpu_count()})"
    return ", ".join(f"{k}={os.environ[k]}" if k in os.environ else f"{k} {unset}"
                     for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--calls", type=int, default=2000, help="calls per timed round")
    ap.add_argument("--r-matmul-rounds", type=int, default=3,
                    help="rounds of R's own 4000x4000 %%*%% (reference BLAS: ~1 min each)")
    ap.add_argument("--mlp-repeats", type=int, default=3)
    ap.add_argument("--no-mlp", action="store_true", help="skip the MLP training rows")
    ap.add_argument("--reference-python", default="/tmp/mxnet-ref/bin/python",
                    help="Python with real MXNet 1.9.1 for the MLP row (skipped if absent)")
    args = ap.parse_args(argv)
    ways = {"Rscript (reticulate starts Python)": ["Rscript"],
            "python -m rshim (Python hosts R)": [sys.executable, "-m", "rshim"]}
    load_before = os.getloadavg()[0]
    code = R_CODE % {"rounds": args.rounds, "n": args.calls, "mm_rounds": args.r_matmul_rounds}
    results = {name: run_r(cmd, code) for name, cmd in ways.items()}
    for r in results.values():
        r["rt_ratio"] = r["roundtrip_s"] / r["r_plus0_s"]
        r["r_matmul_speedup"] = r["r_matmul_s"] / r["dot_s"]
    rows = [
        "| measure | " + " | ".join(results) + " | goal |",
        "| --- | " + " | ".join("---:" for _ in results) + " | --- |",
    ]

    def row(label, fmt, key, goal=""):
        rows.append(f"| {label} | " + " | ".join(fmt(r[key]) for r in results.values())
                    + f" | {goal} |")

    sec, ratio = (lambda v: f"{v:.3f}"), (lambda v: f"{v:.2f}x")
    row("R `x + 0`, 4000x4000 double (s)", sec, "r_plus0_s")
    row("`as.array(mx.nd.array(x))` round trip (s)", sec, "roundtrip_s")
    row("round trip / `x + 0`", ratio, "rt_ratio", "within 3x")
    row("  of which R -> NDArray (s)", sec, "to_ndarray_s")
    row("  of which NDArray -> R (s)", sec, "to_r_s")
    row("`a * 2 + 1` on 2x3 from R (us/call)", lambda v: f"{v:.1f}", "r_call_us", "under 100 us")
    row("same from Python, same process (us/call)", lambda v: f"{v:.1f}", "py_call_us")
    row("R / Python (median of per-round ratios)", ratio, "call_ratio", "within 3x")
    row("`mx.nd.dot(a, a)` + `as.matrix`, 4000x4000 (s)", sec, "dot_s")
    row("NumPy float32 `x @ x` alone, same process (s)", sec, "numpy_matmul_s")
    row("dot + as.matrix / NumPy (median of per-round ratios)", ratio, "dot_ratio", "within 1.2x")
    row("R's own `mat %*% mat` on the doubles (s)", sec, "r_matmul_s")
    row("speed-up of dot + as.matrix over R's `%*%`", ratio, "r_matmul_speedup", "report")
    row("relative difference, dot result vs R's `%*%`", lambda v: f"{v:.1e}", "dot_rel_err")
    table = "\n".join(rows)
    mlp_note = ""
    if not args.no_mlp:
        ref = args.reference_python if os.path.exists(args.reference_python) else None
        mlp, why = mlp_rows(ways, ref, args.mlp_repeats)
        if mlp is None:
            mlp_note = f"\nMLP rows not measured: {why}.\n"
        else:
            mx_name = "MXNet 1.9.1 (Python, side_by_side.py)"
            lines = ["", "| deck MLP, MNIST 60k, batch 128 (s/epoch) | " + " | ".join(mlp)
                     + " | goal |", "| --- | " + " | ".join("---:" for _ in mlp) + " | --- |",
                     "| median of " + str(args.mlp_repeats) + " | "
                     + " | ".join(f"{v:.3f}" for v in mlp.values()) + " | |"]
            if mx_name in mlp:
                lines.append("| ratio to MXNet | " + " | ".join(
                    f"{v / mlp[mx_name]:.2f}" for v in mlp.values()) + " | report |")
            else:
                mlp_note = f"\nNo MXNet 1.9.1 at {args.reference_python}: its column is missing.\n"
            table += "\n" + "\n".join(lines)
    print(table)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    blas = next(iter(results.values())).get("r_blas", "see `sessionInfo()`")
    RESULTS.write_text(
        "# R bridge benchmarks\n\n"
        f"Measured {stamp} on {machine()}; {threads()}; load average {load_before:.1f} at the "
        f"start, {os.getloadavg()[0]:.1f} at the end (the machine may be shared). "
        f"{args.rounds} rounds ({args.calls} calls per round for the per-call rows, "
        f"{min(args.rounds, args.r_matmul_rounds)} of R's `%*%`), medians; MLP: "
        f"{args.mlp_repeats} alternating fresh processes per column, medians. "
        "Produced by `benchmarks/bench_r_bridge.py`.\n\n" + table + "\n" + mlp_note + "\n"
        "The per-call figure from R includes S3 dispatch of `Ops.MXNDArray` (an R closure), one "
        "`.Call` into Python (rshim's entry points are cffi callbacks on rpy2's compiled C API), "
        "a new external-pointer handle per result and, later, its finalizer; the Python figure "
        "is the engine's own cost for the same two operators, timed in the same process right "
        "after each R round. The product rows time the deck's lines `res <- mx.nd.dot(a, a); "
        "res_mat <- as.matrix(res)` with `a <- mx.nd.array(mat)` made beforehand; R's `%*%` "
        f"uses the BLAS R is linked to ({blas}), NumPy and the engine OpenBLAS. The MLP "
        "epoch from R is the time between the ends of epochs 1 and 2 (`epoch.end.callback`), "
        "without evaluation data; MXNet's is one epoch of `side_by_side.py`'s Module loop.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
