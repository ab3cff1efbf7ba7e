"""Matrix products: dot (MXNet's N-d rule) and batch_dot.

MXNet's dot splits each operand's shape in two parts and contracts one of them:
``a`` as (prod(shape[:-1]), shape[-1]), or with ``transpose_a`` as (shape[0], prod(shape[1:]))
transposed; ``b`` as (shape[0], prod(shape[1:])), or with ``transpose_b`` as
(prod(shape[:-1]), shape[-1]) transposed.  The product of the two matrices is reshaped to
the uncontracted parts; a 1-D . 1-D product has shape (1,).
"""
from ..base import MXNetError
from ..registry import Kind, Param, register
from ._util import keep_dtype, raw

_TRANSPOSE = [Param("transpose_a", Kind.bool, False, doc="transpose the first operand"),
              Param("transpose_b", Kind.bool, False, doc="transpose the second operand"),
              Param("forward_stype", Kind.str, None, doc="accepted for compatibility (dense only)")]


def _prod(dims):
    n = 1
    for d in dims:
        n *= d
    return n


def _split(shape, head):
    """(kept, contracted) parts of a shape: ``head`` keeps/contracts the first axis."""
    shape = tuple(shape)
    return (shape[:1], shape[1:]) if head else (shape[:-1], shape[-1:])


def _dot_plan(attrs, a_shape, b_shape):
    """2-D shapes of both operands and the output shape, or an MXNetError."""
    if not a_shape or not b_shape:
        raise MXNetError("dot: operands must have at least one dimension")
    ta, tb = attrs.transpose_a, attrs.transpose_b
    a_rows, a_cols = _split(a_shape, ta)          # a viewed as (a_rows, a_cols)
    b_rows, b_cols = _split(b_shape, not tb)      # b viewed as (b_rows, b_cols)
    if len(a_shape) == 1:                          # a vector is one row (or column)
        a_rows, a_cols = ((), tuple(a_shape))
    if len(b_shape) == 1:
        b_rows, b_cols = (tuple(b_shape), ())
    kept_a, contract_a = (a_cols, a_rows) if ta else (a_rows, a_cols)
    contract_b, kept_b = (b_cols, b_rows) if tb else (b_rows, b_cols)
    if _prod(contract_a) != _prod(contract_b):
        raise MXNetError(f"dot: shape mismatch, {tuple(a_shape)} x {tuple(b_shape)} "
                         f"(transpose_a={ta}, transpose_b={tb})")
    a2 = (_prod(a_rows), _prod(a_cols))
    b2 = (_prod(b_rows), _prod(b_cols))
    out = tuple(kept_a) + tuple(kept_b)
    return a2, b2, out or (1,)


def _infer_dot(attrs, in_shapes):
    a, b = in_shapes
    if a is None or b is None:
        return in_shapes, [None], []
    return in_shapes, [_dot_plan(attrs, a, b)[2]], []


@register("dot", inputs=("lhs", "rhs"), params=_TRANSPOSE, infer_shape=_infer_dot)
def dot(call, lhs, rhs):
    """Dot product: contracts the last axis of lhs with the first axis of rhs."""
    a = call.attrs
    ls, rs = raw(lhs).shape, raw(rhs).shape
    if len(ls) == 2 and len(rs) == 2 and \
            ls[0 if a.transpose_a else 1] == rs[1 if a.transpose_b else 0]:   # plain matrices
        return keep_dtype(call.F.matmul(lhs, rhs, transa=a.transpose_a, transb=a.transpose_b), lhs)
    a2, b2, out = _dot_plan(a, ls, rs)
    F = call.F
    x = lhs if raw(lhs).shape == a2 else F.reshape(lhs, a2)
    y = rhs if raw(rhs).shape == b2 else F.reshape(rhs, b2)
    res = F.matmul(x, y, transa=a.transpose_a, transb=a.transpose_b)
    return keep_dtype(res if raw(res).shape == out else F.reshape(res, out), lhs)


def _batch_plan(attrs, a_shape, b_shape):
    if len(a_shape) != 3 or len(b_shape) != 3:
        raise MXNetError(f"batch_dot: both operands must be 3-D, got {tuple(a_shape)} and "
                         f"{tuple(b_shape)}")
    ta, tb = attrs.transpose_a, attrs.transpose_b
    m, k = (a_shape[2], a_shape[1]) if ta else (a_shape[1], a_shape[2])
    k2, n = (b_shape[2], b_shape[1]) if tb else (b_shape[1], b_shape[2])
    if a_shape[0] != b_shape[0] or k != k2:
        raise MXNetError(f"batch_dot: shape mismatch, {tuple(a_shape)} x {tuple(b_shape)} "
                         f"(transpose_a={ta}, transpose_b={tb})")
    return (a_shape[0], m, n)


def _infer_batch_dot(attrs, in_shapes):
    a, b = in_shapes
    if a is None or b is None:
        return in_shapes, [None], []
    return in_shapes, [_batch_plan(attrs, a, b)], []


@register("batch_dot", inputs=("lhs", "rhs"), params=_TRANSPOSE, infer_shape=_infer_batch_dot)
def batch_dot(call, lhs, rhs):
    """Batched matrix product of two 3-D arrays (batch, m, k) x (batch, k, n)."""
    a = call.attrs
    _batch_plan(a, raw(lhs).shape, raw(rhs).shape)
    return keep_dtype(call.F.matmul(lhs, rhs, transa=a.transpose_a, transb=a.transpose_b), lhs)
