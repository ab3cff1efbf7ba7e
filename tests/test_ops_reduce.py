"""Reductions against NumPy: axis (None, int, tuple), keepdims, exclude, the (1,) rule."""
import numpy as np
import pytest

import pybridge as mx
from _opcheck import Case, check, normal

F_I = ("float32", "float64", "int32")


def reduction(fn, float_only=False):
    """NumPy reference with MXNet's axis/keepdims/exclude and (1,) for a full reduction."""
    def ref(x, axis=None, keepdims=False, exclude=False, **_):
        axes = tuple(range(x.ndim)) if axis is None else \
            tuple(a % x.ndim for a in ((axis,) if np.isscalar(axis) else axis))
        if exclude:
            axes = tuple(i for i in range(x.ndim) if i not in axes)
        out = np.asarray(fn(x.astype(np.float64), axis=axes, keepdims=keepdims))
        if out.ndim == 0:
            out = out.reshape(1)
        return out.astype(x.dtype)
    return ref


def with_nans(*shape):
    def make(rng, dt):
        x = rng.standard_normal(shape).astype(dt)
        x.reshape(-1)[::3] = np.nan
        return x
    return make


def near_one(*shape):
    """Products of these stay in int32 range: floats in (0.5, 1.5), integers 1 or 2."""
    return lambda rng, dt: (rng.random(shape) + 0.5).astype(dt) if np.dtype(dt).kind == "f" \
        else rng.integers(1, 3, shape).astype(dt)


CASES = []
for name, fn in [("sum", np.sum), ("mean", np.mean), ("prod", np.prod), ("max", np.max),
                 ("min", np.min), ("nansum", np.nansum), ("nanprod", np.nanprod)]:
    inputs = [near_one(2, 3, 4)] if name in ("prod", "nanprod") else [normal(2, 3, 4)]
    for params in ({}, {"axis": 1}, {"axis": (0, 2), "keepdims": True}, {"axis": -1},
                   {"axis": 1, "exclude": True}, {"axis": "(0, 1)"}):
        p = dict(params)
        if isinstance(p.get("axis"), str):   # strings parse like tuples
            CASES.append(Case(name, lambda x, _fn=fn, **kw: reduction(_fn)(x, axis=(0, 1)),
                              inputs, p, dtypes=("float32",), id=f"{name}-axis-string"))
        else:
            CASES.append(Case(name, reduction(fn), inputs, p, dtypes=F_I))
CASES += [
    Case("nansum", reduction(np.nansum), [with_nans(3, 4)], {"axis": 0}),
    Case("nanprod", reduction(np.nanprod), [with_nans(3, 4)], {}),
    Case("sum_axis", reduction(np.sum), [normal(3, 4)], {"axis": 1}),
    Case("max_axis", reduction(np.max), [normal(3, 4)], {"axis": 0}),
    Case("min_axis", reduction(np.min), [normal(3, 4)], {"axis": 0, "keepdims": True}),
]


def _norm(x, ord=2, axis=None, keepdims=False):
    x64 = x.astype(np.float64)
    axes = tuple(range(x.ndim)) if axis is None else ((axis,) if np.isscalar(axis) else axis)
    out = np.abs(x64).sum(axis=axes, keepdims=keepdims) if ord == 1 else \
        np.sqrt((x64 ** 2).sum(axis=axes, keepdims=keepdims))
    out = np.asarray(out)
    return (out.reshape(1) if out.ndim == 0 else out).astype(x.dtype)


CASES += [
    Case("norm", _norm, [normal(3, 4)]),
    Case("norm", _norm, [normal(3, 4)], {"axis": 1}),
    Case("norm", _norm, [normal(2, 3, 4)], {"ord": 1, "axis": (0, 2), "keepdims": True}),
]


def _arg(fn):
    def ref(x, axis=None, keepdims=False):
        if axis is None:
            out = np.array([fn(x.reshape(-1))])
            return out.reshape((1,) * x.ndim if keepdims else (1,)).astype(x.dtype)
        return np.asarray(fn(x, axis=axis, keepdims=keepdims)).astype(x.dtype)
    return ref


CASES += [
    Case("argmax", _arg(np.argmax), [normal(3, 5)], {"axis": 1}, dtypes=F_I),
    Case("argmax", _arg(np.argmax), [normal(3, 5)], {}),
    Case("argmax", _arg(np.argmax), [normal(2, 3, 5)], {"axis": 0, "keepdims": True}),
    Case("argmin", _arg(np.argmin), [normal(3, 5)], {"axis": -1}, dtypes=F_I),
    Case("argmin", _arg(np.argmin), [normal(3, 5)], {"keepdims": True}),
    Case("argmax_channel", lambda x: np.argmax(x, axis=-1).astype(x.dtype), [normal(4, 6)]),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_against_numpy(case):
    check(case)


def test_norm_out_dtype():
    x = np.random.randn(3, 4).astype(np.float32)
    out = mx.nd.norm(mx.nd.array(x), axis=1, out_dtype="float64")
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.asnumpy(), np.sqrt((x.astype(np.float64) ** 2).sum(1)), rtol=1e-6)


def test_full_reduction_gives_shape_1():
    assert mx.nd.sum(mx.nd.ones((2, 3))).shape == (1,)
    assert mx.nd.ones((2, 3)).sum(keepdims=True).shape == (1, 1)


def test_bad_axis():
    with pytest.raises(mx.MXNetError, match="sum: axis 3 is out of range"):
        mx.nd.sum(mx.nd.ones((2, 3)), axis=3)
    with pytest.raises(mx.MXNetError, match="norm: invalid value '3' for parameter 'ord'"):
        mx.nd.norm(mx.nd.ones((2, 3)), ord=3)


def test_symbolic_shape_inference():
    from pybridge.registry import get_op
    op = get_op("sum")
    attrs = op.parse_attrs({"axis": "(1,)", "keepdims": "True"})
    assert op.infer_shape(attrs, [(2, 3, 4)])[1] == [(2, 1, 4)]
    attrs = op.parse_attrs({})
    assert op.infer_shape(attrs, [(2, 3, 4)])[1] == [(1,)]
