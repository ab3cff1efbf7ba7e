"""mx.autograd and NDArray gradients against real MXNet 1.9.1.

The programs are tests/make_autograd_reference.py's CASES; the fixture holds what MXNet 1.9.1
computed for them.  Values are float32: compared with rtol 1e-5, atol 1e-5 (the largest
difference measured is reported by the assertion when one fails).
"""
import json
import os
import timeit

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError

from make_autograd_reference import CASES

FIXTURE = os.path.join(os.path.dirname(__file__), "fixtures", "mxnet-1.9.1", "autograd.json")
with open(FIXTURE) as f:
    REF = json.load(f)

RTOL, ATOL = 1e-5, 1e-5
MESSAGE_STARTS = ("Cannot differentiate", "Assigning to NDArrays", "Each Function instance",
                  "Inplace operations")


def _sentence(ref):
    """MXNet's message without its traceback and 'Check failed: <condition>:' prefix."""
    for start in MESSAGE_STARTS:
        if start in ref:
            return ref[ref.index(start):]
    return None


def _compare(ours, ref, where):
    if isinstance(ref, dict):
        assert set(ours) == set(ref), where
        for key in ref:
            _compare(ours[key], ref[key], f"{where}.{key}")
    elif isinstance(ref, str) and _sentence(ref) is None:
        assert ours == ref, where
    elif isinstance(ref, str):
        assert ours is not None and _sentence(ref) in ours, f"{where}: {ours!r}"
    elif isinstance(ref, list) and ref and isinstance(ref[0], (bool, type(None))) \
            or isinstance(ref, (bool, type(None))):
        assert ours == ref, where
    elif isinstance(ref, list) and not ref:
        assert ours == ref, where
    else:
        a, b = np.asarray(ours, dtype=np.float64), np.asarray(ref, dtype=np.float64)
        assert a.shape == b.shape, f"{where}: shape {a.shape} vs {b.shape}"
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL, err_msg=where)


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_mxnet(name):
    _compare(CASES[name](mx), REF[name], name)


def test_state_scopes_restore():
    assert not mx.autograd.is_recording() and not mx.autograd.is_training()
    with mx.autograd.record():
        assert mx.autograd.is_recording() and mx.autograd.is_training()
        with mx.autograd.predict_mode():
            assert mx.autograd.is_recording() and not mx.autograd.is_training()
        with mx.autograd.pause(train_mode=True):
            assert not mx.autograd.is_recording() and mx.autograd.is_training()
        assert mx.autograd.is_training()
    with mx.autograd.train_mode():
        assert mx.autograd.is_training() and not mx.autograd.is_recording()
    assert mx.autograd.set_recording(True) is False
    assert mx.autograd.set_recording(False) is True
    assert mx.autograd.set_training(False) is False
    assert not mx.autograd.is_recording() and not mx.autograd.is_training()


def test_scope_restores_after_exception():
    with pytest.raises(ZeroDivisionError):
        with mx.autograd.record():
            1 / 0
    assert not mx.autograd.is_recording() and not mx.autograd.is_training()


def test_gradient_of_numeric_difference():
    # independent of MXNet: central differences in float64 on a registry op chain
    rng = np.random.RandomState(0)
    x0 = rng.uniform(-1, 1, (3, 4))

    def f(v):
        return np.sum(np.log1p(np.exp(v)) * np.cos(v).mean(axis=1, keepdims=True))
    x = mx.nd.array(x0, dtype="float64")
    x.attach_grad()
    with mx.autograd.record():
        y = (mx.nd.Activation(x, act_type="softrelu") * mx.nd.cos(x).mean(axis=1, keepdims=True)).sum()
    y.backward()
    num = np.zeros_like(x0)
    eps = 1e-6
    for i in np.ndindex(x0.shape):
        d = np.zeros_like(x0)
        d[i] = eps
        num[i] = (f(x0 + d) - f(x0 - d)) / (2 * eps)
    np.testing.assert_allclose(x.grad.asnumpy(), num, rtol=1e-6, atol=1e-8)


def test_out_argument_joins_graph():
    x = mx.nd.array([1.0, 2.0, 3.0])
    x.attach_grad()
    y = mx.nd.zeros((3,))
    with mx.autograd.record():
        mx.nd.square(x, out=y)      # an array outside the graph joins it through out=
        z = y * 2 + x
    z.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), 4 * np.array([1, 2, 3]) + 1)
    with mx.autograd.record():
        w = x * 1
        with pytest.raises(MXNetError, match="Assigning to NDArrays"):
            mx.nd.relu(x, out=w)
    assert w.asnumpy().tolist() == [1.0, 2.0, 3.0]


def test_create_graph_second_order():
    x = mx.nd.array([0.5, -1.0, 2.0])
    x.attach_grad()
    with mx.autograd.record():
        y = x * x * x
        dx = mx.autograd.grad(y, [x], create_graph=True)[0]
    dx.backward()
    np.testing.assert_allclose(dx.asnumpy(), 3 * x.asnumpy() ** 2, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), 6 * x.asnumpy(), rtol=1e-6)


def test_detach_shares_memory_outside_graph():
    x = mx.nd.ones((2,))
    x.attach_grad()
    with mx.autograd.record():
        y = x * 3
    d = y.detach()
    with pytest.raises(MXNetError, match="not in a computational graph"):
        d.backward()
    d[:] = 7
    assert y.asnumpy().tolist() == [7.0, 7.0]


def test_bad_input():
    x = mx.nd.ones((2, 3))
    with pytest.raises(MXNetError, match="attach_grad: stype 'csr'"):
        x.attach_grad(stype="csr")
    with pytest.raises(MXNetError, match="mark_variables: invalid grad_req 'sum'"):
        mx.autograd.mark_variables(x, mx.nd.zeros((2, 3)), "sum")
    with pytest.raises(MXNetError, match=r"mark_variables: gradient 0 has shape \(3,\)"):
        mx.autograd.mark_variables([x], [mx.nd.zeros((3,))])
    x.attach_grad()
    with mx.autograd.record():
        y = x * 2
    with pytest.raises(MXNetError, match="backward: head_grads\\[0\\] has shape"):
        y.backward(mx.nd.ones((3, 2)))
    with pytest.raises(MXNetError, match="backward: heads and head_grads must be lists"):
        mx.autograd.backward([y], [None, None])
    with pytest.raises(MXNetError, match="grad: variables cannot be an empty list"):
        mx.autograd.grad(y, [])
    with pytest.raises(MXNetError, match="backward: head 0 must be an NDArray"):
        mx.autograd.backward([1.0])


def test_function_backward_bad_return():
    class Twice(mx.autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            return dy * 2, dy

    x = mx.nd.ones((2,))
    x.attach_grad()
    with mx.autograd.record():
        y = Twice()(x)
    with pytest.raises(MXNetError, match="Twice.backward must return exactly the same number "
                                         "of NDArrays.*Expecting 1 got 2"):
        y.backward()


def test_no_recording_cost_outside_record():
    # Outside record() an op takes the plain path: its result carries no graph
    a = mx.nd.ones((4, 4))
    a.attach_grad()
    b = a * 2 + 1
    assert getattr(b, "_var", None) is None
    t = min(timeit.repeat(lambda: a * 2 + 1, number=200, repeat=5)) / 200
    assert t < 1e-3, f"a * 2 + 1 took {t * 1e6:.0f} us per call"
