"""Write tests/fixtures/mxnet-1.9.1/kvstore.json with real MXNet 1.9.1.

    /tmp/mxnet-ref/bin/python tests/make_kvstore_reference.py

Not a test: tests/test_kvstore.py imports SCENARIOS and runs the same functions on our engine.
Each scenario takes the engine module ``mx`` and returns plain values: pulled arrays as nested
lists, attributes, the keys an updater saw, and for bad calls the error's type and the message
MXNet gave (its C++ check, without the stack trace).  Several devices are several values pushed
for one key (mx.cpu(i) stands in for a GPU), as the R package's multi-device training did.
"""
import json
import os
import tempfile

import numpy as np

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "mxnet-1.9.1")
SHAPE = (2, 3)


def _val(mx, scale, shift=0.0, ctx=None):
    """A deterministic (2, 3) array: scale * arange(6) + shift."""
    data = (np.arange(6, dtype=np.float32) * scale + shift).reshape(SHAPE)
    return mx.nd.array(data, ctx=ctx or mx.cpu())


def _out(mx, ctx=None):
    return mx.nd.zeros(SHAPE, ctx=ctx or mx.cpu())


def _list(arr):
    return arr.asnumpy().tolist()


def _error(fn):
    """(exception type, message without MXNet's stack trace), or None when fn succeeds."""
    try:
        fn()
    except Exception as exc:  # noqa: BLE001  (recording what each engine raises)
        msg = str(exc).split("\nStack trace")[0].strip()
        return [type(exc).__name__, msg.splitlines()[-1] if msg else ""]
    return None


def s_attributes(mx):
    out = {}
    for name in ("local", "device", "Local"):
        kv = mx.kv.create(name)
        out[name] = [kv.type, kv.rank, kv.num_workers]
    return out


def s_int_keys(mx):
    kv = mx.kv.create("local")
    rec = {}
    kv.init(3, _val(mx, 1.0))
    a = _out(mx)
    kv.pull(3, out=a)
    rec["pull_after_init"] = _list(a)
    kv.push(3, _val(mx, 8.0))
    kv.pull(3, out=a)
    rec["pull_after_push"] = _list(a)
    # four devices push to one key: the store keeps their sum
    kv.push(3, [_val(mx, 1.0, i, mx.cpu(i)) for i in range(4)])
    outs = [_out(mx, mx.cpu(i)) for i in range(2)]
    kv.pull(3, out=outs)
    rec["pull_after_multi_push"] = [_list(o) for o in outs]
    # several keys at once, two devices each; a key repeated in one push is summed too
    kv.init([5, 7], [_val(mx, 0.5), _val(mx, -1.0)])
    kv.push([5, 7], [[_val(mx, 1.0), _val(mx, 2.0)], [_val(mx, 3.0), _val(mx, 4.0, 1.0)]])
    o5, o7 = [_out(mx), _out(mx)], [_out(mx), _out(mx)]
    kv.pull([5, 7], out=[o5, o7])
    rec["pull_two_keys"] = [[_list(o) for o in o5], [_list(o) for o in o7]]
    kv.push([5, 5], [_val(mx, 1.0), _val(mx, 10.0)])
    kv.pull(5, out=a)
    rec["pull_repeated_key"] = _list(a)
    return rec


def s_str_keys(mx):
    kv = mx.kv.create("local")
    rec = {}
    kv.init("w", _val(mx, 2.0))
    kv.init(["b", "c"], [_val(mx, 1.0), _val(mx, 3.0)])
    kv.push(["b", "c"], [[_val(mx, 1.0), _val(mx, 1.0, 1.0)], [_val(mx, -1.0)]])
    ob, oc, ow = _out(mx), _out(mx), _out(mx)
    kv.pull(["b", "c", "w"], out=[ob, oc, ow])
    rec["pulled"] = [_list(ob), _list(oc), _list(ow)]
    return rec


def _train(mx, kv, keys, steps=3, devices=2):
    """Init weights, push gradients from several devices for some steps, pull each time."""
    kv.init(keys, [_val(mx, 0.1 * (k + 1), 1.0) for k in range(len(keys))])
    pulled = []
    for step in range(steps):
        grads = [[_val(mx, 0.3 * (step + 1) + d, -0.5 * k, mx.cpu(d)) for d in range(devices)]
                 for k in range(len(keys))]
        kv.push(keys, grads)
        outs = [_out(mx) for _ in keys]
        kv.pull(keys, out=outs)
        pulled.append([_list(o) for o in outs])
    return pulled


def s_sgd(mx):
    kv = mx.kv.create("local")
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01,
                                      rescale_grad=0.25))
    return {"pulled": _train(mx, kv, [0, 1])}


def s_adam_str_keys(mx):
    kv = mx.kv.create("device")
    kv.set_optimizer(mx.optimizer.Adam(learning_rate=0.01, rescale_grad=0.5))
    return {"pulled": _train(mx, kv, ["fc_weight", "fc_bias"], devices=3)}


def s_updater(mx):
    seen = []

    def update(key, grad, stored):
        # MXNet 1.9.1 hands string keys to a Python updater as bytes; we hand them as str
        seen.append(key.decode() if isinstance(key, bytes) else key)
        stored += grad * 2

    rec = {}
    for keys in ([9], ["k"]):
        kv = mx.kv.create("local")
        kv._set_updater(update)
        rec[str(keys[0])] = _train(mx, kv, keys, steps=2)
    rec["seen"] = seen
    return rec


def s_pushpull(mx):
    kv = mx.kv.create("local")
    kv.init(4, _val(mx, 1.0))
    vals = [_val(mx, 1.0, 0.0, mx.cpu(0)), _val(mx, 2.0, 1.0, mx.cpu(1))]
    outs = [_out(mx), _out(mx)]
    kv.pushpull(4, vals, out=outs)
    rec = {"out": [_list(o) for o in outs]}
    kv.pushpull(4, vals)          # no out: the result is written into the values
    rec["in_place"] = [_list(v) for v in vals]
    kv2 = mx.kv.create("local")
    kv2.set_optimizer(mx.optimizer.SGD(learning_rate=0.5))
    kv2.init("p", _val(mx, 1.0))
    out = _out(mx)
    kv2.pushpull("p", _val(mx, 0.0, 1.0), out=out)
    rec["with_optimizer"] = _list(out)
    return rec


def s_broadcast(mx):
    kv = mx.kv.create("local")
    outs = [_out(mx), _out(mx, mx.cpu(1))]
    kv.broadcast("bk", _val(mx, 3.0), out=outs)
    rec = {"int": None, "str": [_list(o) for o in outs]}
    kv2 = mx.kv.create("local")
    out = _out(mx)
    kv2.broadcast(6, _val(mx, -2.0), out=out)
    rec["int"] = _list(out)
    kv2.push(6, _val(mx, 1.0))
    kv2.pull(6, out=out)
    rec["int_after_push"] = _list(out)
    return rec


def s_optimizer_states(mx):
    """Momentum saved after two steps and loaded into a fresh store continues identically."""
    def make():
        kv = mx.kv.create("local")
        kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
        return kv

    kv = make()
    kv.init(0, _val(mx, 1.0))
    grad = _val(mx, 1.0, 1.0)
    for _ in range(2):
        kv.push(0, grad)
    with tempfile.TemporaryDirectory() as tmp:
        fname = os.path.join(tmp, "kv.states")
        kv.save_optimizer_states(fname)
        w = _out(mx)
        kv.pull(0, out=w)
        kv.push(0, grad)
        expected = _out(mx)
        kv.pull(0, out=expected)
        kv2 = make()
        kv2.init(0, w)
        kv2.load_optimizer_states(fname)
        kv2.push(0, grad)
        got = _out(mx)
        kv2.pull(0, out=got)
    fresh = make()
    fresh.init(0, w)
    fresh.push(0, grad)
    no_state = _out(mx)
    fresh.pull(0, out=no_state)
    return {"continued": _list(expected), "loaded": _list(got), "no_state": _list(no_state)}


def s_errors(mx):
    def kv_with(*keys):
        kv = mx.kv.create("local")
        for k in keys:
            kv.init(k, _val(mx, 1.0))
        return kv

    def with_opt():
        kv = kv_with(1)
        kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1))
        return kv

    cases = {
        "pull_uninitialized_int": lambda: kv_with(1).pull(2, out=_out(mx)),
        "pull_uninitialized_str": lambda: kv_with("a").pull("b", out=_out(mx)),
        "push_uninitialized_str": lambda: kv_with("a").push("b", _val(mx, 1.0)),
        "push_uninitialized_with_optimizer": lambda: with_opt().push(2, _val(mx, 1.0)),
        "duplicate_init_int": lambda: kv_with(1, 1),
        "duplicate_init_str": lambda: kv_with("a", "a"),
        "mixed_key_types": lambda: kv_with(1, "a"),
        "push_shape_mismatch": lambda: kv_with(1).push(1, [_val(mx, 1.0),
                                                         mx.nd.ones((3, 2))]),
        "pull_shape_mismatch": lambda: kv_with(1).pull(1, out=mx.nd.zeros((3, 2))),
        "init_length_mismatch": lambda: mx.kv.create("local").init([1, 2], [_val(mx, 1.0)]),
        "create_dist_sync": lambda: mx.kv.create("dist_sync"),
        "create_not_a_string": lambda: mx.kv.create(3),
        "bad_key_type": lambda: mx.kv.create("local").init(1.5, _val(mx, 1.0)),
    }
    return {name: _error(fn) for name, fn in cases.items()}


SCENARIOS = {name[2:]: fn for name, fn in dict(globals()).items() if name.startswith("s_")}


def main():
    import mxnet as mx
    assert mx.__version__ == "1.9.1", mx.__version__
    record = {"mxnet": mx.__version__}
    for name, fn in SCENARIOS.items():
        record[name] = fn(mx)
    with open(os.path.join(HERE, "kvstore.json"), "w") as f:
        json.dump(record, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
