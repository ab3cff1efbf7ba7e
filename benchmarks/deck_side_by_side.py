"""The deck's experiments (examples/deck.py) under both engines, side by side.

    .venv/bin/python benchmarks/deck_side_by_side.py [--reference-python PY] [--seeds N]

Runs examples/deck.py once whole under each engine (ours: `import pybridge as mx` with this
interpreter; real MXNet 1.9.1 with the reference venv's), then the deck's LeNet on
Fashion-MNIST (Xavier, lr 0.1) for 3 rounds with seeds 0..N-1 under each, the two engines
alternating (which goes first alternates too), each run a fresh process. Writes
benchmarks/RESULTS-deck.md: validation accuracy and time per epoch of every experiment, and
the seeds' mean and spread, and a control: the same LeNet from the same initial weights
(MXNet's Xavier, saved) over the same batch order in both engines (`--worker`), which
separates engine numerics from the luck of the draw. Like scripts/deck, both run with OPENBLAS_NUM_THREADS=1 unless
set; MXNet's oneDNN keeps its own OpenMP threads (OMP_NUM_THREADS as given, default unset).
"""
import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
DECK = os.path.join(REPO, "examples", "deck.py")
SEED_EXPERIMENT, SEED_ROUNDS = "lenet_fmnist_10", 3


def same_start_worker(mx, work_dir, data_dir, rounds, tag):
    """LeNet, lr 0.1, Fashion-MNIST from work_dir/init.params (made by the first engine to
    run, with its Xavier) over batch orders from NumPy's fixed RandomState; the validation
    accuracy per round and the final parameters (work_dir/TAG-final.params)."""
    sys.path.insert(0, HERE)
    from side_by_side import find, lenet, read_idx       # the benchmarks' data and LeNet

    def part(name):
        base = os.path.join(data_dir, "fashion")
        x = read_idx(find(base, f"{name}-images-idx3-ubyte")).astype(np.float32) / 255
        return x.reshape(-1, 1, 28, 28), read_idx(find(base, f"{name}-labels-idx1-ubyte"))

    (x, y), (xt, yt) = part("train"), part("t10k")
    mod = mx.mod.Module(lenet(mx), context=mx.cpu())
    mod.bind(data_shapes=[("data", (128, 1, 28, 28))], label_shapes=[("softmax_label", (128,))])
    init = os.path.join(work_dir, "init.params")
    if not os.path.exists(init):
        mx.random.seed(0)
        mod.init_params(initializer=mx.init.Xavier())
        mx.nd.save(init, mod.get_params()[0])
    mod.init_params(arg_params=mx.nd.load(init), force_init=True)
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.1})
    rng, val_acc = np.random.RandomState(0), []
    test_iter = mx.io.NDArrayIter(xt, yt, batch_size=128)
    for _ in range(rounds):
        order = rng.permutation(len(x))
        for batch in mx.io.NDArrayIter(x[order], y[order], batch_size=128):
            mod.forward(batch, is_train=True)
            mod.backward()
            mod.update()
        val_acc.append(dict(mod.score(test_iter, "acc"))["accuracy"])
    mx.nd.save(os.path.join(work_dir, f"{tag}-final.params"), mod.get_params()[0])
    return val_acc


# The control's runs: (label, engine, extra environment). MXNet's oneDNN can be switched off
# with MXNET_MKLDNN_ENABLED=0 (its convolutions then go through im2col and OpenBLAS).
CONTROL_RUNS = [("mxnet", "mxnet", {}), ("pybridge", "pybridge", {}),
                ("mxnet-no-onednn", "mxnet", {"MXNET_MKLDNN_ENABLED": "0"})]


CONTROL_TITLES = {"pybridge": "ours", "mxnet": "MXNet 1.9.1 (oneDNN, its default)",
                  "mxnet-no-onednn": "MXNet 1.9.1, MXNET_MKLDNN_ENABLED=0"}


def same_start(pythons, raw_dir, data_dir, rounds):
    """The control: {label: accuracies per round}, {label: final weights' largest difference
    from ours relative to each tensor's largest value}."""
    work = os.path.join(raw_dir, "same-start")
    os.makedirs(work, exist_ok=True)
    for stale in os.listdir(work):
        os.remove(os.path.join(work, stale))
    acc = {}
    for label, engine, env in CONTROL_RUNS:               # the first makes the start
        proc = subprocess.run([pythons[engine], __file__, "--worker", engine, "--raw", work,
                               "--data", data_dir, "--rounds", str(rounds), "--tag", label],
                              capture_output=True, text=True, check=False,
                              env=dict(os.environ, **env))
        lines = [l for l in proc.stdout.splitlines() if l.startswith("[")]
        acc[label] = json.loads(lines[-1]) if proc.returncode == 0 and lines else \
            "failed: " + (proc.stderr.strip().splitlines() or ["no output"])[-1]
    sys.path.insert(0, REPO)
    import pybridge as mx                                 # reads every run's .params file
    final = {label: mx.nd.load(os.path.join(work, f"{label}-final.params"))
             for label in acc if not isinstance(acc[label], str)}
    diff = {}
    if "pybridge" in final:
        ours = final["pybridge"]
        for label, params in final.items():
            diff[label] = max(float(np.abs(ours[k].asnumpy() - v.asnumpy()).max() /
                                    np.abs(v.asnumpy()).max()) for k, v in params.items())
    return acc, diff


def reference_python():
    """The reference venv's python, made by the shared tool when missing (as benchmarks/run)."""
    tool = os.path.join(REPO, "..", "shared", "tools", "mxnet-reference.sh")
    out = subprocess.run(["bash", tool, os.environ.get("MXNET_REF_DIR", "/tmp/mxnet-ref")],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def run_deck(python, engine, raw_dir, tag, extra):
    """One deck.py run in a fresh process; its results JSON (None and the reason on failure)."""
    out_json = os.path.join(raw_dir, f"{tag}-{engine}.json")
    cmd = [python, DECK, "--engine", engine, "--json", out_json,
           "--out", os.path.join(raw_dir, f"out-{engine}")] + extra
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    with open(os.path.join(raw_dir, f"{tag}-{engine}.log"), "w") as f:
        f.write(proc.stdout + proc.stderr)
    if proc.returncode != 0:
        return None, (proc.stderr.strip().splitlines() or ["no output"])[-1]
    with open(out_json) as f:
        res = json.load(f)
    res["wall_s"] = time.perf_counter() - start
    print(f"{tag} {engine}: {res['wall_s']:.0f} s, load {os.getloadavg()[0]:.1f}", file=sys.stderr)
    return res, None


def alternate(runs, pythons, raw_dir, tag, extra):
    """Both engines once, the first one alternating with the number of runs made so far."""
    order = ["pybridge", "mxnet"] if len(runs) % 2 == 0 else ["mxnet", "pybridge"]
    pair = {}
    for engine in order:
        res, err = run_deck(pythons[engine], engine, raw_dir, tag, extra)
        pair[engine] = res if res is not None else {"error": err}
    runs.append(pair)
    return pair


def mean_sd(values):
    if not values:
        return "-"
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.4f} ± {sd:.4f}"


def experiment_rows(full):
    rows = ["| experiment | rounds | ours: val. accuracy | MXNet: val. accuracy | "
            "ours: s/epoch | MXNet: s/epoch | time ratio |", "| --- | --- | --- | --- | --- | --- | --- |"]
    names = list(full["pybridge"].get("experiments", {}))
    names += [n for n in full["mxnet"].get("experiments", {}) if n not in names]
    for name in names:
        title = next(full[e]["experiments"][name]["title"] for e in full
                     if name in full[e].get("experiments", {}))
        cells = {}
        for engine in ("pybridge", "mxnet"):
            exp = full[engine].get("experiments", {}).get(name)
            cells[engine] = (exp["val_acc"][-1], statistics.median(exp["epoch_s"]),
                             exp["rounds"]) if exp else None
        ours, ref = cells["pybridge"], cells["mxnet"]
        rounds = (ours or ref or (None, None, "-"))[2]
        acc = lambda c: "-" if c is None else f"{c[0]:.4f}"
        sec = lambda c: "-" if c is None else f"{c[1]:.2f}"
        ratio = f"{ours[1] / ref[1]:.2f}" if ours and ref else "-"
        rows.append(f"| {name}: {title} | {rounds} | {acc(ours)} | {acc(ref)} | {sec(ours)} | "
                    f"{sec(ref)} | {ratio} |")
    return rows


def seed_rows(seed_runs):
    rows = ["| seed | ours: after 1 / 2 / 3 rounds | MXNet: after 1 / 2 / 3 rounds |",
            "| --- | --- | --- |"]
    final = {"pybridge": [], "mxnet": []}
    for seed, pair in enumerate(seed_runs):
        cells = []
        for engine in ("pybridge", "mxnet"):
            exp = pair[engine].get("experiments", {}).get(SEED_EXPERIMENT)
            if exp:
                final[engine].append(exp["val_acc"][-1])
                cells.append(" / ".join(f"{v:.4f}" for v in exp["val_acc"]))
            else:
                cells.append("failed: " + pair[engine].get("error", "?"))
        rows.append(f"| {seed} | {cells[0]} | {cells[1]} |")
    rows.append(f"| mean ± sd after {SEED_ROUNDS} | {mean_sd(final['pybridge'])} | "
                f"{mean_sd(final['mxnet'])} |")
    return rows, final


def machine_line():
    sys.path.insert(0, HERE)
    from collect import cpu_model                      # the side-by-side collector's helper
    return (f"{platform.machine()}, {cpu_model('unknown CPU')}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reference-python", default=None)
    ap.add_argument("--seeds", type=int, default=5, help="seeds of the LeNet 3-round runs")
    ap.add_argument("--smoke", action="store_true", help="deck.py --smoke (a check of this script)")
    ap.add_argument("--raw", default="/tmp/deck-side-by-side", help="logs and JSON of every run")
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS-deck.md"))
    ap.add_argument("--data", default=os.path.join(REPO, "data"))
    ap.add_argument("--rounds", type=int, default=SEED_ROUNDS, help="rounds of the control")
    ap.add_argument("--worker", choices=["pybridge", "mxnet"], help=argparse.SUPPRESS)
    ap.add_argument("--tag", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--skip-control", action="store_true")
    ap.add_argument("--reuse-runs", default=None,
                    help="runs.json of an earlier run: report its deck runs, redo the control")
    args = ap.parse_args()
    if args.worker:                                       # one engine's side of the control
        if args.worker == "mxnet":
            import mxnet as mx
        else:
            sys.path.insert(0, REPO)
            import pybridge as mx
        print(json.dumps(same_start_worker(mx, args.raw, args.data, args.rounds,
                                           args.tag or args.worker)))
        return
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    pythons = {"pybridge": sys.executable, "mxnet": args.reference_python or reference_python()}
    os.makedirs(args.raw, exist_ok=True)
    smoke = ["--smoke"] if args.smoke else []
    started, load_before = datetime.datetime.now(), os.getloadavg()
    if args.reuse_runs:
        with open(args.reuse_runs) as f:
            runs = json.load(f)
        args.seeds = len(runs) - 1
    else:
        runs = []
        alternate(runs, pythons, args.raw, "full", smoke)
        for seed in range(args.seeds):
            alternate(runs, pythons, args.raw, f"seed{seed}",
                      smoke + ["--only", SEED_EXPERIMENT, "--rounds", str(SEED_ROUNDS),
                               "--seed", str(seed)])
        with open(os.path.join(args.raw, "runs.json"), "w") as f:
            json.dump(runs, f)
    full, seed_runs = runs[0], runs[1:]
    wall = {e: sum(r[e].get("wall_s", 0) for r in runs) / 60 for e in ("pybridge", "mxnet")}
    rows, final = seed_rows(seed_runs)
    control, control_diff = ({label: "not run" for label, _, _ in CONTROL_RUNS}, {}) \
        if args.skip_control else same_start(pythons, args.raw, args.data, args.rounds)
    fmt_acc = lambda a: a if isinstance(a, str) else " / ".join(f"{v:.4f}" for v in a)
    versions = {e: (full[e].get("version", "?"), full[e].get("numpy", "?")) for e in full}
    text = "\n".join([
        "# The deck's experiments, ours next to real MXNet 1.9.1",
        "",
        f"Made by `benchmarks/deck_side_by_side.py`{' --smoke' if args.smoke else ''} on "
        f"{started:%Y-%m-%d}: {machine_line()}; load average {load_before[0]:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (the machine is shared; all runs took "
        f"{wall['pybridge']:.0f} min for ours, {wall['mxnet']:.0f} min for MXNet). Ours: pybridge "
        f"{versions['pybridge'][0]} (NumPy {versions['pybridge'][1]}, OpenBLAS); reference: "
        f"MXNet {versions['mxnet'][0]} (NumPy {versions['mxnet'][1]}, oneDNN + OpenBLAS), "
        "its own venv. Both with OPENBLAS_NUM_THREADS="
        f"{os.environ['OPENBLAS_NUM_THREADS']} (what `scripts/deck` sets for ours; MXNet "
        "computes these layers with oneDNN on its own OpenMP threads, OMP_NUM_THREADS="
        f"{os.environ.get('OMP_NUM_THREADS', 'unset')}). Every run is `examples/deck.py` in a "
        "fresh process, the two engines alternating.",
        "",
        "## Every experiment of the deck (one run each, seed 0)",
        "",
        "Validation accuracy after the last round (MXNet's `score`: the last test batch is "
        "padded from the start, as in both engines' `NDArrayIter`); time per epoch is the "
        "median over the rounds of the training pass (batches, forward, backward, update; "
        "validation not included).",
        "",
        *experiment_rows(full),
        "",
        f"## LeNet, Xavier, lr 0.1, Fashion-MNIST, {SEED_ROUNDS} rounds, {args.seeds} seeds",
        "",
        f"`deck.py --only {SEED_EXPERIMENT} --rounds {SEED_ROUNDS} --seed S`; a seed fixes "
        "the initial weights and the shuffling within an engine; the engines' generators "
        "differ, so the same seed is not the same run across engines.",
        "",
        *rows,
        "",
        f"## Control: same initial weights, same batch order, {args.rounds} rounds",
        "",
        "The LeNet above from one set of initial weights (MXNet's Xavier, seed 0, saved and "
        "loaded by both) over the same batch order (NumPy's RandomState(0), fed unshuffled), "
        "SGD lr 0.1, Module API; validation accuracy after each round:",
        "",
        "| run | validation accuracy per round | final weights vs ours |",
        "| --- | --- | --- |",
        *[f"| {CONTROL_TITLES[label]} | {fmt_acc(control[label])} | "
          f"{'-' if label not in control_diff else f'{control_diff[label]:.1e}'} |"
          for label, _, _ in CONTROL_RUNS],
        "",
        "The last column is the largest difference of a final weight from ours, relative to "
        "the largest value of its tensor.",
        "",
    ])
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
