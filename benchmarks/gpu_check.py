"""GPU check: the engine on ``mx.gpu(0)`` against ``mx.cpu(0)``, in one run (< 5 min on an H200).

1. every registry operator: imperative ``mx.nd.<op>`` and, for graph operators, a bound
   executor's forward + backward, on the GPU and on the CPU from the same inputs; the largest
   relative error (max |gpu - cpu| / max |cpu|) per operator.  Inputs come from the NumPy case
   tables of tests/test_ops_*.py (which tests/test_ops_coverage.py keeps complete) and from
   ``NN_CASES`` below for the nn and loss operators; an operator without a case is a failure.
   Random samplers are compared on shape, dtype and finiteness only (the streams differ).
2. the deck's LeNet: forward and backward, batch 64, GPU vs CPU (outputs and every gradient).
3. one epoch of LeNet training on Fashion-MNIST on the GPU (data/fashion IDX files; synthetic
   data, said so in the table, when they are absent), then test accuracy; with --cpu-epoch
   the same epoch on the CPU too, for comparison.
4. ``mx.nd.dot`` at n = 4000 and 8192 (float32) against CuPy's own ``cupy.matmul``; and that a
   GPU ``dot`` returns before its result is computed (MXNet's async semantics).
5. the APIs above the operators (benchmarks/gpu_apis.py): BucketingModule, mx.rnn cells,
   KVStore, autograd, each on the GPU against the CPU.

Prints a markdown table; exit status 0 when every check passes, 1 when one fails, 2 when no
GPU is usable (with the reason, no traceback), 3 when nothing failed but the operator sweep
ran out of its time budget (--budget, default 270 s from the start).  The quick checks run
first; with --out the report file is rewritten after each section.  See docs/GPU.md for running it on a lent GPU.

    python benchmarks/gpu_check.py [--all-dtypes] [--cpu-epoch] [--no-train] [--cpu-twin]
                                   [--out FILE]

``--cpu-twin`` compares the CPU with itself (no GPU needed): it exercises this script.
"""
import argparse
import importlib
import math
import os
import pathlib
import sys
import time
import traceback

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import numpy as np  # noqa: E402

TOL = {"float16": 2e-2, "float32": 1e-4, "float64": 1e-9}
# the op-case tables test_ops_coverage.py keeps complete; random operators are RANDOM_CASES below
from test_ops_coverage import CASE_MODULES as _COVERED  # noqa: E402
CASE_MODULES = [name for name in _COVERED if name != "test_ops_random"]


# ----------------------------------------------------------------------------- cases
def _nn_cases():
    from _opcheck import Case, between, ints, normal, positive
    n = None   # no NumPy reference: the CPU result is the reference
    return [
        Case("Convolution", n, [normal(2, 3, 9, 9), normal(4, 3, 3, 3), normal(4)],
             {"kernel": (3, 3), "num_filter": 4, "pad": (1, 1)}),
        Case("Convolution", n, [normal(2, 4, 8, 8), normal(6, 2, 3, 3), normal(6)],
             {"kernel": (3, 3), "num_filter": 6, "stride": (2, 2), "num_group": 2},
             id="Convolution-group-stride"),
        Case("Convolution", n, [normal(2, 3, 11), normal(4, 3, 3)],
             {"kernel": (3,), "num_filter": 4, "no_bias": True}, id="Convolution-1d"),
        Case("Convolution", n, [normal(1, 2, 5, 6, 6), normal(3, 2, 3, 3, 3), normal(3)],
             {"kernel": (3, 3, 3), "num_filter": 3}, id="Convolution-3d"),
        Case("Deconvolution", n, [normal(2, 3, 5, 5), normal(3, 4, 3, 3)],
             {"kernel": (3, 3), "num_filter": 4, "stride": (2, 2), "no_bias": True}),
        Case("FullyConnected", n, [normal(4, 3, 5), normal(7, 15), normal(7)], {"num_hidden": 7}),
        Case("Embedding", n, [ints(0, 10, 4, 3), normal(10, 5)],
             {"input_dim": 10, "output_dim": 5}),
        Case("Activation", n, [normal(3, 4)], {"act_type": "relu"}),
        Case("Activation", n, [normal(3, 4)], {"act_type": "sigmoid"}, id="Activation-sigmoid"),
        Case("Activation", n, [normal(3, 4)], {"act_type": "tanh"}, id="Activation-tanh"),
        Case("Activation", n, [normal(3, 4)], {"act_type": "softrelu"}, id="Activation-softrelu"),
        Case("Activation", n, [normal(3, 4)], {"act_type": "softsign"}, id="Activation-softsign"),
        Case("LeakyReLU", n, [normal(3, 4)], {"act_type": "leaky", "slope": 0.1}),
        Case("LeakyReLU", n, [normal(3, 4)], {"act_type": "elu"}, id="LeakyReLU-elu"),
        Case("LeakyReLU", n, [normal(2, 3, 4), positive(3)], {"act_type": "prelu"},
             id="LeakyReLU-prelu"),
        Case("SoftmaxActivation", n, [normal(3, 5)]),
        Case("SoftmaxActivation", n, [normal(2, 3, 4)], {"mode": "channel"},
             id="SoftmaxActivation-channel"),
        Case("Pooling", n, [normal(2, 3, 8, 8)], {"kernel": (2, 2), "stride": (2, 2),
                                                   "pool_type": "max"}),
        Case("Pooling", n, [normal(2, 3, 7, 7)], {"kernel": (3, 3), "stride": (2, 2),
                                                   "pad": (1, 1), "pool_type": "avg"},
             id="Pooling-avg-pad"),
        Case("Pooling", n, [normal(2, 3, 7, 7)], {"kernel": (2, 2), "pool_type": "sum",
                                                   "pooling_convention": "full"},
             id="Pooling-sum-full"),
        Case("Pooling", n, [normal(2, 3, 5, 5)], {"kernel": (1, 1), "global_pool": True,
                                                   "pool_type": "avg"}, id="Pooling-global"),
        Case("BatchNorm", n, [normal(4, 3, 5, 5), positive(3), normal(3), normal(3),
                              positive(3)], {"fix_gamma": False}),
        Case("LayerNorm", n, [normal(3, 4, 6), positive(6), normal(6)]),
        Case("InstanceNorm", n, [normal(2, 3, 5, 5), positive(3), normal(3)]),
        Case("L2Normalization", n, [normal(3, 4, 5)]),
        Case("LRN", n, [normal(2, 5, 4, 4)], {"nsize": 3}),
        Case("Dropout", n, [normal(3, 4)], {"p": 0.5}),   # identity outside training
        Case("BlockGrad", n, [normal(3, 4)]),
        Case("SoftmaxOutput", n, [normal(6, 5), ints(0, 5, 6)]),
        Case("SoftmaxOutput", n, [normal(6, 5), ints(0, 5, 6)],
             {"normalization": "batch", "grad_scale": 2.0}, id="SoftmaxOutput-batch"),
        Case("LinearRegressionOutput", n, [normal(6, 3), normal(6, 3)]),
        Case("MAERegressionOutput", n, [normal(6, 3), normal(6, 3)]),
        Case("LogisticRegressionOutput", n, [normal(6, 3), between(0, 1, 6, 3)]),
        Case("MakeLoss", n, [positive(6, 3)]),
        Case("softmax_cross_entropy", n, [normal(6, 5), ints(0, 5, 6)]),
    ]


# Random samplers: same call on both devices; shape, dtype and finiteness must agree.
RANDOM_CASES = [
    ("_random_uniform", [], {"low": -1.0, "high": 2.0, "shape": (50, 4)}),
    ("_random_normal", [], {"loc": 1.0, "scale": 2.0, "shape": (50, 4)}),
    ("_random_randint", [], {"low": 0, "high": 9, "shape": (50, 4), "dtype": "int32"}),
    ("_random_exponential", [], {"lam": 2.0, "shape": (50, 4)}),
    ("_random_gamma", [], {"alpha": 2.0, "beta": 1.5, "shape": (50, 4)}),
    ("_random_poisson", [], {"lam": 3.0, "shape": (50, 4)}),
    ("_sample_uniform", [np.zeros(3, np.float32), np.ones(3, np.float32)], {"shape": (5,)}),
    ("_sample_normal", [np.zeros(3, np.float32), np.ones(3, np.float32)], {"shape": (5,)}),
    ("_shuffle", [np.arange(20, dtype=np.float32).reshape(10, 2)], {}),
]


RANDOM_IN_TRAINING = {"Dropout"}


def all_cases():
    cases = []
    for name in CASE_MODULES:
        cases.extend(getattr(importlib.import_module(name), "CASES", []))
    return cases + _nn_cases()


# ----------------------------------------------------------------------------- comparison
def rel_err(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return math.inf
    if got.size == 0:
        return 0.0
    both_nan = np.isnan(got) & np.isnan(want)
    same_inf = np.isinf(got) & (got == want)
    ok = both_nan | same_inf
    if (np.isnan(got) | np.isnan(want) | np.isinf(got) | np.isinf(want))[~ok].any():
        return math.inf
    diff = np.abs(np.where(ok, 0.0, got - want)).max()
    scale = np.abs(np.where(ok, 0.0, want)).max()
    return float(diff / scale) if scale > 0 else float(diff)


def _listify(x):
    return x if isinstance(x, (list, tuple)) else [x]


def _imperative(mx, case, arrays, ctx):
    args = [mx.nd.array(a, ctx=ctx, dtype=a.dtype) for a in arrays]
    return [o.asnumpy() for o in _listify(getattr(mx.nd, case.op)(*args, **case.params))]


def _symbolic(mx, op, params, arrays, ctx, seed):
    """Forward(is_train) + backward through a bound executor; outputs + float-input grads."""
    attrs = op.parse_attrs(params)
    n_in = len(op.input_names(attrs))
    arrays, aux_given = arrays[:n_in], arrays[n_in:]      # BatchNorm: moving mean/var last
    names = op.input_names(attrs)[:len(arrays)]
    sym = getattr(mx.sym, op.name)(*[mx.sym.Variable(n) for n in names], **params) \
        if op.num_args_key else \
        getattr(mx.sym, op.name)(**{n: mx.sym.Variable(n) for n in names}, **params)
    arg_names = sym.list_arguments()
    given = dict(zip(names, arrays)) if not op.num_args_key else \
        dict(zip(arg_names, arrays))
    args = {n: mx.nd.array(given[n], ctx=ctx, dtype=given[n].dtype) for n in arg_names}
    grads = {n: mx.nd.zeros(a.shape, ctx=ctx, dtype=a.dtype) for n, a in args.items()
             if np.dtype(a.dtype).kind == "f"}
    _, _, aux_shapes = sym.infer_shape(**{n: a.shape for n, a in args.items()})
    aux = {n: mx.nd.array(aux_given[i], ctx=ctx) if i < len(aux_given) else
           (mx.nd.ones if n.endswith("var") else mx.nd.zeros)(s, ctx=ctx)
           for i, (n, s) in enumerate(zip(sym.list_auxiliary_states(), aux_shapes))}
    exe = sym.bind(ctx, args=args, args_grad=grads, aux_states=aux)
    outs = exe.forward(is_train=True)
    rng = np.random.default_rng(seed)
    seeds = [mx.nd.array(rng.standard_normal(o.shape).astype(o.asnumpy().dtype), ctx=ctx)
             for o in outs]
    exe.backward(seeds)
    return [o.asnumpy() for o in outs] + [grads[n].asnumpy() for n in sorted(grads)] + \
        [a.asnumpy() for a in aux.values()]     # (BatchNorm's updated moving statistics)


def check_ops(mx, dev, all_dtypes=False, deadline=None):
    """{case id: (max rel err, note)}; failures have note 'FAIL: ...', cases left out when
    ``deadline`` (a time.perf_counter() value) passed have note 'not run (time budget)'."""
    from pybridge.registry import all_ops, get_op
    results = {}
    covered = set()
    cases = all_cases()
    for number, case in enumerate(cases):
        op = get_op(case.op)
        covered.add(id(op))
        if number % 50 == 0:
            print(f"  operators: case {number}/{len(cases)}", file=sys.stderr, flush=True)
        if deadline is not None and time.perf_counter() > deadline:
            results[f"{case.id}"] = (0.0, "not run (time budget)")
            continue
        dtypes = list(case.dtypes) if all_dtypes else \
            (["float32"] if "float32" in case.dtypes else [case.dtypes[0]])
        for dt in dtypes:
            key = f"{case.id} [{dt}]"
            rng = np.random.default_rng(0)
            arrays = [make(rng, dt) for make in case.inputs]
            worst, note = 0.0, ""
            try:
                want = _imperative(mx, case, arrays, mx.cpu())
                got = _imperative(mx, case, arrays, dev)
                worst = max([rel_err(g, w) for g, w in zip(got, want)] + [0.0])
                if len(got) != len(want) or any(g.dtype != w.dtype for g, w in zip(got, want)):
                    note = "FAIL: outputs differ in number or dtype"
                params = dict(case.params)
                if op.num_args_key:
                    params[op.num_args_key] = len(arrays)
                if op.name in RANDOM_IN_TRAINING:
                    note = "imperative only (random in training)"
                elif op.symbolic and not note:
                    try:
                        want = _symbolic(mx, op, params, arrays, mx.cpu(), 1)
                    except Exception as exc:   # not differentiable here: forward only
                        note = f"imperative only ({type(exc).__name__})"
                    else:
                        got = _symbolic(mx, op, params, arrays, dev, 1)
                        worst = max([worst] + [rel_err(g, w) for g, w in zip(got, want)])
            except Exception as exc:
                note = f"FAIL: {type(exc).__name__}: {str(exc)[:200]}"
            tol = TOL.get(dt, 0.0)
            if not note.startswith("FAIL") and worst > tol:
                note = f"FAIL: relative error {worst:.2e} > {tol:.0e}"
            results[key] = (worst, note)
    for name, inputs, params in RANDOM_CASES:
        op = get_op(name)
        covered.add(id(op))
        try:
            outs = []
            for ctx in (mx.cpu(), dev):
                args = [mx.nd.array(a, ctx=ctx, dtype=a.dtype) for a in inputs]
                kw = dict(params, ctx=ctx) if not inputs else dict(params)
                out = getattr(mx.nd, name)(*args, **kw)
                outs.append(out.asnumpy())
            a, b = outs
            ok = a.shape == b.shape and a.dtype == b.dtype and np.isfinite(b).all()
            results[f"{name} [random]"] = (0.0, "" if ok else
                                            f"FAIL: cpu {a.shape} {a.dtype}, gpu {b.shape} {b.dtype}")
        except Exception as exc:
            results[f"{name} [random]"] = (0.0, f"FAIL: {type(exc).__name__}: {str(exc)[:200]}")
    missing = sorted({op.name for op in all_ops().values() if id(op) not in covered})
    for name in missing:
        results[f"{name} [no case]"] = (0.0, "FAIL: no case for this operator")
    return results


# ----------------------------------------------------------------------------- LeNet
def lenet(mx):
    data = mx.sym.Variable("data")
    conv1 = mx.sym.Convolution(data=data, kernel=(5, 5), num_filter=6)
    relu1 = mx.sym.Activation(data=conv1, act_type="relu")
    pool1 = mx.sym.Pooling(data=relu1, pool_type="max", kernel=(2, 2), stride=(2, 2))
    conv2 = mx.sym.Convolution(data=pool1, kernel=(3, 3), num_filter=16)
    relu2 = mx.sym.Activation(data=conv2, act_type="relu")
    pool2 = mx.sym.Pooling(data=relu2, pool_type="max", kernel=(2, 2), stride=(2, 2))
    flat = mx.sym.Flatten(data=pool2)
    fc1 = mx.sym.FullyConnected(data=flat, num_hidden=120)
    relu3 = mx.sym.Activation(data=fc1, act_type="relu")
    fc2 = mx.sym.FullyConnected(data=relu3, num_hidden=84)
    relu4 = mx.sym.Activation(data=fc2, act_type="relu")
    fc3 = mx.sym.FullyConnected(data=relu4, num_hidden=10)
    return mx.sym.SoftmaxOutput(data=fc3, name="softmax")


def check_lenet(mx, dev, batch=64):
    """(max rel error over the output and every gradient, per-array errors)."""
    sym = lenet(mx)
    rng = np.random.default_rng(0)
    shapes, _, _ = sym.infer_shape(data=(batch, 1, 28, 28), softmax_label=(batch,))
    values = {}
    for name, shape in zip(sym.list_arguments(), shapes):
        if name == "data":
            values[name] = rng.random(shape).astype(np.float32)
        elif name == "softmax_label":
            values[name] = rng.integers(0, 10, shape).astype(np.float32)
        else:
            values[name] = (rng.standard_normal(shape) * 0.1).astype(np.float32)
    res = {}
    for ctx in (mx.cpu(), dev):
        exe = sym.simple_bind(ctx, data=(batch, 1, 28, 28), softmax_label=(batch,))
        for name, value in values.items():
            exe.arg_dict[name][:] = value
        exe.forward(is_train=True)
        exe.backward()
        res[ctx] = {"output": exe.outputs[0].asnumpy()}
        res[ctx].update({f"grad {n}": g.asnumpy() for n, g in exe.grad_dict.items()
                         if n not in ("data", "softmax_label")})
    want, got = res[mx.cpu()], res[dev]
    errs = {k: rel_err(got[k], want[k]) for k in want}
    return max(errs.values()), errs


# ----------------------------------------------------------------------------- training
def fashion(mx, batch=128):
    d = ROOT / "data" / "fashion"
    files = [d / f for f in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                             "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")]
    if all(f.exists() for f in files):
        train = mx.io.MNISTIter(image=str(files[0]), label=str(files[1]), batch_size=batch,
                                shuffle=True, seed=0, silent=True)
        test = mx.io.MNISTIter(image=str(files[2]), label=str(files[3]), batch_size=batch,
                               shuffle=False, silent=True)
        return train, test, "Fashion-MNIST (data/fashion)"
    rng = np.random.default_rng(0)   # synthetic: 10 class templates + noise (learnable)
    templates = rng.random((10, 1, 28, 28)).astype(np.float32)

    def make(n):
        y = rng.integers(0, 10, n)
        x = (templates[y] + 0.5 * rng.standard_normal((n, 1, 28, 28))).astype(np.float32)
        return mx.io.NDArrayIter(x, y.astype(np.float32), batch, shuffle=False)
    return make(60000), make(10000), "SYNTHETIC data (data/fashion IDX files absent)"


def train_epoch(mx, ctx):
    train, test, source = fashion(mx)
    mx.random.seed(0)
    np.random.seed(0)
    mod = mx.mod.Module(lenet(mx), context=ctx)
    start = time.perf_counter()
    mod.fit(train, optimizer="sgd", optimizer_params={"learning_rate": 0.1},
            initializer=mx.init.Xavier(), num_epoch=1, eval_metric="acc")
    mx.nd.waitall()
    seconds = time.perf_counter() - start
    acc = dict(mod.score(test, "acc"))["accuracy"]
    return seconds, acc, source


# ----------------------------------------------------------------------------- dot
def time_dot(mx, dev, n, reps=10):
    """(ms per mx.nd.dot, ms per cupy.matmul, seconds for the first call to return,
    seconds until its result was ready)."""
    xp = dev.xp
    rng = np.random.default_rng(0)
    a_host = rng.standard_normal((n, n)).astype(np.float32)
    b_host = rng.standard_normal((n, n)).astype(np.float32)
    a, b = mx.nd.array(a_host, ctx=dev), mx.nd.array(b_host, ctx=dev)
    mx.nd.dot(a, b).wait_to_read()       # warm up (cuBLAS handle, kernels)
    mx.nd.waitall()
    t0 = time.perf_counter()
    c = mx.nd.dot(a, b)
    returned = time.perf_counter() - t0
    c.wait_to_read()
    ready = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(reps):
        c = mx.nd.dot(a, b)
    mx.nd.waitall()
    ours = (time.perf_counter() - t0) / reps
    ad, bd = a._data, b._data
    xp.matmul(ad, bd)
    mx.nd.waitall()
    t0 = time.perf_counter()
    for _ in range(reps):
        cd = xp.matmul(ad, bd)
    mx.nd.waitall()
    theirs = (time.perf_counter() - t0) / reps
    check = rel_err(c.asnumpy(), np.asarray(cd.get() if hasattr(cd, "get") else cd))
    return ours * 1e3, theirs * 1e3, returned, ready, check


# ----------------------------------------------------------------------------- main
def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all-dtypes", action="store_true",
                        help="every dtype of every case (default: float32, else the first)")
    parser.add_argument("--cpu-epoch", action="store_true",
                        help="also train the same epoch on the CPU, for comparison")
    parser.add_argument("--no-train", action="store_true", help="skip the training epochs")
    parser.add_argument("--cpu-twin", action="store_true",
                        help="compare the CPU with itself (tests this script without a GPU)")
    parser.add_argument("--out", help="also write the markdown report to this file (rewritten "
                        "after each section, so a run cut short still leaves its results)")
    parser.add_argument("--budget", type=float, default=270.0,
                        help="seconds from the start after which the operator sweep (the "
                        "last section) stops and reports the cases it did not run")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    import pybridge as mx
    from pybridge import _gpu
    info = _gpu.describe()
    if args.cpu_twin:
        dev = mx.cpu(0)
    else:
        dev = mx.gpu(0)
        try:
            mx.nd.zeros((1,), ctx=dev).wait_to_read()
        except mx.MXNetError as exc:
            setup = ", ".join(f"{k}={' '.join(str(v).split())}" for k, v in info.items())
            print(f"gpu_check: {exc}\ngpu_check: setup: {setup}", file=sys.stderr)
            if args.out:
                pathlib.Path(args.out).write_text(f"# GPU check\n\n{exc}\n\nsetup: {setup}\n")
            return 2
    lines = ["# GPU check", "",
             "setup: " + ", ".join(f"{k}={' '.join(str(v).split())}" for k, v in info.items()) +
             f", numpy={np.__version__}, python={sys.version.split()[0]}, device={dev}", ""]
    rows, failed = [], []

    def incomplete():
        return any(status == "INCOMPLETE" for _, status, _ in rows)

    def report():
        table = ["| check | status | result |", "| --- | --- | --- |"]
        table += [f"| {a} | {b} | {c} |" for a, b, c in rows]
        verdict = f"FAILED: {len(failed)}" if failed else \
            "no failures, but INCOMPLETE (time budget)" if incomplete() else "all checks passed"
        return "\n".join(lines + table + ["", f"**{verdict}**"])

    def section(title, fn):
        t0 = time.perf_counter()
        try:
            fn()
        except Exception as exc:
            failed.append(title)
            rows.append((title, "FAIL", f"{type(exc).__name__}: {str(exc)[:300]}"))
            traceback.print_exc()
        print(f"[{time.perf_counter() - t0:6.1f} s] {title}", file=sys.stderr, flush=True)
        if args.out:
            pathlib.Path(args.out).write_text(report() + "\n")

    def ops():
        results = check_ops(mx, dev, args.all_dtypes, deadline=started + args.budget)
        bad = {k: v for k, v in results.items() if v[1].startswith("FAIL")}
        left = [k for k, v in results.items() if v[1].startswith("not run")]
        worst = max(results.items(), key=lambda kv: kv[1][0] if math.isfinite(kv[1][0]) else 0)
        rows.append(("registry operators vs CPU", "FAIL" if bad else "ok" if not left else
                     "INCOMPLETE",
                     f"{len(results) - len(left)} cases run, {len(bad)} failed, {len(left)} not "
                     f"run (time budget); largest rel. error {worst[1][0]:.1e} ({worst[0]})"))
        for k, (err, note) in sorted(bad.items()):
            rows.append((f"  {k}", "FAIL", note))
            failed.append(k)
        fwd_only = sorted(k for k, v in results.items() if v[1].startswith("imperative only"))
        if fwd_only:
            rows.append(("  compared imperatively only", "note", ", ".join(fwd_only)))

    def lenet_check():
        worst, errs = check_lenet(mx, dev)
        status = "ok" if worst <= 1e-4 else "FAIL"
        if status == "FAIL":
            failed.append("LeNet")
        rows.append(("deck LeNet forward+backward vs CPU (batch 64)", status,
                     f"max rel. error {worst:.1e} over output and {len(errs) - 1} gradients"))

    def train():
        sec, acc, source = train_epoch(mx, dev)
        status = "ok" if acc > 0.6 else "FAIL"
        if status == "FAIL":
            failed.append("training")
        rows.append((f"LeNet 1 epoch on {dev}, batch 128, SGD lr 0.1", status,
                     f"{sec:.1f} s/epoch, test accuracy {acc:.4f}; {source}"))
        if args.cpu_epoch and dev != mx.cpu():
            sec_c, acc_c, _ = train_epoch(mx, mx.cpu())
            rows.append(("LeNet 1 epoch on cpu(0) (same settings)", "info",
                         f"{sec_c:.1f} s/epoch, test accuracy {acc_c:.4f}"))

    def dots():
        for n in ((4000, 8192) if not args.cpu_twin else (512,)):
            ours, theirs, returned, ready, err = time_dot(mx, dev, n)
            tflops = 2 * n ** 3 / (ours / 1e3) / 1e12
            status = "ok" if err < 1e-4 else "FAIL"
            if status == "FAIL":
                failed.append(f"dot {n}")
            rows.append((f"mx.nd.dot {n}x{n} float32", status,
                         f"{ours:.2f} ms ({tflops:.1f} TFLOP/s) vs cupy.matmul {theirs:.2f} ms; "
                         f"first call returned after {returned * 1e3:.2f} ms, result ready after "
                         f"{ready * 1e3:.2f} ms"))

    def apis():
        import gpu_apis
        for title, check in gpu_apis.CHECKS:
            try:
                err, detail = check(mx, dev)
                status = "ok" if err <= 1e-4 else "FAIL"
            except Exception as exc:             # one API failing does not hide the others
                traceback.print_exc()
                status, detail = "FAIL", f"{type(exc).__name__}: {str(exc)[:300]}"
            if status == "FAIL":
                failed.append(title)
            rows.append((title, status, detail))

    section("LeNet", lenet_check)          # quick checks first; the operator sweep (CuPy
    if dev.device_type == "gpu":           # compiles each new kernel) last, within --budget
        section("dot", dots)
    if not args.no_train:
        section("training", train)
    section("training APIs", apis)
    section("operators", ops)
    print(report())
    return 1 if failed else 3 if incomplete() else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
