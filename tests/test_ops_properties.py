"""Property tests on random shapes (hypothesis): reductions with random axes, transposes,
swaps, flips, and concat/split round trips, against NumPy.  Kept apart from the CASES tables
so that those import without hypothesis."""
import numpy as np
from hypothesis import given, settings, strategies as st

import pybridge as mx
from test_ops_reduce import reduction


# ---------------------------------------------------------------- random shapes and axes


@st.composite
def _shape_and_axes(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=4)))
    axes = draw(st.lists(st.integers(-len(shape), len(shape) - 1), min_size=1, max_size=len(shape),
                         unique_by=lambda a: a % len(shape)))
    return shape, tuple(axes)


@settings(max_examples=60, deadline=None)
@given(_shape_and_axes(), st.booleans(), st.booleans(),
       st.sampled_from(["sum", "mean", "max", "min", "prod"]), st.sampled_from(["float32", "float64"]))
def test_reductions_on_random_shapes(shape_axes, keepdims, exclude, name, dtype):
    shape, axes = shape_axes
    x = (np.random.default_rng(len(shape)).random(shape) + 0.5).astype(dtype)
    ref = reduction(getattr(np, name))(x, axis=axes, keepdims=keepdims, exclude=exclude)
    got = getattr(mx.nd, name)(mx.nd.array(x, dtype=dtype), axis=axes, keepdims=keepdims, exclude=exclude)
    assert got.shape == ref.shape
    np.testing.assert_allclose(got.asnumpy(), ref, rtol=1e-5)


# ---------------------------------------------------------------- random shapes


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=4).flatmap(
    lambda s: st.tuples(st.just(tuple(s)), st.permutations(range(len(s))))))
def test_transpose_and_swapaxes_on_random_shapes(shape_perm):
    shape, perm = shape_perm
    x = np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape)
    a = mx.nd.array(x)
    np.testing.assert_array_equal(mx.nd.transpose(a, axes=tuple(perm)).asnumpy(), x.transpose(perm))
    np.testing.assert_array_equal(mx.nd.swapaxes(a, dim1=perm[0], dim2=-1).asnumpy(),
                                  np.swapaxes(x, perm[0], -1))
    np.testing.assert_array_equal(mx.nd.flip(a, axis=perm[0]).asnumpy(), np.flip(x, perm[0]))
    np.testing.assert_array_equal(mx.nd.Flatten(a).asnumpy(), x.reshape(shape[0], -1))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 4), min_size=2, max_size=4), st.integers(1, 3))
def test_concat_split_roundtrip_on_random_shapes(shape, parts):
    shape = tuple(shape)
    axis = len(shape) - 1
    x = np.random.default_rng(0).standard_normal(shape[:-1] + (shape[-1] * parts,)).astype(np.float32)
    pieces = mx.nd.split(mx.nd.array(x), num_outputs=parts, axis=axis)
    pieces = pieces if isinstance(pieces, list) else [pieces]
    for got, want in zip(pieces, np.split(x, parts, axis)):
        np.testing.assert_array_equal(got.asnumpy(), want)
    np.testing.assert_array_equal(mx.nd.concat(*pieces, dim=axis).asnumpy(), x)
