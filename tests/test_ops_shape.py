"""Shape operators against NumPy: reshape codes, flatten, transpose, axes, tiling, joining,
splitting, broadcasting, casting."""
import numpy as np
import pytest

import pybridge as mx
from _opcheck import Case, check, normal

F_I = ("float32", "float64", "int32")


def same_dtype(fn):
    return lambda *xs, **kw: np.asarray(fn(*xs, **kw)).astype(xs[0].dtype)


CASES = [
    Case("Reshape", lambda x, shape: x.reshape(6, 4), [normal(2, 3, 4)], {"shape": (6, -1)}, dtypes=F_I),
    Case("reshape", lambda x, shape: x.reshape(2, 12), [normal(2, 3, 4)], {"shape": (0, -1)}),
    Case("reshape", lambda x, shape: x.reshape(2, 3, 4), [normal(2, 3, 4)], {"shape": (-2,)}),
    Case("reshape", lambda x, shape: x.reshape(6, 4), [normal(2, 3, 4)], {"shape": (-3, -2)}),
    Case("reshape", lambda x, shape: x.reshape(2, 1, 3, 4), [normal(2, 3, 4)], {"shape": (0, -4, 1, -1, 0)}),
    Case("reshape", lambda x, shape, reverse: x.reshape(6, 4), [normal(2, 3, 4)],
         {"shape": (-1, 0), "reverse": True}),
    Case("reshape", lambda x, shape: x.reshape(4, 6), [normal(2, 3, 4)], {"shape": "(4, -1)"},
         id="reshape-shape-string"),
    Case("Flatten", lambda x: x.reshape(2, 12), [normal(2, 3, 4)], dtypes=F_I),
    Case("flatten", lambda x: x.reshape(3, 1), [normal(3)]),
    Case("transpose", lambda x: x.T, [normal(2, 3, 4)], dtypes=F_I),
    Case("transpose", lambda x, axes: np.transpose(x, (1, 0, 2)), [normal(2, 3, 4)], {"axes": (1, 0, 2)}),
    Case("expand_dims", lambda x, axis: np.expand_dims(x, axis), [normal(2, 3)], {"axis": 1}, dtypes=F_I),
    Case("expand_dims", lambda x, axis: np.expand_dims(x, axis), [normal(2, 3)], {"axis": -1}),
    Case("squeeze", lambda x: np.squeeze(x), [normal(2, 1, 3, 1)], dtypes=F_I),
    Case("squeeze", lambda x, axis: np.squeeze(x, axis), [normal(2, 1, 3, 1)], {"axis": 3}),
    Case("squeeze", lambda x: x.reshape(1), [normal(1, 1)], id="squeeze-all-ones"),
    Case("SwapAxis", lambda x, dim1, dim2: np.swapaxes(x, dim1, dim2), [normal(2, 3, 4)],
         {"dim1": 0, "dim2": 2}, dtypes=F_I),
    Case("swapaxes", lambda x, dim1, dim2: np.swapaxes(x, dim1, dim2), [normal(2, 3, 4)],
         {"dim1": 1, "dim2": -1}),
    Case("reverse", lambda x, axis: np.flip(x, axis), [normal(2, 3, 4)], {"axis": 1}, dtypes=F_I),
    Case("flip", lambda x, axis: np.flip(x, axis), [normal(2, 3, 4)], {"axis": (0, 2)}),
    Case("tile", lambda x, reps: np.tile(x, reps), [normal(2, 3)], {"reps": (2, 2)}, dtypes=F_I),
    Case("tile", lambda x, reps: np.tile(x, reps), [normal(2, 3)], {"reps": (3,)}),
    Case("tile", lambda x, reps: np.tile(x, reps), [normal(2, 3)], {"reps": (2, 1, 2)}),
    Case("repeat", lambda x, repeats, axis: np.repeat(x, repeats, axis), [normal(2, 3)],
         {"repeats": 2, "axis": 1}, dtypes=F_I),
    Case("repeat", lambda x, repeats: np.repeat(x, repeats), [normal(2, 3)], {"repeats": 3}),
    Case("broadcast_to", lambda x, shape: np.broadcast_to(x, (4, 3)).copy(), [normal(1, 3)],
         {"shape": (4, 3)}, dtypes=F_I),
    Case("broadcast_to", lambda x, shape: np.broadcast_to(x, (2, 5, 3)).copy(), [normal(2, 1, 3)],
         {"shape": (0, 5, 0)}),
    Case("broadcast_axis", lambda x, axis, size: np.broadcast_to(x, (2, 5, 3)).copy(),
         [normal(2, 1, 3)], {"axis": 1, "size": 5}, dtypes=F_I),
    Case("broadcast_axes", lambda x, axis, size: np.broadcast_to(x, (4, 2, 6)).copy(),
         [normal(1, 2, 1)], {"axis": (0, 2), "size": (4, 6)}),
    Case("Concat", lambda a, b, dim: np.concatenate([a, b], 1), [normal(2, 3), normal(2, 4)],
         {"dim": 1}, dtypes=F_I),
    Case("concat", lambda a, b, c, dim: np.concatenate([a, b, c], 0), [normal(1, 3), normal(2, 3), normal(3, 3)],
         {"dim": 0}),
    Case("stack", lambda a, b, axis: np.stack([a, b], axis), [normal(2, 3), normal(2, 3)], {"axis": 1},
         dtypes=F_I),
    Case("stack", lambda a, b: np.stack([a, b]), [normal(2, 3), normal(2, 3)]),
    Case("SliceChannel", lambda x, num_outputs: list(np.split(x, 3, 1)), [normal(2, 6)],
         {"num_outputs": 3}, dtypes=F_I),
    Case("split", lambda x, num_outputs, axis, squeeze_axis: [p[:, 0] for p in np.split(x, 4, 1)],
         [normal(2, 4, 3)], {"num_outputs": 4, "axis": 1, "squeeze_axis": True}),
    Case("_copy", lambda x: x.copy(), [normal(2, 3)], dtypes=F_I),
    Case("identity", lambda x: x.copy(), [normal(4)]),
    Case("broadcast_like", lambda a, b: np.broadcast_to(a, b.shape).copy(), [normal(1, 3), normal(4, 3)],
         dtypes=F_I),
    Case("broadcast_like", lambda a, b, lhs_axes, rhs_axes: np.broadcast_to(a, (5, 3, 2)).copy(),
         [normal(1, 3, 1), normal(5, 2)], {"lhs_axes": (0, 2), "rhs_axes": (0, -1)}),
    Case("reshape_like", lambda a, b: a.reshape(b.shape), [normal(2, 6), normal(3, 4)], dtypes=F_I),
    Case("reshape_like", lambda a, b, lhs_begin, lhs_end, rhs_begin, rhs_end: a.reshape(3, 2, 5, 7),
         [normal(6, 5, 7), normal(3, 2)], {"lhs_begin": 0, "lhs_end": 1, "rhs_begin": 0, "rhs_end": None}),
    Case("zeros_like", lambda x: np.zeros_like(x), [normal(2, 3)], dtypes=F_I),
    Case("ones_like", lambda x: np.ones_like(x), [normal(2, 3)], dtypes=F_I),
    Case("Cast", lambda x, dtype: x.astype(np.int32), [normal(2, 3)], {"dtype": "int32"}),
    Case("cast", lambda x, dtype: x.astype(np.float16), [normal(2, 3)], {"dtype": "float16"},
         dtypes=("float32", "int32")),
    Case("cast", lambda x, dtype: x.astype(np.float64), [normal(2, 3)], {"dtype": np.float64},
         dtypes=("float32",)),
]


# Operators without inputs: filled arrays and ranges (NumPy's own functions as reference)
CASES += [
    Case("_zeros", lambda shape, dtype: np.zeros(shape, dtype), [], {"shape": (2, 3), "dtype": "float64"}),
    Case("_ones", lambda shape, dtype: np.ones((4,), dtype), [], {"shape": "(4,)", "dtype": "int32"}),
    Case("_full", lambda shape, value: np.full(shape, value, np.float32), [], {"shape": (2, 2), "value": 2.5}),
    Case("_arange", lambda start, stop, step, repeat: np.repeat(np.arange(start, stop, step), repeat)
         .astype(np.float32), [], {"start": 1, "stop": 4, "step": 0.5, "repeat": 2}),
    Case("_arange", lambda start, dtype: np.arange(start).astype(dtype), [], {"start": 5, "dtype": "int32"}),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_against_numpy(case):
    check(case)


def test_reshape_errors():
    with pytest.raises(mx.MXNetError, match="Reshape: cannot reshape"):
        mx.nd.reshape(mx.nd.ones((2, 3)), shape=(4, -1))
    with pytest.raises(mx.MXNetError, match="Reshape: parameter 'shape' is missing"):
        mx.nd.reshape(mx.nd.ones((2, 3)))


def test_legacy_target_shape():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    out = mx.nd.Reshape(mx.nd.array(x), target_shape=(0, 4))
    np.testing.assert_array_equal(out.asnumpy(), x.reshape(6, 4))
    out = mx.nd.Reshape(mx.nd.array(x), target_shape=(5, 0), keep_highest=True)
    np.testing.assert_array_equal(out.asnumpy(), x.reshape(2, 12))


def test_join_and_split_errors():
    with pytest.raises(mx.MXNetError, match="Concat: input shapes"):
        mx.nd.concat(mx.nd.ones((2, 3)), mx.nd.ones((3, 3)), dim=1)
    with pytest.raises(mx.MXNetError, match="stack: all inputs must have one shape"):
        mx.nd.stack(mx.nd.ones((2, 3)), mx.nd.ones((3, 3)))
    with pytest.raises(mx.MXNetError, match="SliceChannel: dimension 1 of size 5"):
        mx.nd.split(mx.nd.ones((2, 5)), num_outputs=2)
    with pytest.raises(mx.MXNetError, match="SliceChannel: squeeze_axis"):
        mx.nd.split(mx.nd.ones((2, 4)), num_outputs=2, squeeze_axis=True)


def test_concat_list_and_count():
    a, b = mx.nd.ones((2, 1)), mx.nd.zeros((2, 2))
    assert mx.nd.concat([a, b], dim=1).shape == (2, 3)
    assert mx.nd.concatenate([a, b], axis=1).shape == (2, 3)


def test_like_and_filled_errors():
    with pytest.raises(mx.MXNetError, match="broadcast_like: shapes"):
        mx.nd.broadcast_like(mx.nd.ones((1, 3)), mx.nd.ones((3,)))
    with pytest.raises(mx.MXNetError, match="reshape_like: cannot reshape"):
        mx.nd.reshape_like(mx.nd.ones((2, 3)), mx.nd.ones((4,)))
    with pytest.raises(mx.MXNetError, match="_full: required parameter 'value' is missing"):
        mx.nd._full(shape=(2,))
    with pytest.raises(mx.MXNetError, match="_arange: step must not be zero"):
        mx.nd._arange(start=0, stop=3, step=0)


def test_other_errors():
    with pytest.raises(mx.MXNetError, match="squeeze: cannot select an axis"):
        mx.nd.squeeze(mx.nd.ones((2, 3)), axis=0)
    with pytest.raises(mx.MXNetError, match="transpose: axes"):
        mx.nd.transpose(mx.nd.ones((2, 3)), axes=(0, 0))
    with pytest.raises(mx.MXNetError, match="broadcast_to: cannot broadcast"):
        mx.nd.broadcast_to(mx.nd.ones((2, 3)), shape=(4, 3))
    with pytest.raises(mx.MXNetError, match="expand_dims: axis 4"):
        mx.nd.expand_dims(mx.nd.ones((2, 3)), axis=4)
    with pytest.raises(mx.MXNetError, match="Cast: invalid value for parameter 'dtype'"):
        mx.nd.cast(mx.nd.ones((2, 3)), dtype="complex64")


def test_shape_inference_matches_compute():
    from pybridge.registry import get_op
    x = mx.nd.ones((1, 3, 4))
    for name, params in [("Reshape", {"shape": "(0, -1)"}), ("Flatten", {}),
                         ("transpose", {"axes": "(2, 0, 1)"}), ("tile", {"reps": "(2,)"}),
                         ("repeat", {"repeats": "2", "axis": "0"}), ("expand_dims", {"axis": "0"}),
                         ("SwapAxis", {"dim1": "0", "dim2": "1"}), ("reverse", {"axis": "1"}),
                         ("broadcast_axis", {"axis": "0", "size": "5"})]:
        op = get_op(name)
        want = getattr(mx.nd, name)(x, **params).shape
        assert op.infer_shape(op.parse_attrs(params), [(1, 3, 4)])[1] == [want], name
    op = get_op("SliceChannel")
    attrs = op.parse_attrs({"num_outputs": "2", "axis": "2"})
    assert op.output_names(attrs) == ["output0", "output1"]
    assert op.infer_shape(attrs, [(2, 3, 4)])[1] == [(2, 3, 2)] * 2
    op = get_op("Concat")
    attrs = op.parse_attrs({"num_args": "2", "dim": "0"})
    assert op.input_names(attrs) == ["arg0", "arg1"]
    assert op.infer_shape(attrs, [(2, 3), (4, 3)])[1] == [(6, 3)]
