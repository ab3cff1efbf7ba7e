"""Reductions: sum, mean, prod, max, min, nansum, nanprod, norm, argmax, argmin.

MXNet 1.x semantics: ``axis`` is None (all axes), an int or a tuple; ``exclude=True``
reduces over every axis *not* listed; reducing everything without ``keepdims`` gives shape
(1,), not a 0-d array.  argmax/argmin return indices as values of the input's dtype.
"""
import numpy as np

from ..base import MXNetError
from ..registry import Kind, Param, register
from ._util import constant, keep_dtype, normalize_axes, raw

_REDUCE_PARAMS = [
    Param("axis", Kind.axis, None, doc="axis or axes to reduce (default: all)"),
    Param("keepdims", Kind.bool, False, doc="keep reduced axes with size 1"),
    Param("exclude", Kind.bool, False, doc="reduce over the axes not in 'axis'"),
]


def reduced_axes(attrs, ndim, op):
    """The tuple of axes a reduction runs over."""
    axis = attrs.get("axis")
    if axis is None:
        return tuple(range(ndim))
    axes = normalize_axes(axis, ndim, op)
    if attrs.get("exclude"):
        axes = tuple(i for i in range(ndim) if i not in axes)
    return axes


def _out_shape(shape, axes, keepdims):
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    out = tuple(d for i, d in enumerate(shape) if i not in axes)
    return out or (1,)


def _infer_reduce(op):
    def infer(attrs, in_shapes):
        shape = in_shapes[0]
        if shape is None:
            return in_shapes, [None], []
        axes = reduced_axes(attrs, len(shape), op)
        return in_shapes, [_out_shape(shape, axes, attrs.keepdims)], []
    return infer


def _finish(call, out, shape, axes, keepdims):
    """MXNet gives (1,) where NumPy/Chainer give a 0-d result."""
    if not keepdims and len(axes) == len(shape):
        out = call.F.reshape(out, (1,))
    return out


def _nan_to(call, x, value):
    """x with NaNs replaced by ``value`` (differentiable where not NaN)."""
    xp, rx = call.xp, raw(x)
    if rx.dtype.kind != "f":
        return x
    mask = xp.isnan(rx)
    return call.F.where(mask, xp.full(rx.shape, value, rx.dtype), x)


_REDUCERS = {   # MXNet name: (aliases, fn(call, x, axes, keepdims), doc)
    "sum": (("sum_axis",), lambda c, x, ax, k: c.F.sum(x, axis=ax, keepdims=k), "Sum"),
    "mean": ((), lambda c, x, ax, k: c.F.mean(x, axis=ax, keepdims=k), "Mean"),
    "prod": ((), lambda c, x, ax, k: c.F.prod(x, axis=ax, keepdims=k), "Product"),
    "max": (("max_axis",), lambda c, x, ax, k: c.F.max(x, axis=ax, keepdims=k), "Maximum"),
    "min": (("min_axis",), lambda c, x, ax, k: c.F.min(x, axis=ax, keepdims=k), "Minimum"),
    "nansum": ((), lambda c, x, ax, k: c.F.sum(_nan_to(c, x, 0), axis=ax, keepdims=k),
               "Sum, treating NaN as zero,"),
    "nanprod": ((), lambda c, x, ax, k: c.F.prod(_nan_to(c, x, 1), axis=ax, keepdims=k),
                "Product, treating NaN as one,"),
}


def _define_reducer(name, aliases, fn, doc):
    def compute(call, data):
        shape = raw(data).shape
        axes = reduced_axes(call.attrs, len(shape), name)
        if not axes:       # nothing to reduce (exclude over every axis): identity
            return data
        out = fn(call, data, axes, call.attrs.keepdims)
        return keep_dtype(_finish(call, out, shape, axes, call.attrs.keepdims), data)
    compute.__doc__ = f"{doc} of array elements over the given axes."
    register(name, params=_REDUCE_PARAMS, aliases=aliases, infer_shape=_infer_reduce(name))(compute)


for _name, (_aliases, _fn, _doc) in _REDUCERS.items():
    _define_reducer(_name, _aliases, _fn, _doc)


def _opt_dtype(value):
    if value is None or (isinstance(value, str) and value.strip().strip("'\"") in ("None", "")):
        return None
    return Kind.dtype(value)


def _norm_type(attrs, in_types):
    out = attrs.out_dtype or in_types[0]
    return in_types, [None if out is None else np.dtype(out)], []


@register("norm", infer_type=_norm_type, params=[
    Param("ord", Kind.int, 2, choices=(1, 2), doc="1: sum of |x|; 2: Euclidean norm"),
    Param("axis", Kind.axis, None, doc="axis or axes (default: all)"),
    Param("out_dtype", _opt_dtype, None, doc="output dtype (default: the input's)"),
    Param("keepdims", Kind.bool, False, doc="keep reduced axes with size 1"),
], infer_shape=_infer_reduce("norm"))
def norm(call, data):
    """L1 or L2 norm of the elements over the given axes."""
    a = call.attrs
    shape = raw(data).shape
    axes = reduced_axes(a, len(shape), "norm")
    if a.ord == 1:
        out = call.F.sum(call.F.absolute(data), axis=axes, keepdims=a.keepdims)
    else:
        out = call.F.sqrt(call.F.sum(data * data, axis=axes, keepdims=a.keepdims))
    out = keep_dtype(_finish(call, out, shape, axes, a.keepdims), data)
    if a.out_dtype is not None and raw(out).dtype != a.out_dtype:
        out = call.F.cast(out, a.out_dtype)
    return out


_ARG_PARAMS = [Param("axis", Kind.opt_int, None, doc="the axis (default: the flattened array)"),
               Param("keepdims", Kind.bool, False, doc="keep the reduced axis with size 1")]


def _infer_arg(op):
    def infer(attrs, in_shapes):
        shape = in_shapes[0]
        if shape is None:
            return in_shapes, [None], []
        if attrs.axis is None:
            return in_shapes, [(1,) * len(shape) if attrs.keepdims else (1,)], []
        axes = normalize_axes(attrs.axis, len(shape), op)
        return in_shapes, [_out_shape(shape, axes, attrs.keepdims)], []
    return infer


def _arg_reduce(name, fname):
    def compute(call, data):
        a, x = call.attrs, raw(data)
        if x.size == 0:
            raise MXNetError(f"{name}: cannot reduce an empty array")
        if a.axis is None:
            idx = getattr(call.xp, fname)(x.reshape(-1)).reshape((1,) * x.ndim if a.keepdims else (1,))
        else:
            ax = normalize_axes(a.axis, x.ndim, name)[0]
            idx = getattr(call.xp, fname)(x, axis=ax)
            idx = call.xp.expand_dims(idx, ax) if a.keepdims else idx
            idx = idx.reshape(idx.shape or (1,))
        return constant(call, idx, data)
    compute.__doc__ = f"Indices of the {fname[3:]}imum values along an axis (as the input's dtype)."
    register(name, params=_ARG_PARAMS, infer_shape=_infer_arg(name))(compute)


_arg_reduce("argmax", "argmax")
_arg_reduce("argmin", "argmin")


@register("argmax_channel", infer_shape=lambda attrs, s: (
    s, [None if s[0] is None else (tuple(s[0][:-1]) or (1,))], []))
def argmax_channel(call, data):
    """Indices of the maximum values along the last axis."""
    x = raw(data)
    idx = call.xp.argmax(x, axis=-1)
    return constant(call, idx.reshape(idx.shape or (1,)), data)
