"""Indexing operators against NumPy: slice, slice_axis, crop, take, pick, one_hot, where,
topk, sort, argsort."""
import numpy as np
import pytest

import pybridge as mx
from _opcheck import Case, check, fixed, ints, normal

F_I = ("float32", "float64", "int32")


def distinct(*shape):
    """A random permutation (no ties, so every sort order is unique)."""
    return lambda rng, dt: (rng.permutation(int(np.prod(shape))).reshape(shape) - 3).astype(dt)


def _take(a, indices, axis=0, mode="clip"):
    n = a.shape[axis]
    idx = indices.astype(np.int64)
    idx = np.mod(idx, n) if mode == "wrap" else np.clip(idx, 0, n - 1)
    return np.take(a, idx, axis=axis)


def _pick(x, index, axis=-1, keepdims=False, mode="clip"):
    n = x.shape[axis]
    idx = index.astype(np.int64)
    idx = np.mod(idx, n) if mode == "wrap" else np.clip(idx, 0, n - 1)
    out = np.take_along_axis(x, np.expand_dims(idx, axis), axis)
    return out if keepdims else np.squeeze(out, axis)


def _one_hot(indices, depth, on_value=1.0, off_value=0.0, dtype="float32"):
    out = np.full(indices.shape + (depth,), off_value, dtype=dtype)
    for pos, i in np.ndenumerate(indices.astype(np.int64)):
        if 0 <= i < depth:
            out[pos + (i,)] = on_value
    return out


def _topk(x, k=1, axis=-1, ret_typ="indices", is_ascend=False):
    if axis is None:
        x, axis = x.reshape(-1), 0
    order = np.argsort(x if is_ascend else -x, axis=axis, kind="stable")
    idx = np.take(order, np.arange(k), axis=axis)
    vals = np.take_along_axis(x, idx, axis)
    if ret_typ == "mask":
        mask = np.zeros_like(x)
        np.put_along_axis(mask, idx, 1, axis)
        return mask
    return {"value": vals, "indices": idx.astype(np.float32),
            "both": [vals, idx.astype(np.float32)]}[ret_typ]


CASES = [
    Case("slice", lambda x, begin, end: x[0:2, 1:3], [normal(3, 4, 2)], {"begin": (0, 1), "end": (2, 3)},
         dtypes=F_I),
    Case("slice", lambda x, begin, end, step: x[::2, 3:0:-1], [normal(3, 4)],
         {"begin": (None, 3), "end": (None, 0), "step": (2, -1)}),
    Case("slice", lambda x, begin, end: x[:, 1:], [normal(3, 4)], {"begin": "(None, 1)", "end": "(None, None)"},
         id="slice-none-strings"),
    Case("crop", lambda x, begin, end: x[1:3], [normal(3, 4)], {"begin": (1,), "end": (3,)}),
    Case("slice_axis", lambda x, axis, begin, end: x[:, -3:], [normal(2, 5)],
         {"axis": 1, "begin": -3, "end": None}, dtypes=F_I),
    Case("slice_axis", lambda x, axis, begin, end: x[1:2], [normal(3, 2)], {"axis": 0, "begin": 1, "end": 2}),
    Case("take", _take, [normal(5, 3), ints(-2, 7, 2, 4)], dtypes=F_I),
    Case("take", _take, [normal(3, 5), ints(-7, 7, 4)], {"axis": 1, "mode": "wrap"}),
    Case("pick", _pick, [normal(3, 4), ints(-1, 6, 3)], dtypes=F_I),
    Case("pick", _pick, [normal(3, 4, 2), ints(-5, 5, 4, 2)], {"axis": 0, "mode": "wrap", "keepdims": True}),
    Case("pick", _pick, [normal(3, 4), ints(0, 3, 4)], {"axis": 0}),
    Case("one_hot", _one_hot, [ints(-1, 6, 2, 3)], {"depth": 5}, dtypes=F_I),
    Case("one_hot", _one_hot, [ints(0, 4, 5)],
         {"depth": 4, "on_value": 3.0, "off_value": -1.0, "dtype": "int32"}),
    Case("where", lambda c, x, y: np.where(c != 0, x, y), [ints(0, 2, 3, 4), normal(3, 4), normal(3, 4)],
         dtypes=F_I),
    Case("where", lambda c, x, y: np.where((c != 0)[:, None], x, y),
         [ints(0, 2, 3), normal(3, 4), normal(3, 4)], id="where-1d-condition"),
    Case("sort", lambda x: np.sort(x, axis=-1), [normal(3, 5)], dtypes=F_I),
    Case("sort", lambda x, axis, is_ascend: -np.sort(-x, axis=0), [normal(3, 5)], {"axis": 0, "is_ascend": False}),
    Case("sort", lambda x, axis: np.sort(x.reshape(-1)), [normal(3, 5)], {"axis": None}),
    Case("argsort", lambda x: np.argsort(x, axis=-1).astype(np.float32), [distinct(3, 5)], dtypes=F_I),
    Case("argsort", lambda x, is_ascend, dtype: np.argsort(-x, axis=-1).astype(np.int32), [distinct(3, 5)],
         {"is_ascend": False, "dtype": "int32"}),
    Case("topk", _topk, [distinct(3, 6)], {"k": 2}, dtypes=F_I),
    Case("topk", _topk, [distinct(3, 6)], {"k": 3, "ret_typ": "value", "axis": 0}),
    Case("topk", _topk, [distinct(3, 6)], {"k": 2, "ret_typ": "both", "is_ascend": True}),
    Case("topk", _topk, [distinct(3, 6)], {"k": 4, "ret_typ": "mask"}),
    Case("topk", _topk, [distinct(3, 6)], {"k": 2, "axis": None, "ret_typ": "value"}),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_against_numpy(case):
    check(case)


def test_errors():
    x = mx.nd.ones((2, 3))
    with pytest.raises(mx.MXNetError, match="slice: required parameter 'end' is missing"):
        mx.nd.slice(x, begin=(0,))
    with pytest.raises(mx.MXNetError, match="slice: step must not be zero"):
        mx.nd.slice(x, begin=(0,), end=(1,), step=(0,))
    with pytest.raises(mx.MXNetError, match="take: index out of range"):
        mx.nd.take(x, mx.nd.array([5]), mode="raise")
    with pytest.raises(mx.MXNetError, match="take: invalid value 'bogus' for parameter 'mode'"):
        mx.nd.take(x, mx.nd.array([0]), mode="bogus")
    with pytest.raises(mx.MXNetError, match="topk: k must be in"):
        mx.nd.topk(x, k=4)
    with pytest.raises(mx.MXNetError, match="topk: invalid value 'values' for parameter 'ret_typ'"):
        mx.nd.topk(x, ret_typ="values")
    with pytest.raises(mx.MXNetError, match="where: condition of shape"):
        mx.nd.where(mx.nd.ones((3,)), x, x)
    with pytest.raises(mx.MXNetError, match="pick: index shape"):
        mx.nd.pick(x, mx.nd.ones((3,)))


def test_topk_both_outputs_named():
    from pybridge.registry import get_op
    op = get_op("topk")
    attrs = op.parse_attrs({"ret_typ": "both", "k": "2"})
    assert op.output_names(attrs) == ["output0", "output1"]
    assert op.infer_shape(attrs, [(3, 6)])[1] == [(3, 2), (3, 2)]
    assert [str(t) for t in op.infer_type(attrs, ["float64"])[1]] == ["float64", "float32"]
