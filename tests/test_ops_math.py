"""Elementwise math operators against NumPy (float32, float64, and int32 where MXNet allows)."""
import math

import numpy as np
import pytest

import pybridge as mx
from _opcheck import Case, between, check, fixed, normal, positive


def unary(fn):
    """Reference computed in float64, cast back to the input dtype (MXNet keeps the dtype;
    for integers the float result is truncated)."""
    return lambda x: np.asarray(fn(x.astype(np.float64))).astype(x.dtype)


F_I = ("float32", "float64", "int32")
S = (3, 4)
CASES = [
    Case("exp", unary(np.exp), [normal(*S)], dtypes=F_I),
    Case("log", unary(np.log), [positive(*S)], dtypes=F_I),
    Case("log1p", unary(np.log1p), [positive(5)]),
    Case("expm1", unary(np.expm1), [normal(2, 3, 2)]),
    Case("log2", unary(np.log2), [positive(7)]),
    Case("log10", unary(np.log10), [positive(7)]),
    Case("sqrt", unary(np.sqrt), [positive(*S)], dtypes=F_I),
    Case("rsqrt", unary(lambda x: 1 / np.sqrt(x)), [positive(*S)]),
    Case("cbrt", unary(np.cbrt), [normal(*S)]),
    Case("square", unary(np.square), [normal(*S)], dtypes=F_I),
    Case("reciprocal", unary(lambda x: 1 / x), [positive(*S)]),
    Case("sign", unary(np.sign), [normal(*S)], dtypes=F_I),
    Case("round", unary(lambda x: np.trunc(x + np.copysign(0.5, x))),
         [fixed([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, -2.6])]),
    Case("round", unary(lambda x: np.trunc(x + np.copysign(0.5, x))), [normal(*S)], dtypes=F_I),
    Case("rint", unary(lambda x: np.ceil(x - 0.5)), [fixed([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, -2.6])]),
    Case("rint", unary(lambda x: np.ceil(x - 0.5)), [normal(*S)], dtypes=F_I),
    Case("ceil", unary(np.ceil), [normal(*S)], dtypes=F_I),
    Case("floor", unary(np.floor), [normal(*S)], dtypes=F_I),
    Case("fix", unary(np.fix), [normal(*S)], dtypes=F_I),
    Case("sin", unary(np.sin), [normal(*S)]),
    Case("cos", unary(np.cos), [normal(*S)]),
    Case("tan", unary(np.tan), [between(-1.2, 1.2, *S)]),
    Case("arcsin", unary(np.arcsin), [between(-0.95, 0.95, *S)]),
    Case("arccos", unary(np.arccos), [between(-0.95, 0.95, *S)]),
    Case("arctan", unary(np.arctan), [normal(*S)]),
    Case("sinh", unary(np.sinh), [normal(*S)]),
    Case("cosh", unary(np.cosh), [normal(*S)]),
    Case("tanh", unary(np.tanh), [normal(*S)]),
    Case("sigmoid", unary(lambda x: 1 / (1 + np.exp(-x))), [normal(*S)], dtypes=F_I),
    Case("relu", unary(lambda x: np.where(x > 0, x, 0)), [normal(*S)], dtypes=F_I),
    Case("softsign", unary(lambda x: x / (1 + np.abs(x))), [normal(*S)]),
    Case("erf", unary(np.vectorize(math.erf)), [normal(*S)]),
    Case("gamma", unary(np.vectorize(math.gamma)), [fixed([-2.5, -1.5, -0.5, 0.3, 1.0, 2.5, 4.2])]),
    Case("gamma", unary(np.vectorize(math.gamma)), [positive(*S)]),
    Case("gammaln", unary(np.vectorize(math.lgamma)), [positive(*S)]),
    Case("gammaln", unary(np.vectorize(math.lgamma)), [fixed([-2.5, -0.5, 0.2, 7.0, 30.0])]),
    Case("clip", lambda x, a_min, a_max: np.clip(x, a_min, a_max).astype(x.dtype), [normal(*S)],
         {"a_min": -0.5, "a_max": 0.7}),
    Case("clip", lambda x, a_min, a_max: np.minimum(np.maximum(x, a_min), a_max).astype(x.dtype),
         [normal(*S)], {"a_min": -2, "a_max": 3}, dtypes=("int32",)),
]


def _softmax(x, axis=-1, temperature=None, log=False):
    z = x.astype(np.float64) / (temperature or 1.0)
    z = z - z.max(axis=axis, keepdims=True)
    out = z - np.log(np.exp(z).sum(axis=axis, keepdims=True)) if log else \
        np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)
    return out.astype(x.dtype)


CASES += [
    Case("softmax", lambda x: _softmax(x), [normal(2, 5)]),
    Case("softmax", lambda x, axis, temperature: _softmax(x, axis, temperature), [normal(3, 4, 2)],
         {"axis": 1, "temperature": 2.5}),
    Case("log_softmax", lambda x: _softmax(x, log=True), [normal(2, 5)]),
    Case("log_softmax", lambda x, axis: _softmax(x, axis, log=True), [normal(3, 4, 2)], {"axis": 0}),
]


CASES += [
    Case("add_n", lambda a, b, c: (a.astype(np.float64) + b + c).astype(a.dtype),
         [normal(3, 4), normal(3, 4), normal(3, 4)], dtypes=F_I),
    Case("ElementWiseSum", lambda a, b: (a.astype(np.float64) + b).astype(a.dtype), [normal(5), normal(5)]),
    Case("add_n", lambda a: a.copy(), [normal(2, 2)], id="add_n-one-input"),
]


def test_add_n_shape_mismatch():
    with pytest.raises(mx.MXNetError, match="add_n: all inputs must have one shape"):
        mx.nd.add_n(mx.nd.ones((2,)), mx.nd.ones((3,)))


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_against_numpy(case):
    check(case)


def test_softmax_dtype_parameter():
    x = mx.nd.array(np.random.randn(2, 3), dtype="float32")
    out = mx.nd.softmax(x, dtype="float64")
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.asnumpy().sum(axis=-1), 1.0, rtol=1e-6)


def test_softmax_bad_axis():
    with pytest.raises(mx.MXNetError, match="softmax: axis 2"):
        mx.nd.softmax(mx.nd.ones((2, 3)), axis=2)


def test_clip_requires_bounds():
    with pytest.raises(mx.MXNetError, match="clip: required parameter 'a_min' is missing"):
        mx.nd.clip(mx.nd.ones((2,)), a_max=1)


def test_fluent_methods():
    x = np.random.rand(3, 2).astype(np.float32) + 0.1
    a = mx.nd.array(x)
    np.testing.assert_allclose(a.sqrt().asnumpy(), np.sqrt(x), rtol=1e-6)
    np.testing.assert_allclose(a.clip(0.2, 0.5).asnumpy(), np.clip(x, 0.2, 0.5))
