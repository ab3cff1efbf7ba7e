"""``mx.mod.BucketingModule`` against MXNet 1.9.1 (tests/fixtures/mxnet-1.9.1/train-bucketing.*).

The fixture (tests/make_bucketing_reference.py) trains an Elman network unrolled to 3, 5 and 8
steps, its weights shared by the three buckets.  Replaying it checks that every bucket
computes with the same parameters, that the optimizer's momentum is shared across buckets
(parameter index by position, as MXNet), and ``fit``/``score`` over bucketed batches.
"""
import json
import sys
from pathlib import Path

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError

sys.path.insert(0, str(Path(__file__).parent))
import make_bucketing_reference as ref  # noqa: E402  (shares sym_gen with the fixture script)

# float32 recurrences through 8 steps and 8 updates: MXNet vs us differ by summation order
RTOL = 2e-5


@pytest.fixture(scope="module")
def fixture():
    folder = Path(__file__).parent / "fixtures" / "mxnet-1.9.1"
    meta = json.loads((folder / "train-bucketing.json").read_text())
    arrays = mx.nd.load(str(folder / "train-bucketing.nd"))
    return meta, {k: v.asnumpy() for k, v in arrays.items()}


def _group(arrays, prefix):
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def _rel(got, want):
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-12))


def _new(meta, arrays, optimizer=True):
    mod = mx.mod.BucketingModule(ref.make_sym_gen(mx),
                                 default_bucket_key=meta["default_bucket_key"])
    mod.bind(data_shapes=[("data", (meta["batch_size"], meta["default_bucket_key"]))],
             label_shapes=[("softmax_label", (meta["batch_size"],))])
    mod.init_params(arg_params={k: mx.nd.array(v) for k, v in _group(arrays, "init:").items()},
                    aux_params={})
    if optimizer:
        mod.init_optimizer(optimizer=meta["optimizer"], optimizer_params=meta["optimizer_params"])
    return mod


def _batch(data, label, key):
    return mx.io.DataBatch([mx.nd.array(data)], [mx.nd.array(label)], bucket_key=key,
                           provide_data=[mx.io.DataDesc("data", data.shape)],
                           provide_label=[mx.io.DataDesc("softmax_label", label.shape)])


def test_steps_across_buckets_match_mxnet(fixture):
    meta, arrays = fixture
    mod = _new(meta, arrays)
    for i, key in enumerate(meta["step_keys"]):
        mod.forward(_batch(arrays[f"step{i}:data"], arrays[f"step{i}:label"], key), is_train=True)
        out = mod.get_outputs()[0].asnumpy()
        assert out.shape == (meta["batch_size"], meta["classes"])
        assert _rel(out, arrays[f"step{i}:output"]) < RTOL, f"step {i} (bucket {key})"
        mod.backward()
        mod.update()
    params, _ = mod.get_params()
    final = _group(arrays, "final:")
    assert sorted(params) == sorted(final)
    for name, want in final.items():
        assert not np.allclose(want, arrays[f"init:{name}"]), f"{name} did not move in MXNet"
        assert _rel(params[name].asnumpy(), want) < RTOL, name
    assert sorted(mod._buckets) == sorted(set(meta["step_keys"]))


def test_fit_and_score_match_mxnet(fixture):
    meta, arrays = fixture
    train = [(k, arrays[f"train{i}:data"], arrays[f"train{i}:label"])
             for i, k in enumerate(meta["train_keys"])]
    val = [(k, arrays[f"val{i}:data"], arrays[f"val{i}:label"])
           for i, k in enumerate(meta["val_keys"])]
    mod = mx.mod.BucketingModule(ref.make_sym_gen(mx),
                                 default_bucket_key=meta["default_bucket_key"])
    seen = []
    mod.fit(ref.BucketIter(mx, train), eval_data=ref.BucketIter(mx, val),
            eval_metric=["acc", "ce"], optimizer=meta["optimizer"],
            optimizer_params=meta["optimizer_params"],
            arg_params={k: mx.nd.array(v) for k, v in _group(arrays, "init:").items()},
            aux_params={}, num_epoch=meta["fit_num_epoch"],
            eval_end_callback=lambda p: seen.append(dict(p.eval_metric.get_name_value())))
    assert len(seen) == len(meta["fit_validation"])
    for got, want in zip(seen, meta["fit_validation"]):
        assert got["accuracy"] == pytest.approx(want["accuracy"])
        assert got["cross-entropy"] == pytest.approx(want["cross-entropy"], rel=1e-4)
    params, _ = mod.get_params()
    for name, want in _group(arrays, "fit_final:").items():
        assert _rel(params[name].asnumpy(), want) < RTOL, name
    score = dict(mod.score(ref.BucketIter(mx, train), ["acc", "ce"]))
    want = meta["fit_train_score_after"]
    assert score["accuracy"] == pytest.approx(want["accuracy"])
    assert score["cross-entropy"] == pytest.approx(want["cross-entropy"], rel=1e-4)


def test_buckets_share_parameter_arrays(fixture):
    meta, arrays = fixture
    mod = _new(meta, arrays)
    for key in (3, 5):
        data = np.zeros((meta["batch_size"], key), np.float32)
        mod.forward(_batch(data, np.zeros(meta["batch_size"], np.float32), key))
    execs = [m._exec for m in mod._buckets.values()]
    for name in ("i2h_weight", "h2h_weight", "cls_weight", "embed_weight"):
        assert all(e.arg_dict[name] is execs[0].arg_dict[name] for e in execs), name
        assert all(e.grad_dict[name] is execs[0].grad_dict[name] for e in execs), name
    # a smaller batch in a bound bucket rebinds it (reshape) and keeps sharing
    small = np.zeros((2, 3), np.float32)
    mod.forward(_batch(small, np.zeros(2, np.float32), 3))
    assert mod.get_outputs()[0].shape == (2, meta["classes"])
    assert mod._buckets[3]._exec.arg_dict["i2h_weight"] is execs[0].arg_dict["i2h_weight"]


def test_checkpoint_round_trip(fixture, tmp_path):
    meta, arrays = fixture
    mod = _new(meta, arrays, optimizer=False)
    data = arrays["step1:data"]                               # a bucket-3 batch
    mod.forward(_batch(data, arrays["step1:label"], 3), is_train=False)
    want = mod.get_outputs()[0].asnumpy()
    prefix = str(tmp_path / "bucketed")
    mod.save_checkpoint(prefix, 4)
    assert (tmp_path / "bucketed-3-symbol.json").exists()
    assert (tmp_path / "bucketed-8-symbol.json").exists()
    loaded = mx.mod.BucketingModule.load(prefix, 4, sym_gen=ref.make_sym_gen(mx),
                                         default_bucket_key=meta["default_bucket_key"])
    loaded.bind(data_shapes=[("data", (meta["batch_size"], meta["default_bucket_key"]))],
                label_shapes=[("softmax_label", (meta["batch_size"],))], for_training=False)
    loaded.forward(_batch(data, arrays["step1:label"], 3), is_train=False)
    np.testing.assert_array_equal(loaded.get_outputs()[0].asnumpy(), want)


def test_bad_input(fixture):
    meta, arrays = fixture
    with pytest.raises(MXNetError, match="default_bucket_key"):
        mx.mod.BucketingModule(ref.make_sym_gen(mx))
    with pytest.raises(MXNetError, match="sym_gen"):
        mx.mod.BucketingModule(lambda key: mx.sym.Variable("x"), default_bucket_key=3)
    mod = mx.mod.BucketingModule(ref.make_sym_gen(mx), default_bucket_key=8)
    with pytest.raises(MXNetError, match="BucketingModule.forward: call bind"):
        mod.forward(_batch(arrays["step0:data"], arrays["step0:label"], 8))
    bound = _new(meta, arrays)
    with pytest.raises(MXNetError, match="bucket_key"):
        bound.forward([mx.nd.zeros((5, 8))])
    # a bucket whose symbol has a parameter the default bucket lacks cannot share
    def sym_gen(key):
        data = mx.sym.Variable("data")
        net = mx.sym.FullyConnected(data, num_hidden=2, name="fc" if key == 8 else f"fc{key}")
        return mx.sym.SoftmaxOutput(net, name="softmax"), ("data",), ("softmax_label",)
    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=8)
    mod.bind([("data", (5, 8))], [("softmax_label", (5,))])
    mod.init_params()
    with pytest.raises(MXNetError, match="fc3_weight.*shared_module"):
        mod.forward(_batch(np.zeros((5, 3), np.float32), np.zeros(5, np.float32), 3))
