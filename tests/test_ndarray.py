"""The NDArray class: creation, conversion, copies, contexts, reshape codes, indexing,
arithmetic and comparisons (NDArray or scalar on either side), in-place ops, waiting."""
import operator

import numpy as np
import pytest

import pybridge as mx

X = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)


def test_creation_functions():
    z = mx.nd.zeros((2, 3))
    assert z.shape == (2, 3) and z.dtype == np.float32 and z.context == mx.cpu()
    np.testing.assert_array_equal(z.asnumpy(), np.zeros((2, 3)))
    np.testing.assert_array_equal(mx.nd.ones(4, dtype="int32").asnumpy(), np.ones(4, np.int32))
    np.testing.assert_array_equal(mx.nd.full((2, 2), 7.5).asnumpy(), np.full((2, 2), 7.5, np.float32))
    assert mx.nd.empty((3, 1), dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(mx.nd.arange(5).asnumpy(), np.arange(5, dtype=np.float32))
    np.testing.assert_array_equal(mx.nd.arange(1, 3, 0.5, repeat=2).asnumpy(),
                                  np.repeat(np.arange(1, 3, 0.5), 2).astype(np.float32))
    a = mx.nd.array([[1, 2], [3, 4]])
    assert a.dtype == np.float32 and a.shape == (2, 2)
    assert mx.nd.array(np.arange(3, dtype=np.int64)).dtype == np.float32   # MXNet: float32 default
    assert mx.nd.array(a, dtype="float64").dtype == np.float64
    with pytest.raises(mx.MXNetError, match="zeros: invalid shape"):
        mx.nd.zeros((2, -1))
    with pytest.raises(mx.MXNetError, match="array: source_array must be numeric"):
        mx.nd.array(["a", "b"])
    with pytest.raises(mx.MXNetError, match="arange: step must not be zero"):
        mx.nd.arange(0, 3, 0)


def test_properties():
    a = mx.nd.array(X)
    assert a.shape == (2, 3, 4) and a.size == 24 and a.ndim == 3 and len(a) == 2
    assert a.stype == "default" and a.ctx == a.context == mx.cpu(0)


def test_conversion_and_copies():
    a = mx.nd.array(X)
    host = a.asnumpy()
    np.testing.assert_array_equal(host, X)
    host[0] = 0                                   # asnumpy is a copy
    np.testing.assert_array_equal(a.asnumpy(), X)
    assert mx.nd.array([3.5]).asscalar() == 3.5
    with pytest.raises(mx.MXNetError, match="asscalar: the array must have exactly one element"):
        a.asscalar()
    b = a.copy()
    b[:] = 1
    np.testing.assert_array_equal(a.asnumpy(), X)
    c = mx.nd.zeros((2, 3, 4), dtype="float64")
    assert a.copyto(c) is c and c.dtype == np.float64
    np.testing.assert_allclose(c.asnumpy(), X)
    with pytest.raises(mx.MXNetError, match="copyto: shape mismatch"):
        a.copyto(mx.nd.zeros((3,)))
    d = a.copyto(mx.cpu(0))
    assert d is not a and d.context == mx.cpu(0)
    assert a.as_in_context(mx.cpu(0)) is a
    e = a.astype("int32")
    assert e.dtype == np.int32
    np.testing.assert_array_equal(e.asnumpy(), X.astype(np.int32))
    assert a.astype(np.float32, copy=False) is a
    assert a.tolist() == X.tolist()
    np.testing.assert_array_equal(np.asarray(a), X)


def test_copyto_own_context_owns_its_memory():
    """MXNet's copyto onto a Context always allocates, also on the array's own context;
    as_in_context is the one that returns the array itself there."""
    a = mx.nd.array(X)
    for copy in (a.copyto(mx.cpu()), a.copyto(a.context)):
        assert copy is not a and copy.dtype == a.dtype and copy.context == a.context
        copy[:] = 7
        np.testing.assert_array_equal(a.asnumpy(), X)
    same = a.as_in_context(mx.cpu())
    assert same is a
    same[:] = 3                                   # the same array: the write shows in a
    np.testing.assert_array_equal(a.asnumpy(), np.full(X.shape, 3, np.float32))
    with pytest.warns(RuntimeWarning, match="copy an array to itself"):
        assert a.copyto(a) is False               # MXNet: a warning and False


@pytest.mark.parametrize("codes,expected", [
    ((6, 4), (6, 4)), ((0, -1), (2, 12)), ((-1,), (24,)), ((0, 0, -1), (2, 3, 4)),
    ((-2,), (2, 3, 4)), ((2, -2), (2, 3, 4)), ((-3, 4), (6, 4)), ((0, -3), (2, 12)),
    ((-4, 1, 2, -2), (1, 2, 3, 4)), ((0, -4, -1, 3, 4), (2, 1, 3, 4)),
])
def test_reshape_codes(codes, expected):
    a = mx.nd.array(X)
    out = a.reshape(codes)
    assert out.shape == expected
    np.testing.assert_array_equal(out.asnumpy(), X.reshape(expected))
    assert a.reshape(*codes).shape == expected
    assert mx.nd.reshape(a, shape=codes).shape == expected


def test_reshape_reverse():
    a = mx.nd.ones((10, 5, 4))
    assert a.reshape((-1, 0), reverse=True).shape == (50, 4)
    assert a.reshape(shape=(-1, 0)).shape == (40, 5)
    with pytest.raises(mx.MXNetError, match="NDArray.reshape"):
        a.reshape((3, -1))


def test_transpose_property():
    a = mx.nd.array(X[0])
    np.testing.assert_array_equal(a.T.asnumpy(), X[0].T)
    with pytest.raises(mx.MXNetError, match="NDArray.T"):
        mx.nd.array(X).T


def test_getitem_setitem_basic_slicing():
    a = mx.nd.array(X)
    np.testing.assert_array_equal(a[1].asnumpy(), X[1])
    np.testing.assert_array_equal(a[:, 1:3].asnumpy(), X[:, 1:3])
    assert a[1, 2, 3].shape == (1,)        # MXNet 1.x: no 0-d arrays
    np.testing.assert_array_equal(a[1, 2, 3].asnumpy(), [X[1, 2, 3]])
    np.testing.assert_array_equal(a[:, ::2, -1].asnumpy(), X[:, ::2, -1])
    b = X.copy()
    a[0, 1] = 5.0
    b[0, 1] = 5.0
    a[1, :, 1:3] = mx.nd.ones((3, 2))
    b[1, :, 1:3] = 1
    a[:, 0, 0] = np.array([7, 8])
    b[:, 0, 0] = [7, 8]
    np.testing.assert_array_equal(a.asnumpy(), b)
    a[:] = 0
    assert (a.asnumpy() == 0).all()
    with pytest.raises(mx.MXNetError, match="__getitem__"):
        a[5]


_OPS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.mod, operator.pow]
_CMP = [operator.eq, operator.ne, operator.gt, operator.ge, operator.lt, operator.le]


@pytest.mark.parametrize("op", _OPS + _CMP, ids=lambda o: o.__name__)
def test_arithmetic_and_comparison(op):
    rng = np.random.default_rng(3)
    x = (rng.random((2, 3)) + 0.5).astype(np.float32)
    y = np.round(rng.random((2, 3)) * 2 + 0.5).astype(np.float32)
    x[0, 0] = y[0, 0]                              # one equal pair for the comparisons
    a, b = mx.nd.array(x), mx.nd.array(y)

    def want(u, v):
        return np.asarray(op(np.asarray(u, np.float64), np.asarray(v, np.float64))).astype(np.float32)

    np.testing.assert_allclose(op(a, b).asnumpy(), want(x, y), rtol=1e-5)        # NDArray, NDArray
    np.testing.assert_allclose(op(a, 2.0).asnumpy(), want(x, 2.0), rtol=1e-5)    # NDArray, scalar
    np.testing.assert_allclose(op(2.0, a).asnumpy(), want(2.0, x), rtol=1e-5)    # scalar, NDArray
    np.testing.assert_allclose(op(a, 2).asnumpy(), want(x, 2), rtol=1e-5)        # int scalar
    np.testing.assert_allclose(op(a, b[0:1]).asnumpy(), want(x, y[0:1]), rtol=1e-5)   # broadcast


def test_unary_operators():
    a = mx.nd.array(X)
    np.testing.assert_array_equal((-a).asnumpy(), -X)
    np.testing.assert_array_equal(abs(a).asnumpy(), np.abs(X))
    assert (+a) is a


@pytest.mark.parametrize("name,op", [("__iadd__", np.add), ("__isub__", np.subtract),
                                     ("__imul__", np.multiply), ("__itruediv__", np.divide)])
def test_inplace(name, op):
    a = mx.nd.array(X)
    view = a
    for other in (2.0, mx.nd.array(X + 3)):
        expected = op(a.asnumpy(), other.asnumpy() if isinstance(other, mx.nd.NDArray) else other)
        a = getattr(a, name)(other)
        assert a is view
        np.testing.assert_allclose(a.asnumpy(), expected, rtol=1e-6)
    with pytest.raises(mx.MXNetError, match="in-place operation"):
        getattr(a, name)(mx.nd.ones((5, 2, 3, 4)))


def test_inplace_keeps_int_dtype():
    a = mx.nd.array([1, 2, 3], dtype="int32")
    a += 2
    assert a.dtype == np.int32
    np.testing.assert_array_equal(a.asnumpy(), [3, 4, 5])


def test_fluent_methods_and_waiting():
    a = mx.nd.array(X)
    np.testing.assert_allclose(a.sum(axis=1).asnumpy(), X.sum(axis=1), rtol=1e-6)
    np.testing.assert_array_equal(a.flatten().asnumpy(), X.reshape(2, 12))
    np.testing.assert_allclose(a.exp().asnumpy(), np.exp(X), rtol=1e-6)
    assert a.argmax(axis=2).shape == (2, 3)
    with pytest.raises(AttributeError):
        a.no_such_method
    a.wait_to_read()
    mx.nd.waitall()


def test_iteration_bool_repr():
    a = mx.nd.array([[1, 2], [3, 4]])
    rows = list(a)
    assert len(rows) == 2 and rows[1].asnumpy().tolist() == [3, 4]
    assert bool(mx.nd.array([1])) and not bool(mx.nd.array([0]))
    with pytest.raises(mx.MXNetError, match="truth value"):
        bool(a)
    assert "<NDArray 2x2 @cpu(0)>" in repr(a)


def test_out_argument_of_operators():
    out = mx.nd.zeros((2, 3, 4))
    res = mx.nd.exp(mx.nd.array(X), out=out)
    assert res is out
    np.testing.assert_allclose(out.asnumpy(), np.exp(X), rtol=1e-6)


def test_gpu_without_device_raises_clearly():
    try:
        import cupy  # noqa: F401
        pytest.skip("CuPy is installed")
    except Exception:
        pass
    with pytest.raises(mx.MXNetError, match="no GPU available"):
        mx.nd.ones((2,), ctx=mx.gpu(0))
