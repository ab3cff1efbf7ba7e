"""One benchmark, written once against the MXNet 1.x Python API, run by either engine.

    python side_by_side.py ENGINE BENCH [--data DIR]

ENGINE is `mxnet` (real MXNet 1.9.1, in its own venv) or `pybridge` (ours); the script imports
it as `mx`, so both engines run exactly the same code. BENCH is one of BENCHES below. Prints one
JSON line: {"engine", "bench", "value", "unit"}. `benchmarks/run` alternates the two engines
and takes medians.
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np


def read_idx(path):
    """An IDX file (MNIST's format) as a NumPy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", raw[:4])
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find(data_dir, *names):
    for name in names:
        for cand in (name, name + ".gz"):
            p = os.path.join(data_dir, cand)
            if os.path.exists(p):
                return p
    raise SystemExit(f"missing data file {names[0]} under {data_dir}: run examples/get_data")


def load_mnist(data_dir, fashion=False):
    base = os.path.join(data_dir, "fashion" if fashion else "mnist")   # examples/get_data layout
    x = read_idx(find(base, "train-images-idx3-ubyte", "train-images.idx3-ubyte"))
    y = read_idx(find(base, "train-labels-idx1-ubyte", "train-labels.idx1-ubyte"))
    return x.astype(np.float32), y.astype(np.float32)


def mlp(mx):
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=256)
    act = mx.sym.Activation(fc1, act_type="tanh")
    fc2 = mx.sym.FullyConnected(act, num_hidden=10)
    return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


def lenet(mx):
    data = mx.sym.Variable("data")
    c1 = mx.sym.Convolution(data=data, kernel=(5, 5), num_filter=6)
    p1 = mx.sym.Pooling(data=mx.sym.Activation(c1, act_type="relu"), pool_type="max", kernel=(2, 2), stride=(2, 2))
    c2 = mx.sym.Convolution(data=p1, kernel=(3, 3), num_filter=16)
    p2 = mx.sym.Pooling(data=mx.sym.Activation(c2, act_type="relu"), pool_type="max", kernel=(2, 2), stride=(2, 2))
    f1 = mx.sym.Activation(mx.sym.FullyConnected(mx.sym.Flatten(p2), num_hidden=120), act_type="relu")
    f2 = mx.sym.Activation(mx.sym.FullyConnected(f1, num_hidden=84), act_type="relu")
    return mx.sym.SoftmaxOutput(data=mx.sym.FullyConnected(f2, num_hidden=10), name="softmax")


def resnet18(mx, classes=1000):
    """MXNet's classic pre-activation ResNet-18 (as resnet-18-symbol.json of 2016)."""
    def unit(x, filters, stride, dim_match, name):
        bn1 = mx.sym.BatchNorm(x, fix_gamma=False, eps=2e-5, momentum=0.9, name=name + "_bn1")
        act1 = mx.sym.Activation(bn1, act_type="relu", name=name + "_relu1")
        conv1 = mx.sym.Convolution(act1, num_filter=filters, kernel=(3, 3), stride=stride, pad=(1, 1),
                                   no_bias=True, name=name + "_conv1")
        bn2 = mx.sym.BatchNorm(conv1, fix_gamma=False, eps=2e-5, momentum=0.9, name=name + "_bn2")
        act2 = mx.sym.Activation(bn2, act_type="relu", name=name + "_relu2")
        conv2 = mx.sym.Convolution(act2, num_filter=filters, kernel=(3, 3), stride=(1, 1), pad=(1, 1),
                                   no_bias=True, name=name + "_conv2")
        short = x if dim_match else mx.sym.Convolution(act1, num_filter=filters, kernel=(1, 1), stride=stride,
                                                       no_bias=True, name=name + "_sc")
        return conv2 + short
    data = mx.sym.Variable("data")
    body = mx.sym.BatchNorm(data, fix_gamma=True, eps=2e-5, momentum=0.9, name="bn_data")
    body = mx.sym.Convolution(body, num_filter=64, kernel=(7, 7), stride=(2, 2), pad=(3, 3), no_bias=True, name="conv0")
    body = mx.sym.BatchNorm(body, fix_gamma=False, eps=2e-5, momentum=0.9, name="bn0")
    body = mx.sym.Activation(body, act_type="relu", name="relu0")
    body = mx.sym.Pooling(body, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max", name="pool0")
    for i, filters in enumerate([64, 128, 256, 512]):
        stride = (1, 1) if i == 0 else (2, 2)
        body = unit(body, filters, stride, False, f"stage{i + 1}_unit1")
        body = unit(body, filters, (1, 1), True, f"stage{i + 1}_unit2")
    bn1 = mx.sym.BatchNorm(body, fix_gamma=False, eps=2e-5, momentum=0.9, name="bn1")
    relu1 = mx.sym.Activation(bn1, act_type="relu", name="relu1")
    pool1 = mx.sym.Pooling(relu1, global_pool=True, kernel=(7, 7), pool_type="avg", name="pool1")
    fc1 = mx.sym.FullyConnected(mx.sym.Flatten(pool1), num_hidden=classes, name="fc1")
    return mx.sym.SoftmaxOutput(fc1, name="softmax")


def train_epoch(mx, sym, x, y, lr, init):
    it = mx.io.NDArrayIter(x, y, batch_size=128, shuffle=True)
    mod = mx.mod.Module(sym, context=mx.cpu())
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    mod.init_params(initializer=init)
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": lr,
                                                          "rescale_grad": 1.0 / 128})
    metric = mx.metric.create("acc")
    start = time.perf_counter()
    for batch in it:
        mod.forward(batch, is_train=True)
        mod.update_metric(metric, batch.label)
        mod.backward()
        mod.update()
    mx.nd.waitall()
    return time.perf_counter() - start


def bench_mlp_epoch(mx, data_dir):
    x, y = load_mnist(data_dir)
    return train_epoch(mx, mlp(mx), x.reshape(len(x), -1), y, 0.01, mx.init.Uniform(0.07)), "s/epoch"


def bench_lenet_epoch(mx, data_dir):
    x, y = load_mnist(data_dir, fashion=True)
    return train_epoch(mx, lenet(mx), x.reshape(len(x), 1, 28, 28) / 255.0, y, 0.1, mx.init.Xavier()), "s/epoch"


def bench_resnet18_infer(mx, data_dir):
    sym = resnet18(mx)
    exe = sym.simple_bind(mx.cpu(), grad_req="null", data=(32, 3, 224, 224))
    rng = np.random.RandomState(0)
    for name, arr in exe.arg_dict.items():
        arr[:] = rng.uniform(-0.05, 0.05, arr.shape).astype(np.float32)
    for name, arr in exe.aux_dict.items():
        arr[:] = 1.0 if name.endswith("var") else 0.0
    exe.forward(is_train=False)
    exe.outputs[0].wait_to_read()           # warm-up
    runs = 3
    start = time.perf_counter()
    for _ in range(runs):
        exe.forward(is_train=False)
        exe.outputs[0].wait_to_read()
    return 32 * runs / (time.perf_counter() - start), "img/s"


def bench_predict_b1(mx, data_dir):
    x, y = load_mnist(data_dir)
    x = x.reshape(len(x), -1)[:1000] / 255.0
    sym = mlp(mx)
    mod = mx.mod.Module(sym, context=mx.cpu())
    mod.bind(data_shapes=[("data", (1, 784))], for_training=False)
    mod.init_params(initializer=mx.init.Uniform(0.07))
    batch = mx.io.DataBatch
    start = time.perf_counter()
    for i in range(1000):
        mod.forward(batch(data=[mx.nd.array(x[i:i + 1])]), is_train=False)
        mod.get_outputs()[0].asnumpy()
    return (time.perf_counter() - start) / 1000 * 1e6, "us/call"


BENCHES = {name[len("bench_"):]: fn for name, fn in globals().items() if name.startswith("bench_")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("engine", choices=["mxnet", "pybridge"])
    ap.add_argument("bench", choices=sorted(BENCHES))
    ap.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "..", "data"))
    args = ap.parse_args()
    if args.engine == "mxnet":
        import mxnet as mx
    else:
        sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
        import pybridge as mx
    mx.random.seed(0)
    value, unit = BENCHES[args.bench](mx, args.data)
    print(json.dumps({"engine": args.engine, "bench": args.bench, "value": value, "unit": unit}))


if __name__ == "__main__":
    main()
