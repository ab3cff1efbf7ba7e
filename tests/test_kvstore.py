"""mx.kv: the single-process KVStore against real MXNet 1.9.1 (tests/make_kvstore_reference.py)."""
import json
import os
import re

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError

from make_kvstore_reference import HERE, SCENARIOS

REF = json.load(open(os.path.join(HERE, "kvstore.json")))
ARRAY_SCENARIOS = [n for n in SCENARIOS if n not in ("errors", "attributes")]


def _close(ours, ref, path="", rtol=1e-6, atol=1e-6):
    """Compare nested dicts/lists of numbers (arrays within float32 rounding)."""
    if isinstance(ref, dict):
        assert sorted(ours) == sorted(ref), path
        for k in ref:
            _close(ours[k], ref[k], f"{path}/{k}", rtol, atol)
    elif isinstance(ref, list) and ref and isinstance(ref[0], (int, float, list)) and \
            not isinstance(ref[0], bool) and _numeric(ref):
        np.testing.assert_allclose(np.asarray(ours, dtype=np.float64), np.asarray(ref),
                                   rtol=rtol, atol=atol, err_msg=path)
    else:
        assert ours == ref, path


def _numeric(x):
    if isinstance(x, list):
        return all(_numeric(v) for v in x)
    return isinstance(x, (int, float)) and not isinstance(x, bool)


@pytest.mark.parametrize("name", ARRAY_SCENARIOS)
def test_scenario_matches_mxnet(name):
    _close(SCENARIOS[name](mx), REF[name], name)


def test_attributes_match_mxnet():
    assert SCENARIOS["attributes"](mx) == REF["attributes"]
    for name in ("nccl", "local_update_cpu", "local_allreduce_device"):
        kv = mx.kvstore.create(name)
        assert (kv.type, kv.rank, kv.num_workers) == (name, 0, 1)
    assert mx.kv.create().type == "local"


# MXNet's C++ checks say "Check failed: <expression>: <message>"; ours must give the message.
@pytest.mark.parametrize("case", sorted(
    k for k, v in REF["errors"].items() if v and "Check failed" in v[1]))
def test_error_messages_match_mxnet(case):
    ours = SCENARIOS["errors"](mx)[case]
    ref_type, ref_msg = REF["errors"][case]
    assert ours is not None, f"{case}: MXNet raised {ref_msg}, we did not"
    assert ours[0] == ref_type
    wanted = re.search(r": ((?:duplicate init|key |Mixed|operands shape).*)$", ref_msg).group(1)
    assert wanted in ours[1], (case, ours[1])
    assert ours[1].startswith("KVStore."), ours[1]


def test_other_errors():
    errors = SCENARIOS["errors"](mx)
    assert errors["create_not_a_string"][0] == REF["errors"]["create_not_a_string"][0]
    assert "name must be a string" in errors["create_not_a_string"][1]
    assert errors["create_dist_sync"][0] == "MXNetError"
    assert "not supported here" in errors["create_dist_sync"][1]
    assert errors["init_length_mismatch"][0] == "MXNetError"
    assert "one entry per key" in errors["init_length_mismatch"][1]
    assert "unexpected type for keys: float" in errors["bad_key_type"][1]


def test_bad_input():
    kv = mx.kv.create()
    cases = [
        (lambda: mx.kv.create("dist_device_sync"), "kvstore.create: 'dist_device_sync'"),
        (lambda: mx.kv.create("horovod"), "distributed kvstore type"),
        (lambda: mx.kv.create("loca"), "unknown kvstore type 'loca'"),
        (lambda: kv.init(1, np.ones(3)), "KVStore.init: 'value' for key 1 must be an NDArray"),
        (lambda: kv.init(True, mx.nd.ones(3)), "KVStore.init: unexpected type for keys: bool"),
        (lambda: kv.pull(1), "KVStore.pull: out must be given"),
        (lambda: kv.push(1, mx.nd.ones(3), priority="high"), "KVStore.push: priority"),
        (lambda: kv.set_optimizer("sgd"), "KVStore.set_optimizer: optimizer must be an Optimizer"),
        (lambda: kv._set_updater(3), "KVStore._set_updater: updater must be callable"),
        (lambda: kv.set_gradient_compression({"type": "2bit", "threshold": 0.5}),
         "KVStore.set_gradient_compression: gradient compression type '2bit'"),
        (lambda: kv.set_gradient_compression("2bit"), "compression_params must be a dict"),
        (lambda: kv.save_optimizer_states("x.states"), "KVStore.save_optimizer_states: no optimizer"),
        (lambda: kv.is_capable("sparse"), "Unknown capability: sparse"),
    ]
    for fn, msg in cases:
        with pytest.raises((MXNetError, TypeError, ValueError)) as info:
            fn()
        assert msg in str(info.value), (msg, str(info.value))
    kv.set_gradient_compression({"type": "none"})
    assert kv.is_capable("optimizer")


def test_push_without_copy_keeps_store_separate():
    """The store holds its own copy: changing the array given to init/push changes nothing."""
    kv = mx.kv.create()
    a = mx.nd.ones((2, 2))
    kv.init(0, a)
    a[:] = 5
    out = mx.nd.zeros((2, 2))
    kv.pull(0, out=out)
    np.testing.assert_array_equal(out.asnumpy(), np.ones((2, 2)))
    g = mx.nd.full((2, 2), 3.0)
    kv.push(0, g)
    g[:] = 7
    kv.pull(0, out=out)
    np.testing.assert_array_equal(out.asnumpy(), np.full((2, 2), 3.0))


def test_optimizer_on_store_equals_updater_by_hand():
    """set_optimizer: each push applies the optimizer to the summed gradient, as get_updater."""
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [[rng.standard_normal((3, 4)).astype(np.float32) for _ in range(3)]
             for _ in range(4)]
    kv = mx.kv.create("device")
    kv.set_optimizer(mx.optimizer.create("adam", learning_rate=0.05, wd=0.1))
    kv.init("w", mx.nd.array(w0))
    updater = mx.optimizer.get_updater(mx.optimizer.create("adam", learning_rate=0.05, wd=0.1))
    w = mx.nd.array(w0)
    out = mx.nd.zeros((3, 4))
    for step in grads:
        kv.push("w", [mx.nd.array(g, ctx=mx.cpu(i)) for i, g in enumerate(step)])
        updater("w", mx.nd.array(sum(step)), w)
        kv.pull("w", out=out)
        np.testing.assert_allclose(out.asnumpy(), w.asnumpy(), rtol=1e-6, atol=1e-7)


def test_optimizer_states_round_trip(tmp_path):
    kv = mx.kv.create()
    kv.set_optimizer(mx.optimizer.create("adam", learning_rate=0.1))
    kv.init([0, 1], [mx.nd.ones((2,)), mx.nd.ones((3,))])
    kv.push([0, 1], [mx.nd.ones((2,)), mx.nd.ones((3,)) * 2])
    fname = str(tmp_path / "kv.states")
    kv.save_optimizer_states(fname)
    saved = mx.nd.load(fname)
    assert sorted(saved) == ["0:0", "0:1", "1:0", "1:1"]
    with pytest.raises(MXNetError, match="dump_optimizer"):
        kv.save_optimizer_states(fname, dump_optimizer=True)
    other = mx.kv.create()
    with pytest.raises(MXNetError, match="KVStore.load_optimizer_states: no optimizer"):
        other.load_optimizer_states(fname)


# ------------------------------------------------------------------ training through a store
def _fit(kvstore, optimizer="sgd", fixed=None, env=None, monkeypatch=None):
    if env is not None:
        monkeypatch.setenv("MXNET_UPDATE_ON_KVSTORE", env)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((40, 6)).astype(np.float32)
    y = rng.integers(0, 3, 40).astype(np.float32)
    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=5, name="fc1")
    net = mx.sym.Activation(net, act_type="tanh")
    net = mx.sym.FullyConnected(net, num_hidden=3, name="fc2")
    net = mx.sym.SoftmaxOutput(net, name="softmax")
    it = mx.io.NDArrayIter(x, y, batch_size=10)
    mod = mx.mod.Module(net, fixed_param_names=fixed)
    mx.random.seed(3)
    params = {"learning_rate": 0.1, "wd": 0.01}
    if optimizer == "sgd":
        params["momentum"] = 0.9
    mod.fit(it, num_epoch=3, kvstore=kvstore, optimizer=optimizer, optimizer_params=params,
            initializer=mx.init.Xavier())
    args, _ = mod.get_params()
    return mod, {k: v.asnumpy() for k, v in args.items()}


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_module_update_on_kvstore_equals_local_update(optimizer):
    """One device: the optimizer run by the store gives the local updater's parameters."""
    _, local = _fit("local", optimizer)
    mod, on_store = _fit(mx.kv.create("local"), optimizer)
    assert mod._update_on_kvstore and mod._kvstore.type == "local"
    assert sorted(mod._kvstore._store) == ["fc1_bias", "fc1_weight", "fc2_bias", "fc2_weight"]
    for name in local:
        np.testing.assert_allclose(on_store[name], local[name], rtol=1e-6, atol=1e-7,
                                   err_msg=name)
    # the store holds the trained weights, which moved away from the initial ones
    stored = mod._kvstore._store["fc1_weight"].asnumpy()
    np.testing.assert_array_equal(stored, on_store["fc1_weight"])


def test_module_kvstore_aggregation_only(monkeypatch):
    """MXNET_UPDATE_ON_KVSTORE=0: the store sums gradients, the module's updater applies them."""
    _, local = _fit("local")
    mod, agg = _fit(mx.kv.create("device"), env="0", monkeypatch=monkeypatch)
    assert mod._kvstore is not None and not mod._update_on_kvstore
    for name in local:
        np.testing.assert_allclose(agg[name], local[name], rtol=1e-6, atol=1e-7, err_msg=name)


def test_module_kvstore_fixed_params_and_states(tmp_path):
    mod, on_store = _fit(mx.kv.create("local"), fixed=["fc1_weight"])
    _, local = _fit("local", fixed=["fc1_weight"])
    assert "fc1_weight" not in mod._kvstore._store
    for name in local:
        np.testing.assert_allclose(on_store[name], local[name], rtol=1e-6, atol=1e-7)
    fname = str(tmp_path / "m.states")
    mod.save_optimizer_states(fname)
    assert sorted(mx.nd.load(fname)) == ["fc1_bias:0", "fc2_bias:0", "fc2_weight:0"]
    mod.load_optimizer_states(fname)


def test_module_kvstore_bad_input():
    with pytest.raises(TypeError, match="kvstore must be KVStore, str or None"):
        _fit(3)
    with pytest.raises(MXNetError, match="'dist_sync' is a distributed kvstore type"):
        _fit("dist_sync")


def test_bucketing_module_on_kvstore_matches_mxnet():
    """Buckets borrow the first module's store: the train-bucketing replay (MXNet 1.9.1, local
    updates) is reproduced with the optimizer run by the store."""
    import test_bucketing as tb
    meta = json.load(open(os.path.join(HERE, "train-bucketing.json")))
    arrays = {k: v.asnumpy()
              for k, v in mx.nd.load(os.path.join(HERE, "train-bucketing.nd")).items()}
    mod = mx.mod.BucketingModule(tb.ref.make_sym_gen(mx),
                                 default_bucket_key=meta["default_bucket_key"])
    mod.bind(data_shapes=[("data", (meta["batch_size"], meta["default_bucket_key"]))],
             label_shapes=[("softmax_label", (meta["batch_size"],))])
    mod.init_params(arg_params={k: mx.nd.array(v)
                                for k, v in tb._group(arrays, "init:").items()}, aux_params={})
    kv = mx.kv.create("local")
    mod.init_optimizer(kvstore=kv, optimizer=meta["optimizer"],
                       optimizer_params=meta["optimizer_params"])
    for i, key in enumerate(meta["step_keys"]):
        mod.forward(tb._batch(arrays[f"step{i}:data"], arrays[f"step{i}:label"], key),
                    is_train=True)
        mod.backward()
        mod.update()
    assert len(set(meta["step_keys"])) > 1
    assert all(m._kvstore is kv and m._update_on_kvstore for m in mod._buckets.values())
    params, _ = mod.get_params()
    for name, want in tb._group(arrays, "final:").items():
        assert tb._rel(params[name].asnumpy(), want) < tb.RTOL, name
