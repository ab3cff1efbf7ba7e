"""Checkpoints: MXNet's files load; ours round-trip; bad files give clear errors."""
import json
import os

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError
from pybridge.checkpoint import load_checkpoint, load_params, save_checkpoint

REF = "mxnet-1.9.1"


@pytest.fixture(autouse=True)
def _fresh_names():
    with mx.sym.NameManager():
        yield


def _net():
    data = mx.sym.Variable("data")
    conv = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, name="conv")
    bn = mx.sym.BatchNorm(conv, fix_gamma=False, name="bn")
    act = mx.sym.Activation(bn, act_type="relu")
    flat = mx.sym.Flatten(act)
    fc = mx.sym.FullyConnected(flat, num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(fc, name="softmax")


def _random_params(sym, rng, **shapes):
    arg_shapes, _, aux_shapes = sym.infer_shape(**shapes)
    args = {n: mx.nd.array(rng.normal(size=s)) for n, s in zip(sym.list_arguments(), arg_shapes)
            if n not in shapes and not n.endswith("label")}
    aux = {n: mx.nd.array(rng.uniform(0.5, 1.5, size=s))
           for n, s in zip(sym.list_auxiliary_states(), aux_shapes)}
    return args, aux


def _predict(sym, args, aux, x):
    ex = sym.simple_bind(mx.cpu(), grad_req="null", data=x.shape)
    ex.copy_params_from(args, aux)
    return ex.forward(data=mx.nd.array(x))[0].asnumpy()


def test_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    sym = _net()
    args, aux = _random_params(sym, rng, data=(2, 1, 6, 6))
    prefix = str(tmp_path / "model")
    save_checkpoint(prefix, 7, sym, args, aux)
    assert sorted(os.listdir(tmp_path)) == ["model-0007.params", "model-symbol.json"]
    sym2, args2, aux2 = load_checkpoint(prefix, 7)
    assert sym2.tojson() == sym.tojson()
    assert set(args2) == set(args) and set(aux2) == set(aux)
    for src, dst in ((args, args2), (aux, aux2)):
        for k in src:
            np.testing.assert_array_equal(src[k].asnumpy(), dst[k].asnumpy())
    saved = mx.nd.load(prefix + "-0007.params")
    assert set(saved) == {f"arg:{k}" for k in args} | {f"aux:{k}" for k in aux}
    x = rng.normal(size=(2, 1, 6, 6)).astype(np.float32)
    np.testing.assert_array_equal(_predict(sym, args, aux, x), _predict(sym2, args2, aux2, x))


def test_mxnet_checkpoint_params(fixtures_dir):
    meta = json.loads((fixtures_dir / REF / "resnet18-narrow-meta.json").read_text())
    arg_params, aux_params = load_params(str(fixtures_dir / REF / "resnet18-narrow"), 0)
    assert set(aux_params) == set(meta["auxiliary_states"])
    inputs = {"data", "softmax_label"}
    assert set(arg_params) == set(meta["arguments"]) - inputs
    shapes = dict(zip(meta["arguments"], meta["arg_shapes"]))
    for name, value in arg_params.items():
        assert list(value.shape) == shapes[name]


def test_params_not_fitting_the_symbol_name_the_parameter(tmp_path):
    rng = np.random.default_rng(1)
    sym = _net()
    args, aux = _random_params(sym, rng, data=(2, 1, 6, 6))
    args["fc_weight"] = mx.nd.zeros((3, 5))
    prefix = str(tmp_path / "bad")
    save_checkpoint(prefix, 0, sym, args, aux)
    sym2, args2, aux2 = load_checkpoint(prefix, 0)
    ex = sym2.simple_bind(mx.cpu(), data=(2, 1, 6, 6))
    with pytest.raises(MXNetError, match="fc_weight"):
        ex.copy_params_from(args2, aux2)
    arrays = dict(args2, data=mx.nd.zeros((2, 1, 6, 6)), softmax_label=mx.nd.zeros((2,)))
    with pytest.raises(MXNetError, match="fc_weight"):
        sym2.bind(mx.cpu(), arrays, aux_states=aux2)


def test_bad_files(tmp_path):
    prefix = str(tmp_path / "m")
    with pytest.raises(MXNetError, match="m-symbol.json"):
        load_checkpoint(prefix, 0)
    _net().save(prefix + "-symbol.json")
    with pytest.raises(MXNetError, match="m-0000.params"):
        load_checkpoint(prefix, 0)
    mx.nd.save(prefix + "-0000.params", {"weird": mx.nd.zeros((1,))})
    with pytest.raises(MXNetError, match="invalid key 'weird'"):
        load_checkpoint(prefix, 0)
    mx.nd.save(prefix + "-0001.params", [mx.nd.zeros((1,))])
    with pytest.raises(MXNetError, match="unnamed list"):
        load_checkpoint(prefix, 1)
    with pytest.raises(MXNetError, match="epoch"):
        save_checkpoint(prefix, -1, None, {}, {})
    with pytest.raises(MXNetError, match="arg_params"):
        save_checkpoint(prefix, 2, None, {"w": np.zeros(2)}, {})


def test_failed_save_keeps_previous_checkpoint(tmp_path):
    """Writes are atomic: a save that fails midway leaves the old files intact."""
    rng = np.random.default_rng(2)
    sym = _net()
    args, aux = _random_params(sym, rng, data=(2, 1, 6, 6))
    prefix = str(tmp_path / "keep")
    save_checkpoint(prefix, 1, sym, args, aux)
    before = open(prefix + "-0001.params", "rb").read()

    class Exploding(mx.nd.NDArray):
        def as_in_context(self, ctx):
            raise RuntimeError("disk full")
    broken = dict(args, fc_bias=Exploding(args["fc_bias"]._data))
    with pytest.raises(RuntimeError):
        save_checkpoint(prefix, 1, sym, broken, aux)
    assert open(prefix + "-0001.params", "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == ["keep-0001.params", "keep-symbol.json"]
