"""Run the side-by-side benchmarks alternately and write benchmarks/RESULTS-side-by-side.md.

Each engine runs each benchmark in a fresh process (`side_by_side.py`), ours and the reference
in turn, `--repeats` times; the table shows medians and the ratio. Goals are from the
performance issue: time ratios (ours / reference) where lower is better, throughput ratios
where higher is better.
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# bench: (title, goal text, better = "lower" | "higher", goal ratio)
BENCHES = {
    "mlp_epoch": ("deck MLP epoch, MNIST 60k, batch 128, CPU", "lower", 0.8),
    "lenet_epoch": ("deck LeNet epoch, Fashion-MNIST 60k, batch 128, CPU", "lower", 0.8),
    "resnet18_infer": ("ResNet-18 inference, batch 32 at 224x224", "higher", 1.0),
    "predict_b1": ("deck MLP predict at batch size 1, per call", "lower", 1.0),
}


def cpu_model(default):
    """The CPU's model name from /proc/cpuinfo (Linux), else ``default``."""
    try:
        with open("/proc/cpuinfo") as f:
            return next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        return default


def run_one(python, engine, bench, data):
    out = subprocess.run([python, os.path.join(HERE, "side_by_side.py"), engine, bench, "--data", data],
                         capture_output=True, text=True, check=False)
    lines = [l for l in out.stdout.splitlines() if l.startswith("{")]
    if out.returncode != 0 or not lines:
        return None, (out.stderr.strip().splitlines() or ["no output"])[-1]
    return json.loads(lines[-1]), None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reference-python", required=True)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=list(BENCHES))
    ap.add_argument("--data", default=os.path.join(HERE, "..", "data"))
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS-side-by-side.md"))
    args = ap.parse_args()
    rows = []
    for bench in args.only:
        title, better, goal = BENCHES[bench]
        values = {"pybridge": [], "mxnet": []}
        errors = {}
        unit = ""
        for _ in range(args.repeats):
            for engine, python in (("pybridge", sys.executable), ("mxnet", args.reference_python)):
                res, err = run_one(python, engine, bench, args.data)
                if res is None:
                    errors[engine] = err
                    continue
                values[engine].append(res["value"])
                unit = res["unit"]
            print(bench, {k: [round(v, 4) for v in vs] for k, vs in values.items()}, file=sys.stderr)
        ours = statistics.median(values["pybridge"]) if values["pybridge"] else None
        ref = statistics.median(values["mxnet"]) if values["mxnet"] else None
        ratio = ours / ref if ours and ref else None
        if ratio is None:
            verdict = "not measured: " + "; ".join(f"{k}: {v}" for k, v in errors.items())
        else:
            met = ratio <= goal if better == "lower" else ratio >= goal
            verdict = ("met" if met else "missed") + f" (goal {'<=' if better == 'lower' else '>='} {goal})"
        fmt = lambda v: "-" if v is None else f"{v:.4g} {unit}"
        rows.append(f"| {title} | {fmt(ours)} | {fmt(ref)} | "
                    f"{'-' if ratio is None else f'{ratio:.2f}'} | {verdict} |")
    head = [f"Measured {datetime.date.today()} on {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}; medians of {args.repeats} alternating runs, "
            "each in a fresh process.", "",
            "| benchmark | ours (pybridge) | MXNet 1.9.1 | ratio | goal |", "| --- | --- | --- | --- | --- |"]
    text = "\n".join(head + rows) + "\n"
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
