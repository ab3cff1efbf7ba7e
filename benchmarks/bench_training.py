"""Time the deck's MLP epoch through the engine's training loop (CPU).

    .venv/bin/python benchmarks/bench_training.py [--epochs 2] [--api feedforward|module]
    /tmp/mxnet-ref/bin/python benchmarks/bench_training.py --mxnet     # real MXNet 1.9.1

The deck's "MLP on MNIST": 784 -> FullyConnected 256 -> tanh -> FullyConnected 10 ->
SoftmaxOutput, SGD learning rate 0.01, batch 128, accuracy metric, on synthetic
MNIST-shaped data (60000 x 784 in [0, 1), labels 0..9) shuffled every epoch; with
``--eval`` also a 10000-example validation pass per epoch, as the deck does.  Prints seconds
per epoch, the same epoch written directly in NumPy (the machine's floor, measured in the same
conditions) and where a batch's time goes (forward, backward, update, metric).
MXNet 1.9.1 on this machine: 1.5-1.8 s/epoch for this network (DESIGN.md).
"""
import argparse
import os
import sys
import time

import numpy as np

if "--mxnet" in sys.argv:      # the same script on real MXNet 1.9.1 (tools/mxnet-reference.sh)
    import mxnet as mx  # noqa: E402
else:
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
    import pybridge as mx  # noqa: E402


def mlp():
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=256)
    act = mx.sym.Activation(fc1, act_type="tanh")
    fc2 = mx.sym.FullyConnected(act, num_hidden=10)
    return mx.sym.SoftmaxOutput(fc2, name="softmax")


def synthetic(n, seed):
    rng = np.random.RandomState(seed)
    return rng.rand(n, 784).astype(np.float32), rng.randint(0, 10, n).astype(np.float32)


def breakdown(x, y, batches=100):
    """Per-batch time of each step of the loop, through the Module API."""
    mod = mx.mod.Module(mlp())
    mod.bind([("data", (128, 784))], [("softmax_label", (128,))])
    mod.init_params(mx.init.Uniform(0.07))
    mod.init_optimizer(optimizer_params={"learning_rate": 0.01})
    metric = mx.metric.Accuracy()
    it = mx.io.NDArrayIter(x, y, batch_size=128, shuffle=True)
    spent = dict.fromkeys(["batch", "forward", "backward", "update", "metric"], 0.0)
    for _ in range(batches):
        t0 = time.perf_counter()
        batch = it.next()
        t1 = time.perf_counter()
        mod.forward(batch, is_train=True)
        t2 = time.perf_counter()
        mod.backward()
        t3 = time.perf_counter()
        mod.update()
        t4 = time.perf_counter()
        mod.update_metric(metric, batch.label)
        t5 = time.perf_counter()
        for key, dt in zip(spent, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4)):
            spent[key] += dt
    return {k: 1000 * v / batches for k, v in spent.items()}


def numpy_epoch(x, y, lr=0.01, bs=128, seed=0):
    """The same epoch written directly in NumPy (the floor for this machine's BLAS)."""
    rng = np.random.RandomState(seed)
    w1 = rng.uniform(-0.07, 0.07, (256, 784)).astype(np.float32)
    b1 = np.zeros(256, np.float32)
    w2 = rng.uniform(-0.07, 0.07, (10, 256)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    eye = np.eye(10, dtype=np.float32)
    order = rng.permutation(len(x))
    tic = time.perf_counter()
    for start in range(0, len(x) - bs + 1, bs):
        idx = order[start:start + bs]
        xb, yb = x[idx], y[idx].astype(int)
        h = np.tanh(xb @ w1.T + b1)
        z = h @ w2.T + b2
        e = np.exp(z - z.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        dz = (p - eye[yb]) / bs
        dh = (dz @ w2) * (1 - h * h)
        w2 -= lr * (dz.T @ h)
        b2 -= lr * dz.sum(0)
        w1 -= lr * (dh.T @ xb)
        b1 -= lr * dh.sum(0)
        _ = (p.argmax(1) == yb).mean()
    return time.perf_counter() - tic


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--api", choices=["feedforward", "module"], default="feedforward")
    ap.add_argument("--eval", action="store_true", help="also score 10000 examples per epoch")
    ap.add_argument("--mxnet", action="store_true", help="run on real MXNet (imported above)")
    args = ap.parse_args()
    x, y = synthetic(60000, 0)
    xv, yv = synthetic(10000, 1)
    mx.random.seed(0)
    train = mx.io.NDArrayIter(x, y, batch_size=128, shuffle=True)
    val = mx.io.NDArrayIter(xv, yv, batch_size=128) if args.eval else None
    stamps = [time.perf_counter()]

    def epoch_end(*_):
        stamps.append(time.perf_counter())

    if args.api == "feedforward":
        model = mx.model.FeedForward(mlp(), ctx=mx.cpu(), num_epoch=args.epochs,
                                     learning_rate=0.01, initializer=mx.init.Uniform(0.07))
        model.fit(train, eval_data=val, eval_metric="acc", epoch_end_callback=epoch_end)
    else:
        mod = mx.mod.Module(mlp())
        mod.fit(train, eval_data=val, num_epoch=args.epochs, eval_metric="acc",
                optimizer_params={"learning_rate": 0.01}, initializer=mx.init.Uniform(0.07),
                epoch_end_callback=epoch_end)
    # epoch k's time: from the previous epoch's end callback (after its validation pass, if
    # any) to this one's, i.e. training plus the previous validation
    times = [b - a for a, b in zip(stamps, stamps[1:])]
    print(f"{'MXNet ' + mx.__version__ if args.mxnet else 'pybridge'} api={args.api} "
          f"epochs={args.epochs} eval={args.eval}")
    print("seconds per epoch:", " ".join(f"{t:.3f}" for t in times))
    print(f"best {min(times):.3f} s/epoch = {60000 / min(times):.0f} samples/s")
    floor = numpy_epoch(x, y)
    print(f"same epoch in plain NumPy: {floor:.3f} s (engine/NumPy = {min(times) / floor:.2f})")
    if args.mxnet:
        return
    per_batch = breakdown(x, y)
    total = sum(per_batch.values())
    print(f"per batch {total:.2f} ms: " + ", ".join(f"{k} {v:.2f}" for k, v in per_batch.items()))


if __name__ == "__main__":
    main()
