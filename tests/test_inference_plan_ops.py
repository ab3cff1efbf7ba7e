"""Every graph that runs with ``forward(is_train=True)`` runs with ``is_train=False``.

CPU inference runs the executor's fused plan (pybridge/inference_plan.py) instead of one step
per operator; training runs the operators one by one (through Chainer when gradients are
requested).  Each registry operator that has a NumPy case (the ``CASES`` tables that
test_ops_coverage.py reads), each nn/loss operator (table below), each random operator and the
chains the plan fuses are bound with ``simple_bind`` and run both ways: deterministic operators
must give the same outputs, the others the same shapes and dtypes.  A failure names the case.
"""
import importlib

import numpy as np
import pytest

import pybridge as mx
from pybridge.registry import get_op
from test_ops_coverage import CASE_MODULES


def _cases():
    for name in CASE_MODULES:
        yield from getattr(importlib.import_module(name), "CASES", [])


def _run_both_ways(sym, values, aux=None):
    """(is_train=True outputs, is_train=False outputs) of ``sym`` bound to ``values``."""
    floats = all(np.dtype(v.dtype).kind == "f" for v in values.values())
    ex = sym.simple_bind(mx.cpu(), grad_req="write" if floats and values else "null",
                         type_dict={k: v.dtype for k, v in values.items()},
                         **{k: v.shape for k, v in values.items()})
    for name, value in values.items():
        ex.arg_dict[name][:] = value
    for name, value in (aux or {}).items():
        ex.aux_dict[name][:] = value
    train = [o.asnumpy() for o in ex.forward(is_train=True)]
    test = [o.asnumpy() for o in ex.forward(is_train=False)]
    return train, test


def _assert_same(train, test, what):
    assert len(train) == len(test), what
    for a, b in zip(train, test):
        assert a.shape == b.shape and a.dtype == b.dtype, f"{what}: {a.shape} {a.dtype} " \
            f"(is_train=True) vs {b.shape} {b.dtype} (is_train=False)"
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6, err_msg=what)


@pytest.mark.parametrize("case", _cases(), ids=repr)
def test_numpy_case_ops_infer_as_they_train(case):
    op = get_op(case.op)
    for dt in case.dtypes:
        rng = np.random.default_rng(0)
        arrays = [make(rng, dt) for make in case.inputs]
        names = [f"in{i}" for i in range(len(arrays))]
        params = dict(case.params)
        if op.num_args_key:
            params[op.num_args_key] = len(arrays)
        sym = getattr(mx.sym, case.op)(*[mx.sym.Variable(n) for n in names], **params)
        train, test = _run_both_ways(sym, dict(zip(names, arrays)))
        _assert_same(train, test, f"{case} [{dt}]")


# nn and loss operators: (op, {input: shape}, params); weights get their shapes by inference
NN = [
    ("Activation", {"data": (2, 3, 4)}, {"act_type": "tanh"}),
    ("BatchNorm", {"data": (2, 3, 4, 5)}, {"use_global_stats": True}),
    ("BlockGrad", {"data": (3, 4)}, {}),
    ("Convolution", {"data": (2, 3, 7, 6)}, {"kernel": (3, 3), "num_filter": 4, "pad": (1, 1)}),
    ("Convolution", {"data": (2, 3, 9)}, {"kernel": (3,), "num_filter": 2, "stride": (2,)}),
    ("Convolution", {"data": (1, 4, 6, 6)}, {"kernel": (3, 3), "num_filter": 4, "num_group": 2}),
    ("Deconvolution", {"data": (2, 3, 5, 4)}, {"kernel": (3, 3), "num_filter": 2,
                                                "stride": (2, 2)}),
    ("Dropout", {"data": (3, 4)}, {"p": 0.0}),
    ("Embedding", {"data": (2, 3)}, {"input_dim": 5, "output_dim": 4}),
    ("FullyConnected", {"data": (4, 3, 2)}, {"num_hidden": 5}),
    ("InstanceNorm", {"data": (2, 3, 4, 5)}, {}),
    ("L2Normalization", {"data": (2, 3, 4)}, {"mode": "channel"}),
    ("LRN", {"data": (2, 5, 3, 3)}, {"nsize": 3}),
    ("LayerNorm", {"data": (2, 3, 4)}, {}),
    ("LeakyReLU", {"data": (2, 3, 4)}, {"act_type": "elu"}),
    ("LinearRegressionOutput", {"data": (4, 3), "label": (4, 3)}, {}),
    ("LogisticRegressionOutput", {"data": (4, 3), "label": (4, 3)}, {}),
    ("MAERegressionOutput", {"data": (4, 3), "label": (4, 3)}, {}),
    ("MakeLoss", {"data": (3, 4)}, {}),
    ("Pooling", {"data": (2, 3, 7, 9)}, {"kernel": (3, 3), "stride": (2, 2), "pad": (1, 1)}),
    ("Pooling", {"data": (2, 3, 8, 8)}, {"kernel": (2, 2), "pool_type": "avg"}),
    ("Pooling", {"data": (2, 3, 5, 5)}, {"kernel": (1, 1), "global_pool": True}),
    ("SoftmaxActivation", {"data": (3, 4)}, {}),
    ("SoftmaxOutput", {"data": (4, 3), "label": (4,)}, {}),
    ("softmax_cross_entropy", {"data": (4, 3), "label": (4,)}, {}),
]


def _values(shapes, rng, op):
    out = {}
    for name, shape in shapes.items():
        if name == "label" and len(shape) == 1 or op == "Embedding":
            out[name] = rng.integers(0, 3, shape).astype(np.float32)
        else:
            out[name] = rng.standard_normal(shape).astype(np.float32)
    return out


def _fill_weights(ex, given, rng):
    for name, array in ex.arg_dict.items():
        if name not in given:
            given[name] = rng.standard_normal(array.shape).astype(np.float32)
    aux = {}
    for name, array in ex.aux_dict.items():   # moving variance must be positive
        aux[name] = (rng.random(array.shape) + 0.5).astype(np.float32)
    return given, aux


@pytest.mark.parametrize("op, shapes, params", NN, ids=[f"{c[0]}-{i}" for i, c in enumerate(NN)])
def test_nn_ops_infer_as_they_train(op, shapes, params):
    rng = np.random.default_rng(1)
    sym = getattr(mx.sym, op)(*[mx.sym.Variable(n) for n in shapes], name="op", **params)
    probe = sym.simple_bind(mx.cpu(), grad_req="null", **shapes)
    values, aux = _fill_weights(probe, _values(shapes, rng, op), rng)
    train, test = _run_both_ways(sym, values, aux)
    _assert_same(train, test, op)


def _fused_chain():
    """Convolution -> BatchNorm -> elemwise_add -> relu -> max Pooling, the plan's fusions."""
    data = mx.sym.Variable("data")
    conv = mx.sym.Convolution(data, kernel=(3, 3), pad=(1, 1), num_filter=3, name="conv")
    bn = mx.sym.BatchNorm(conv, use_global_stats=True, name="bn")
    act = mx.sym.Activation(bn + data, act_type="relu")
    pool = mx.sym.Pooling(act, kernel=(2, 2), stride=(2, 2), pool_type="max")
    bn2 = mx.sym.BatchNorm(pool, use_global_stats=True, name="bn2")
    return mx.sym.Activation(bn2, act_type="relu")


def test_fused_chain_infers_as_it_trains():
    rng = np.random.default_rng(2)
    sym = _fused_chain()
    shapes = {"data": (2, 3, 6, 6)}
    probe = sym.simple_bind(mx.cpu(), grad_req="null", **shapes)
    values, aux = _fill_weights(probe, _values(shapes, rng, "chain"), rng)
    train, test = _run_both_ways(sym, values, aux)
    _assert_same(train, test, "conv-bn-add-relu-pool-bn-relu")


ZERO_INPUT = [  # operators without inputs, next to the convolution the plan would fuse
    ("_random_normal", {"shape": (2, 3, 4, 4)}),
    ("_random_uniform", {"shape": (2, 3, 4, 4)}),
    ("_random_exponential", {"shape": (2, 3, 4, 4)}),
    ("_random_gamma", {"shape": (2, 3, 4, 4)}),
    ("_random_poisson", {"shape": (2, 3, 4, 4)}),
    ("_random_randint", {"shape": (2, 3, 4, 4), "low": 0, "high": 5}),
    ("_zeros", {"shape": (2, 3, 4, 4)}),
    ("_ones", {"shape": (2, 3, 4, 4)}),
    ("_full", {"shape": (2, 3, 4, 4), "value": 1.5}),
    ("_arange", {"start": 0, "stop": 96}),
]


@pytest.mark.parametrize("op, params", ZERO_INPUT, ids=[c[0] for c in ZERO_INPUT])
def test_zero_input_operators_in_inference(op, params):
    """A zero-input operator used to reach the plan's fused-start test with no input
    (a raw IndexError under is_train=False; report finding 4)."""
    data = mx.sym.Variable("data")
    made = mx.sym.cast(getattr(mx.sym, op)(**params), dtype="float32")   # (randint: int32)
    if op == "_arange":
        made = mx.sym.reshape(made, shape=(2, 3, 4, 4))
    conv = mx.sym.Convolution(made, kernel=(3, 3), pad=(1, 1), num_filter=3, no_bias=True,
                              name="conv")
    sym = mx.sym.Group([mx.sym.concat(data, made, dim=1), conv])
    rng = np.random.default_rng(3)
    values = {"data": rng.standard_normal((2, 1, 4, 4)).astype(np.float32),
              "conv_weight": rng.standard_normal((3, 3, 3, 3)).astype(np.float32)}
    train, test = _run_both_ways(sym, values)
    for a, b in zip(train, test):
        assert a.shape == b.shape and a.dtype == b.dtype
    np.testing.assert_array_equal(test[0][:, :1], values["data"])
    if not op.startswith("_random"):    # deterministic: the same values both ways
        _assert_same(train, test, op)


def test_survey_finding_4_graph():
    """The R report's graph: concat(data, normal(shape)) bound and run for inference."""
    s = mx.sym.concat(mx.sym.Variable("data"), mx.sym.random_normal(shape=(2, 4, 1, 1)), dim=0)
    ex = s.simple_bind(mx.cpu(), grad_req="null", data=(2, 4, 1, 1))
    out = ex.forward(is_train=False)[0]
    assert out.shape == (4, 4, 1, 1)


def test_operator_errors_reach_the_user_as_mxnet_errors(monkeypatch):
    """Whatever an operator raises while the executor runs it comes back as MXNetError
    naming the operator and the node."""
    sym = mx.sym.Activation(mx.sym.Variable("x"), act_type="relu", name="act")
    ex = sym.simple_bind(mx.cpu(), grad_req="null", x=(2, 3))
    op = get_op("Activation")

    def broken(call, *inputs):
        raise KeyError("lost")

    monkeypatch.setattr(op, "compute", broken)
    for is_train in (True, False):
        with pytest.raises(mx.MXNetError, match=r"Activation: .*lost.*in operator 'act'"):
            ex.forward(is_train=is_train)
