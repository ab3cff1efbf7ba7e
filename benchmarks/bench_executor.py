"""Executor overhead on the deck's MLP (784-256 tanh-10 softmax), batch 128, float32, CPU.

Times one training step (forward(is_train=True) + backward) and one inference forward through
``pybridge``'s Executor, and compares them with:
  - raw NumPy: the same matrix products, tanh, softmax and gradients written out by hand
    (the compute floor on this machine);
  - plain Chainer: the same Chainer functions called directly, no executor (what the executor
    adds on top of Chainer is the difference).

    .venv/bin/python benchmarks/bench_executor.py [--steps 300]

Prints a table and one JSON line with the medians in microseconds.  On a shared, loaded
machine set OPENBLAS_NUM_THREADS=1: OpenBLAS threads fighting for busy cores make every
matrix product (ours and the baselines alike) several times slower and the figures noisy.
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import pybridge as mx  # noqa: E402
from pybridge._compat import F, chainer  # noqa: E402

BATCH, IN, HIDDEN, OUT = 128, 784, 256, 10


def median_us(fn, steps, warmup=20):
    """Median microseconds per call (the minimum goes to MINIMA: steadier on a busy machine)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(steps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    MINIMA.append(min(times) * 1e6)
    return statistics.median(times) * 1e6


MINIMA = []


def build(hidden=HIDDEN, out=OUT):
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=hidden, name="fc1")
    act = mx.sym.Activation(fc1, act_type="tanh", name="tanh1")
    fc2 = mx.sym.FullyConnected(act, num_hidden=out, name="fc2")
    return mx.sym.SoftmaxOutput(fc2, name="softmax")


def bound(batch, n_in, hidden, out):
    """The MLP bound as Module/FeedForward bind it: gradients for parameters only."""
    reqs = dict.fromkeys(["fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias"], "write")
    return build(hidden, out).simple_bind(mx.cpu(), grad_req=reqs, data=(batch, n_in))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    steps = ap.parse_args().steps
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, IN)).astype(np.float32)
    y = rng.integers(0, OUT, BATCH).astype(np.float32)
    w1 = (rng.normal(size=(HIDDEN, IN)) * 0.05).astype(np.float32)
    b1 = np.zeros(HIDDEN, np.float32)
    w2 = (rng.normal(size=(OUT, HIDDEN)) * 0.05).astype(np.float32)
    b2 = np.zeros(OUT, np.float32)

    # ---- pybridge executor
    ex = bound(BATCH, IN, HIDDEN, OUT)
    ex.copy_params_from({"fc1_weight": mx.nd.array(w1), "fc1_bias": mx.nd.array(b1),
                         "fc2_weight": mx.nd.array(w2), "fc2_bias": mx.nd.array(b2)})
    ex.arg_dict["data"][:] = x
    ex.arg_dict["softmax_label"][:] = y

    def exec_train():
        ex.forward(is_train=True)
        ex.backward()

    def exec_infer():
        ex.forward(is_train=False)

    # ---- raw NumPy: forward, softmax-cross-entropy gradient, backward
    labels = y.astype(np.int64)
    rows = np.arange(BATCH)

    def numpy_forward():
        h = np.tanh(x @ w1.T + b1)
        z = h @ w2.T + b2
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return h, e / e.sum(axis=1, keepdims=True)

    def numpy_train():
        h, p = numpy_forward()
        dz = p.copy()
        dz[rows, labels] -= 1
        gw2, gb2 = dz.T @ h, dz.sum(0)
        dh = (dz @ w2) * (1 - h * h)
        gw1, gb1 = dh.T @ x, dh.sum(0)
        return gw1, gb1, gw2, gb2

    # ---- plain Chainer (same functions, called directly)
    def chainer_train():
        v = [chainer.Variable(a) for a in (w1, b1, w2, b2)]
        h = F.tanh(F.linear(x, v[0], v[1]))
        z = F.linear(h, v[2], v[3])
        loss = F.softmax_cross_entropy(z, labels.astype(np.int32), reduce="no")
        F.sum(loss).backward()
        return [u.grad for u in v]

    # the same graph on tiny arrays: what remains is the per-step Python cost of the path
    tiny = bound(2, 4, 3, 2)

    def tiny_train():
        tiny.forward(is_train=True)
        tiny.backward()

    results = {
        "executor_tiny_train_step_us": median_us(tiny_train, steps),
        "executor_train_step_us": median_us(exec_train, steps),
        "chainer_train_step_us": median_us(chainer_train, steps),
        "numpy_train_step_us": median_us(numpy_train, steps),
        "executor_infer_us": median_us(exec_infer, steps),
        "numpy_infer_us": median_us(numpy_forward, steps),
    }
    # Python overhead per step: the executor's time beyond the hand-written NumPy compute.
    results["executor_train_overhead_us"] = results["executor_train_step_us"] - \
        results["numpy_train_step_us"]
    results["executor_infer_overhead_us"] = results["executor_infer_us"] - results["numpy_infer_us"]
    results["executor_vs_chainer_us"] = results["executor_train_step_us"] - \
        results["chainer_train_step_us"]
    steps_per_epoch = 60000 // BATCH
    print(f"deck MLP {IN}-{HIDDEN}(tanh)-{OUT}, batch {BATCH}, float32, {steps} steps (median)")
    minima = dict(zip(list(results), MINIMA))
    print(f"  {'':32s} {'median':>10s} {'min':>10s}")
    for key, value in results.items():
        low = minima.get(key)
        print(f"  {key:32s} {value:10.1f} {'' if low is None else f'{low:10.1f}'}")
    print(f"  executor train time per MNIST epoch ({steps_per_epoch} steps): "
          f"{results['executor_train_step_us'] * steps_per_epoch / 1e6:.2f} s, of which "
          f"overhead {results['executor_train_overhead_us'] * steps_per_epoch / 1e6:.2f} s")
    results.update({k.replace("_us", "_min_us"): v for k, v in minima.items()})
    print(json.dumps({k: round(v, 1) for k, v in results.items()}))


if __name__ == "__main__":
    main()
