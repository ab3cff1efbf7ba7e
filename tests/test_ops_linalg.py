"""dot (MXNet's N-d rule, transposes) and batch_dot against NumPy."""
import numpy as np
import pytest

import pybridge as mx
from _opcheck import Case, check, normal

TOL = (1e-4, 1e-5)   # float32 products of sums


def _dot_ref(a, b, transpose_a=False, transpose_b=False):
    """MXNet's dot written with tensordot: contract a's last (or, transposed, first) axis
    with b's first (or, transposed, last) axis."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    if a.ndim == 1 and b.ndim == 1:
        return np.array([a64 @ b64]).astype(a.dtype)
    a_ax = [0] if transpose_a else [a.ndim - 1]
    b_ax = [b.ndim - 1] if transpose_b else [0]
    return np.tensordot(a64, b64, axes=(a_ax, b_ax)).astype(a.dtype)


CASES = [
    Case("dot", _dot_ref, [normal(3, 4), normal(4, 5)], tol=TOL),
    Case("dot", _dot_ref, [normal(4, 3), normal(4, 5)], {"transpose_a": True}, tol=TOL),
    Case("dot", _dot_ref, [normal(3, 4), normal(5, 4)], {"transpose_b": True}, tol=TOL),
    Case("dot", _dot_ref, [normal(4, 3), normal(5, 4)], {"transpose_a": "True", "transpose_b": "1"},
         tol=TOL, id="dot-transpose-strings"),
    Case("dot", _dot_ref, [normal(2, 3, 4), normal(4, 5)], tol=TOL),
    Case("dot", _dot_ref, [normal(2, 3, 4), normal(4, 5, 2)], tol=TOL),
    Case("dot", _dot_ref, [normal(4), normal(4, 3)], tol=TOL),
    Case("dot", _dot_ref, [normal(4), normal(4)], tol=TOL),
    Case("dot", _dot_ref, [normal(3, 4), normal(4)], tol=TOL),
    Case("batch_dot", lambda a, b: np.matmul(a.astype(np.float64), b).astype(a.dtype),
         [normal(2, 3, 4), normal(2, 4, 5)], tol=TOL),
    Case("batch_dot", lambda a, b, transpose_a, transpose_b:
         np.matmul(a.astype(np.float64).transpose(0, 2, 1), b.transpose(0, 2, 1)).astype(a.dtype),
         [normal(2, 4, 3), normal(2, 5, 4)], {"transpose_a": True, "transpose_b": True}, tol=TOL),
]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_against_numpy(case):
    check(case)


def test_nd_transpose_a_shape_matches_mxnet():
    # MXNet 1.9.1: dot((2,3,4), (2,3,5), transpose_a=True) has shape (3, 4, 3, 5)
    out = mx.nd.dot(mx.nd.ones((2, 3, 4)), mx.nd.ones((2, 3, 5)), transpose_a=True)
    assert out.shape == (3, 4, 3, 5)
    np.testing.assert_array_equal(out.asnumpy(), np.full((3, 4, 3, 5), 2.0, np.float32))


def test_shape_errors():
    with pytest.raises(mx.MXNetError, match=r"dot: shape mismatch, \(3, 4\) x \(5, 4\)"):
        mx.nd.dot(mx.nd.ones((3, 4)), mx.nd.ones((5, 4)))
    with pytest.raises(mx.MXNetError, match="batch_dot: both operands must be 3-D"):
        mx.nd.batch_dot(mx.nd.ones((3, 4)), mx.nd.ones((4, 4)))
    with pytest.raises(mx.MXNetError, match="batch_dot: shape mismatch"):
        mx.nd.batch_dot(mx.nd.ones((2, 3, 4)), mx.nd.ones((3, 4, 4)))


def test_infer_shape():
    from pybridge.registry import get_op
    op = get_op("dot")
    attrs = op.parse_attrs({"transpose_b": "True"})
    assert op.infer_shape(attrs, [(7, 4), (9, 4)])[1] == [(7, 9)]
    assert op.infer_shape(attrs, [None, (9, 4)])[1] == [None]
