"""Time the deck's LeNet forward+backward at batch 128 on the CPU.

    .venv/bin/python benchmarks/bench_conv.py [--batches N]

LeNet: 28x28x1 -> conv 5x5x6, relu, maxpool 2 -> conv 3x3x16, relu, maxpool 2 -> fc 120, relu
-> fc 84, relu -> fc 10, softmax.  Two timings: Chainer's functions called directly, and the
same network through pybridge's registry operators (what the executor runs).  An epoch is
60000 / 128 = 469 batches (Fashion-MNIST / MNIST training set).  The figure is the median
step, so other work on a shared machine disturbs it less; OPENBLAS_NUM_THREADS=1 gives the
steadiest numbers on a busy machine.
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from pybridge._compat import F, chainer  # noqa: E402
from pybridge.registry import OpCall, get_op  # noqa: E402
import pybridge.ops  # noqa: E402,F401

BATCH = 128
BATCHES_PER_EPOCH = 60000 / BATCH


def params(rng):
    shapes = {"c0w": (6, 1, 5, 5), "c0b": (6,), "c1w": (16, 6, 3, 3), "c1b": (16,),
              "f0w": (120, 400), "f0b": (120,), "f1w": (84, 120), "f1b": (84,),
              "f2w": (10, 84), "f2b": (10,)}
    return {k: chainer.Variable((rng.randn(*s) * 0.1).astype(np.float32)) for k, s in shapes.items()}


def lenet_chainer(x, p, label):
    h = F.max_pooling_2d(F.relu(F.convolution_2d(x, p["c0w"], p["c0b"])), 2, 2, cover_all=False)
    h = F.max_pooling_2d(F.relu(F.convolution_2d(h, p["c1w"], p["c1b"])), 2, 2, cover_all=False)
    h = F.relu(F.linear(h, p["f0w"], p["f0b"]))
    h = F.relu(F.linear(h, p["f1w"], p["f1b"]))
    return F.softmax_cross_entropy(F.linear(h, p["f2w"], p["f2b"]), label)


def _op(name, **kw):
    op = get_op(name)
    attrs = op.parse_attrs(kw)
    return lambda *xs: op.compute(OpCall(F, np, attrs, True, []), *xs)


def lenet_ops():
    conv0 = _op("Convolution", kernel=(5, 5), num_filter=6)
    conv1 = _op("Convolution", kernel=(3, 3), num_filter=16)
    relu = _op("Activation", act_type="relu")
    pool = _op("Pooling", kernel=(2, 2), stride=(2, 2), pool_type="max")
    fc = {n: _op("FullyConnected", num_hidden=n) for n in (120, 84, 10)}
    loss = _op("SoftmaxOutput")

    def net(x, p, label):
        h = pool(relu(conv0(x, p["c0w"], p["c0b"])))
        h = pool(relu(conv1(h, p["c1w"], p["c1b"])))
        h = relu(fc[120](h, p["f0w"], p["f0b"]))
        h = relu(fc[84](h, p["f1w"], p["f1b"]))
        return loss(fc[10](h, p["f2w"], p["f2b"]), label)
    return net


def time_it(net, x, p, label, batches):
    def step():
        for v in p.values():
            v.cleargrad()
        out = net(chainer.Variable(x, requires_grad=False), p, label)   # as the executor binds data
        if out.ndim:                       # SoftmaxOutput emits its own gradient
            out.grad = np.zeros_like(out.array)
        out.backward()
    step()                                 # warm-up
    times = []
    for _ in range(batches):
        t0 = time.perf_counter()
        step()
        times.append(time.perf_counter() - t0)
    # the median: robust to other work on a shared machine
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batches", type=int, default=30)
    args = ap.parse_args()
    rng = np.random.RandomState(0)
    x = rng.rand(BATCH, 1, 28, 28).astype(np.float32)
    label_int = rng.randint(0, 10, BATCH).astype(np.int32)
    p = params(rng)
    for name, net, label in [("chainer functions", lenet_chainer, label_int),
                             ("pybridge operators", lenet_ops(), label_int.astype(np.float32))]:
        sec = time_it(net, x, p, label, args.batches)
        print(f"{name:20s}: {sec * 1e3:7.2f} ms/batch  ->  {sec * BATCHES_PER_EPOCH:6.2f} s/epoch "
              f"(forward+backward only, batch {BATCH})")


if __name__ == "__main__":
    main()
