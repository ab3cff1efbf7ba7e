"""NDArray operators vs the bare NumPy call: large arrays (the engine should add ~nothing)
and a tiny array (the per-call overhead of the Python layer).

    .venv/bin/python benchmarks/bench_ndarray.py [--repeats N] [--size N]

Prints a markdown table and writes it to benchmarks/RESULTS-ndarray.md.
"""
import argparse
import os
import pathlib
import platform
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))
import pybridge as mx  # noqa: E402


def median_times(engine, bare, repeats, inner=1):
    """Medians of the time of one call of each function; runs alternate between the two so
    that load from other processes hits both alike."""
    engine(), bare()   # warm-up
    times = ([], [])
    for _ in range(repeats):
        for fn, out in ((engine, times[0]), (bare, times[1])):
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            out.append((time.perf_counter() - t0) / inner)
    return (statistics.median(times[0]), statistics.median(times[1]), min(times[0]), min(times[1]))


def run(repeats, size):
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal((size, size), dtype=np.float32)
    b_np = rng.standard_normal((size, size), dtype=np.float32)
    a, b = mx.nd.array(a_np), mx.nd.array(b_np)
    t_np = rng.standard_normal((2, 3), dtype=np.float32)
    t = mx.nd.array(t_np)

    # each row: what, engine call, NumPy call, calls per timed run
    # (engine calls end with wait_to_read, as MXNet code does before reading a result)
    rows = [
        (f"mx.nd.exp, {size}x{size} float32", lambda: mx.nd.exp(a).wait_to_read(), lambda: np.exp(a_np), 1),
        (f"a * 2, {size}x{size} float32", lambda: (a * 2).wait_to_read(), lambda: a_np * np.float32(2), 1),
        (f"a + b, {size}x{size} float32", lambda: (a + b).wait_to_read(), lambda: a_np + b_np, 1),
        (f"mx.nd.sum(a, axis=1), {size}x{size}", lambda: mx.nd.sum(a, axis=1).wait_to_read(),
         lambda: a_np.sum(axis=1), 1),
        (f"mx.nd.dot, {size}x{size} float32", lambda: mx.nd.dot(a, b).wait_to_read(), lambda: np.dot(a_np, b_np), 1),
        ("mx.nd.exp, 2x3 (per call)", lambda: mx.nd.exp(t), lambda: np.exp(t_np), 2000),
        ("a * 2, 2x3 (per call)", lambda: t * 2, lambda: t_np * np.float32(2), 2000),
        ("mx.nd.dot, 2x3 . 3x2 (per call)", lambda: mx.nd.dot(t, t, transpose_b=True),
         lambda: np.dot(t_np, t_np.T), 2000),
    ]
    results = []
    for what, engine, bare, inner in rows:
        reps = repeats
        te, tn, be, bn = median_times(engine, bare, reps, inner)
        results.append((what, te, tn, be, bn))
        print(f"  {what}: {te * 1e3:.3f} ms vs {tn * 1e3:.3f} ms", file=sys.stderr)
    return results


def _fmt(seconds):
    return f"{seconds * 1e6:.1f} us" if abs(seconds) < 1e-3 else f"{seconds * 1e3:.2f} ms"


def table(results, repeats):
    lines = ["| operation | pybridge | NumPy | ratio | ratio of best runs | overhead per call |",
             "| --- | --- | --- | --- | --- | --- |"]
    for what, te, tn, be, bn in results:
        lines.append(f"| {what} | {_fmt(te)} | {_fmt(tn)} | {te / tn:.2f} | {be / bn:.2f} | {_fmt(te - tn)} |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    head = (f"Medians of {repeats} runs, engine and NumPy alternating (tiny-array rows: time per "
            f"call, 2000 calls per run); NumPy {np.__version__}, Python {platform.python_version()}, "
            f"{os.cpu_count()} CPUs, load average {load:.1f} when done.")
    return head + "\n\n" + "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--size", type=int, default=4000)
    parser.add_argument("--output", default=str(pathlib.Path(__file__).parent / "RESULTS-ndarray.md"))
    args = parser.parse_args()
    if args.repeats < 5:
        parser.error("--repeats must be at least 5")
    text = "## NDArray operators vs bare NumPy\n\n" + table(run(args.repeats, args.size), args.repeats)
    print(text)
    pathlib.Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
