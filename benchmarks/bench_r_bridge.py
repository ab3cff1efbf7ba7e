#!/usr/bin/env python3
"""Benchmarks of the R bridge (R package mxnet <-> engine through rshim).

    python benchmarks/bench_r_bridge.py [--rounds 7]

1. R -> NDArray -> R round trip of a 4000x4000 double matrix
   (``as.array(mx.nd.array(x))``) as a ratio to R's own ``x + 0``; goal: within 3x.
2. Per-call time of ``a * 2 + 1`` on a 2x3 array from R vs the same expression from Python
   (``pybridge``) timed in the same process right after, round by round; goal: within 3x.

Both ways into R are measured: plain ``Rscript`` (Python started by reticulate) and
``python -m rshim`` (Python hosts R).  Figures are medians over rounds; the R and the
Python timings of a round alternate so that machine load affects both alike.  Prints a
markdown table and writes benchmarks/RESULTS-r-bridge.md.  Needs the R package installed.
"""
import argparse
import datetime
import os
import pathlib
import platform
import re
import subprocess
import sys
import tempfile

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
"""


def run(cmd_prefix, rounds, n):
    with tempfile.TemporaryDirectory() as tmp:
        script = pathlib.Path(tmp) / "bench.R"
        script.write_text(R_CODE % {"rounds": rounds, "n": n})
        env = dict(os.environ)
        env.setdefault("MXNET_PYTHON", sys.executable)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        proc = subprocess.run(cmd_prefix + [str(script)], capture_output=True, text=True,
                              env=env, cwd=tmp, timeout=1800)
    if proc.returncode != 0:
        sys.exit(f"benchmark failed ({' '.join(cmd_prefix)}):\n{proc.stdout}\n{proc.stderr}")
    return {k: float(v) for k, v in re.findall(r"^BENCH (\S+) (\S+)$", proc.stdout, re.M)}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--calls", type=int, default=2000, help="calls per timed round")
    args = ap.parse_args(argv)
    ways = {"Rscript (reticulate starts Python)": ["Rscript"],
            "python -m rshim (Python hosts R)": [sys.executable, "-m", "rshim"]}
    results = {name: run(cmd, args.rounds, args.calls) for name, cmd in ways.items()}
    rows = [
        "| measure | " + " | ".join(results) + " | goal |",
        "| --- | " + " | ".join("---:" for _ in results) + " | --- |",
    ]

    def row(label, fmt, key, goal=""):
        rows.append(f"| {label} | " + " | ".join(fmt(r[key]) for r in results.values())
                    + f" | {goal} |")

    row("R `x + 0`, 4000x4000 double (s)", lambda v: f"{v:.3f}", "r_plus0_s")
    row("`as.array(mx.nd.array(x))` round trip (s)", lambda v: f"{v:.3f}", "roundtrip_s")
    for r in results.values():
        r["rt_ratio"] = r["roundtrip_s"] / r["r_plus0_s"]
    row("round trip / `x + 0`", lambda v: f"{v:.2f}x", "rt_ratio", "within 3x")
    row("  of which R -> NDArray (s)", lambda v: f"{v:.3f}", "to_ndarray_s")
    row("  of which NDArray -> R (s)", lambda v: f"{v:.3f}", "to_r_s")
    row("`a * 2 + 1` on 2x3 from R (us/call)", lambda v: f"{v:.1f}", "r_call_us", "under 100 us")
    row("same from Python, same process (us/call)", lambda v: f"{v:.1f}", "py_call_us")
    row("R / Python (median of per-round ratios)", lambda v: f"{v:.2f}x", "call_ratio",
        "within 3x")
    table = "\n".join(rows)
    print(table)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    RESULTS.write_text(
        "# R bridge benchmarks\n\n"
        f"Measured {stamp} on {platform.machine()} ({os.cpu_count()} CPUs), "
        f"{args.rounds} rounds, {args.calls} calls per round; medians. "
        "Produced by `benchmarks/bench_r_bridge.py`.\n\n" + table + "\n\n"
        "The per-call figure from R includes S3 dispatch of `Ops.MXNDArray`, one `.External` "
        "call into Python per operator (rshim's entry points run on rpy2's cffi layer, "
        "~5 us, instead of `rternalize`, ~25 us) and a new external-pointer handle per "
        "result; the Python figure is the engine's own cost for the same two operators, "
        "timed in the same process right after each R round.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
