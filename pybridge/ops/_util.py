"""Small helpers shared by the operator families."""
import numpy as np

from .._compat import chainer
from ..base import MXNetError


def raw(x):
    """The array behind a Chainer Variable (or the array itself)."""
    return x.array if isinstance(x, chainer.Variable) else x


def is_variable(x):
    return isinstance(x, chainer.Variable)


def keep_dtype(out, like):
    """Cast an array result back to ``like``'s dtype (MXNet keeps the input dtype)."""
    if is_variable(out) or is_variable(like):
        return out
    return out if out.dtype == like.dtype else out.astype(like.dtype)


def constant(call, value, like):
    """A non-differentiable result with ``like``'s dtype (comparisons, sign, floor...)."""
    return call.xp.asarray(value).astype(raw(like).dtype, copy=False)


def broadcast_shape(op, a, b):
    try:
        return np.broadcast_shapes(tuple(a), tuple(b))
    except ValueError:
        raise MXNetError(f"{op}: operands could not be broadcast together with shapes "
                         f"{tuple(a)} {tuple(b)}") from None


def broadcast_pair(call, op, a, b):
    """Broadcast two operands to one shape (Chainer's arithmetic needs equal shapes)."""
    shape = broadcast_shape(op, a.shape, b.shape)
    if a.shape != shape:
        a = call.F.broadcast_to(a, shape)
    if b.shape != shape:
        b = call.F.broadcast_to(b, shape)
    return a, b


def infer_broadcast(op_name):
    def infer(attrs, in_shapes):
        a, b = in_shapes
        if a is None or b is None:
            return in_shapes, [None], []
        return in_shapes, [broadcast_shape(op_name, a, b)], []
    return infer


def infer_same_as_first(attrs, in_shapes):
    return in_shapes, [in_shapes[0]], []


def normalize_axes(axis, ndim, op):
    """Axis parameter -> tuple of non-negative axes (None: all)."""
    if axis is None or axis == ():
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    out = []
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise MXNetError(f"{op}: axis {ax} is out of range for an array of {ndim} dimension(s)")
        out.append(ax % ndim)
    return tuple(out)
