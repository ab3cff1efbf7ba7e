#!/usr/bin/env python3
"""The fused RNN operator, forward + backward, ours next to real MXNet 1.9.1.

    python benchmarks/bench_rnn.py [--rounds 7] [--iters 10] [--mxnet-python PATH]

Configurations (float32, CPU, training mode, every input given a gradient): an LSTM with
T=35, N=32, C=H=200, 2 layers (the PTB "small" language model's shape), a GRU of the same
shape, and both at a small size (T=20, N=32, C=H=32, 1 layer) where per-step overhead
dominates.  Each round times ``--iters`` forward(is_train=True)+backward steps of a bound
executor after two warm-up steps, once in this process with pybridge and once in a
subprocess of the reference Python (MXNet 1.9.1, oneDNN), alternately, so machine load hits
both alike; figures are medians over rounds of the per-step median, of wall time and of
the process's CPU time (all threads; a fairer figure when the machine is shared).  Without
the reference Python only our times are printed.  ``--gpu``: ours on mx.gpu(0) only (CuPy;
no reference).  ``--config NAME`` (repeatable) runs only those configurations.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIGS = {
    "lstm": {"mode": "lstm", "num_layers": 2, "state_size": 200, "T": 35, "N": 32, "C": 200},
    "gru": {"mode": "gru", "num_layers": 2, "state_size": 200, "T": 35, "N": 32, "C": 200},
    "lstm-small": {"mode": "lstm", "num_layers": 1, "state_size": 32, "T": 20, "N": 32, "C": 32},
    "gru-small": {"mode": "gru", "num_layers": 1, "state_size": 32, "T": 20, "N": 32, "C": 32},
}


def time_steps(mx, cfg, iters, ctx=None):
    """Median (wall, CPU) seconds of one forward(is_train=True)+backward step."""
    import numpy as np
    names = ["data", "parameters", "state"] + (["state_cell"] if cfg["mode"] == "lstm" else [])
    sym = mx.sym.RNN(*[mx.sym.Variable(n) for n in names], mode=cfg["mode"],
                     num_layers=cfg["num_layers"], state_size=cfg["state_size"],
                     state_outputs=True)
    exe = sym.simple_bind(ctx or mx.cpu(), data=(cfg["T"], cfg["N"], cfg["C"]))
    rng = np.random.default_rng(0)
    for name, arr in exe.arg_dict.items():
        arr[:] = rng.uniform(-0.1, 0.1, arr.shape).astype(np.float32)
    heads = None
    times, cpu = [], []
    for k in range(iters + 2):
        start, start_cpu = time.perf_counter(), time.process_time()
        outs = exe.forward(is_train=True)
        if heads is None:
            heads = [mx.nd.ones(o.shape, ctx=o.context) for o in outs]
        exe.backward(heads)
        for g in exe.grad_arrays:
            g.wait_to_read()
        if k >= 2:
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
    return statistics.median(times), statistics.median(cpu)


def worker(engine, config, iters):
    if engine == "mxnet":
        import mxnet as mx
    else:
        sys.path.insert(0, str(ROOT))
        import pybridge as mx
    print(json.dumps({"seconds": time_steps(mx, CONFIGS[config], iters)}))   # [wall, cpu]


def reference(python, config, iters):
    out = subprocess.run([python, __file__, "--worker", "mxnet", "--config", config,
                          "--iters", str(iters)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--iters", type=int, default=10)
    ap.add_argument("--mxnet-python", default="/tmp/mxnet-ref/bin/python")
    ap.add_argument("--worker", choices=("ours", "mxnet"))
    ap.add_argument("--config", choices=tuple(CONFIGS), action="append",
                    help="the configuration(s) to run (default: all)")
    ap.add_argument("--gpu", action="store_true")
    args = ap.parse_args()
    if args.worker:
        return worker(args.worker, (args.config or ["lstm"])[0], args.iters)
    sys.path.insert(0, str(ROOT))
    import pybridge as mx
    ctx = mx.gpu(0) if args.gpu else mx.cpu()
    have_ref = os.path.exists(args.mxnet_python) and not args.gpu
    print(f"ours on {ctx}; OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    print("| config | ours, ms/step | MXNet 1.9.1, ms/step | ratio | ours CPU ms | MXNet CPU ms "
          "| CPU ratio |\n| --- | --- | --- | --- | --- | --- | --- |")
    for config in args.config or CONFIGS:
        cfg, ours, theirs = CONFIGS[config], [], []
        for _ in range(args.rounds):
            ours.append(time_steps(mx, cfg, args.iters, ctx))
            if have_ref:
                theirs.append(reference(args.mxnet_python, config, args.iters))
        o, oc = (statistics.median(x[i] for x in ours) * 1e3 for i in (0, 1))
        t, tc = ((statistics.median(x[i] for x in theirs) * 1e3 if theirs else float("nan"))
                 for i in (0, 1))
        shape = f"{cfg['mode']} T={cfg['T']} N={cfg['N']} C=H={cfg['C']} L={cfg['num_layers']}"
        print(f"| {shape} | {o:.2f} | {t:.2f} | {o / t:.2f} | {oc:.2f} | {tc:.2f} | "
              f"{oc / tc:.2f} |", flush=True)


if __name__ == "__main__":
    main()
