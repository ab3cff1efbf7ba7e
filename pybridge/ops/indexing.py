"""Indexing: slice (crop), slice_axis, slice assignment, take, pick, one_hot, where, topk,
sort, argsort.

Selected values stay differentiable (slice, slice assignment, take, pick, where run through
``call.F``);
indices, masks and one-hot codes are constants.  Ordering results (topk, sort) are
constants too.
"""
import numpy as np

from ..base import MXNetError, literal
from ..registry import Kind, Param, register
from ._util import constant, is_variable, keep_dtype, normalize_axes, raw


def _opt_ints(v):
    """A tuple of ints or None entries: '(None, 2)', (0, None), 3."""
    if isinstance(v, str):
        v = literal(v)
    if v is None or isinstance(v, (int, float)):
        v = (v,)
    return tuple(None if x is None or (isinstance(x, str) and x.strip() == "None") else Kind.int(x)
                 for x in v)


def _unary_infer(fn):
    def infer(attrs, in_shapes):
        if in_shapes[0] is None:
            return in_shapes, [None], []
        return in_shapes, [tuple(fn(attrs, tuple(in_shapes[0])))], []
    return infer


# ------------------------------------------------------------------ slicing
def _slices(attrs, shape, op="slice"):
    begin, end, step = attrs.begin, attrs.end, attrs.step
    if len(begin) != len(end) or (step and len(step) != len(begin)):
        raise MXNetError(f"{op}: begin {begin}, end {end} and step {step} must have one length")
    if len(begin) > len(shape):
        raise MXNetError(f"{op}: {len(begin)} axes given for an array of {len(shape)} dimension(s)")
    out = []
    for i, (b, e) in enumerate(zip(begin, end)):
        s = step[i] if step else None
        if s == 0:
            raise MXNetError(f"{op}: step must not be zero")
        out.append(slice(b, e, s))
    return tuple(out)


def _sliced_shape(key, shape):
    return tuple(len(range(*k.indices(d))) for k, d in zip(key, shape)) + tuple(shape[len(key):])


@register("slice", aliases=("crop",), params=[
    Param("begin", _opt_ints, doc="start index per axis (None: from the start)"),
    Param("end", _opt_ints, doc="stop index per axis (None: to the end)"),
    Param("step", _opt_ints, (), doc="step per axis (default 1)")],
    infer_shape=_unary_infer(lambda a, s: _sliced_shape(_slices(a, s), s)))
def slice_op(call, data):
    """A sub-array by begin/end/step per axis (Python slice semantics)."""
    return call.F.get_item(data, _slices(call.attrs, raw(data).shape))


def _axis_slice(attrs, shape):
    ax = normalize_axes(attrs.axis, len(shape), "slice_axis")[0]
    return (slice(None),) * ax + (slice(attrs.begin, attrs.end),)


@register("slice_axis", params=[
    Param("axis", Kind.int, doc="the axis"), Param("begin", Kind.int, doc="start index"),
    Param("end", Kind.opt_int, doc="stop index (None: to the end)")],
    infer_shape=_unary_infer(lambda a, s: _sliced_shape(_axis_slice(a, s), s)))
def slice_axis(call, data):
    """A sub-array along one axis."""
    return call.F.get_item(data, _axis_slice(call.attrs, raw(data).shape))


# ------------------------------------------------------------------ slice assignment
# A copy of the input with a region (slice's begin/end/step) replaced.  In a graph the
# region's out-grad flows to the assigned values and the rest to the input.
_REGION_PARAMS = [
    Param("begin", _opt_ints, doc="start index per axis (None: from the start)"),
    Param("end", _opt_ints, doc="stop index per axis (None: to the end)"),
    Param("step", _opt_ints, (), doc="step per axis (default 1)")]


def _region_shape(attrs, shape, op, rhs_shape=None):
    """The assigned region's shape; with ``rhs_shape``, checked against it."""
    region = _sliced_shape(_slices(attrs, shape, op), shape)
    if rhs_shape is not None and tuple(rhs_shape) != region:
        raise MXNetError(f"{op}: rhs has shape {tuple(rhs_shape)} but the region "
                         f"begin={attrs.begin}, end={attrs.end}, step={attrs.step or None} "
                         f"of lhs {tuple(shape)} has shape {region}")
    return region


def _infer_slice_assign(attrs, in_shapes):
    lhs, rhs = in_shapes
    if lhs is None:
        return in_shapes, [None], []
    return [lhs, _region_shape(attrs, tuple(lhs), "_slice_assign", rhs)], [tuple(lhs)], []


def _infer_slice_assign_type(attrs, in_types):
    lhs, rhs = in_types
    if lhs is not None and rhs is not None and np.dtype(lhs) != np.dtype(rhs):
        raise MXNetError(f"_slice_assign: rhs has dtype {np.dtype(rhs).name} but lhs has "
                         f"{np.dtype(lhs).name}; they must be the same")
    known = lhs if lhs is not None else rhs
    return [known, known], [known], []


def _region_mask(xp, shape, key):
    mask = xp.zeros(shape, dtype=bool)
    mask[key] = True
    return mask


@register("_slice_assign", aliases=("_crop_assign",), inputs=("lhs", "rhs"),
          params=_REGION_PARAMS, infer_shape=_infer_slice_assign,
          infer_type=_infer_slice_assign_type)
def slice_assign(call, lhs, rhs):
    """A copy of ``lhs`` with the region begin/end/step (as in slice) replaced by ``rhs``,
    which must have the region's shape and lhs's dtype."""
    x, v = raw(lhs), raw(rhs)
    _region_shape(call.attrs, x.shape, "_slice_assign", v.shape)
    _infer_slice_assign_type(call.attrs, [x.dtype, v.dtype])
    key = _slices(call.attrs, x.shape, "_slice_assign")
    if not (is_variable(lhs) or is_variable(rhs)):
        out = x.copy()
        out[key] = v
        return out
    kept = call.F.where(_region_mask(call.xp, x.shape, key), call.xp.zeros_like(x), lhs)
    return call.F.scatter_add(kept, key, rhs)


def _checked_scalar_region(attrs, shape):
    _region_shape(attrs, shape, "_slice_assign_scalar")   # validates begin/end/step
    return shape


@register("_slice_assign_scalar", aliases=("_crop_assign_scalar",),
          params=[Param("scalar", Kind.float, 0.0, doc="the value to assign")] + _REGION_PARAMS,
          infer_shape=_unary_infer(_checked_scalar_region))
def slice_assign_scalar(call, data):
    """A copy of ``data`` with the region begin/end/step (as in slice) set to ``scalar``."""
    x = raw(data)
    key = _slices(call.attrs, x.shape, "_slice_assign_scalar")
    if not is_variable(data):
        out = x.copy()
        out[key] = call.attrs.scalar   # integer dtypes truncate, as MXNet's cast does
        return out
    fill = call.xp.full(x.shape, call.attrs.scalar, dtype=x.dtype)
    return call.F.where(_region_mask(call.xp, x.shape, key), fill, data)


# ------------------------------------------------------------------ gathering
def _fix_indices(xp, idx, n, mode, op):
    idx = xp.asarray(idx).astype(np.int64)
    if mode == "wrap":
        return idx % n
    if mode == "raise":
        if idx.size and (int(idx.min()) < -n or int(idx.max()) >= n):
            raise MXNetError(f"{op}: index out of range for an axis of size {n}")
        return idx % n
    return xp.clip(idx, 0, n - 1)


def _take_shape(attrs, a, idx):
    ax = normalize_axes(attrs.axis, len(a), "take")[0]
    return a[:ax] + tuple(idx) + a[ax + 1:]


def _infer_take(attrs, in_shapes):
    a, idx = in_shapes
    if a is None or idx is None:
        return in_shapes, [None], []
    return in_shapes, [_take_shape(attrs, tuple(a), tuple(idx))], []


@register("take", inputs=("a", "indices"), params=[
    Param("axis", Kind.int, 0, doc="the axis to take from"),
    Param("mode", Kind.str, "clip", choices=("raise", "wrap", "clip"),
          doc="out-of-range indices: clip, wrap, or raise")],
    infer_shape=_infer_take)
def take(call, a, indices):
    """Elements of ``a`` at ``indices`` along an axis."""
    attrs, shape = call.attrs, raw(a).shape
    ax = normalize_axes(attrs.axis, len(shape), "take")[0]
    idx = _fix_indices(call.xp, raw(indices), shape[ax], attrs.mode, "take")
    out = call.F.get_item(a, (slice(None),) * ax + (idx.reshape(-1),))
    return call.F.reshape(out, _take_shape(attrs, shape, raw(indices).shape))


def _pick_axis(attrs, ndim):
    return None if attrs.axis is None else normalize_axes(attrs.axis, ndim, "pick")[0]


def _pick_shape(attrs, shape):
    ax = _pick_axis(attrs, len(shape))
    if ax is None:
        return (1,)
    if attrs.keepdims:
        return shape[:ax] + (1,) + shape[ax + 1:]
    return shape[:ax] + shape[ax + 1:] or (1,)


@register("pick", aliases=("choose_element_0index",), inputs=("data", "index"), params=[
    Param("axis", Kind.opt_int, -1, doc="the axis to pick along (None: flattened)"),
    Param("keepdims", Kind.bool, False, doc="keep the picked axis with size 1"),
    Param("mode", Kind.str, "clip", choices=("wrap", "clip"), doc="out-of-range indices")],
    infer_shape=lambda attrs, s: (s, [None if s[0] is None else _pick_shape(attrs, tuple(s[0]))], []))
def pick(call, data, index):
    """One element per position along an axis: out[i, j] = data[i, index[i, j], j]."""
    attrs, xp, x = call.attrs, call.xp, raw(data)
    ax = _pick_axis(attrs, x.ndim)
    if ax is None:
        data, ax = call.F.reshape(data, (-1,)), 0
        x = raw(data)
    idx = _fix_indices(xp, raw(index), x.shape[ax], attrs.mode, "pick")
    if idx.ndim == x.ndim:
        idx = idx.squeeze(ax) if idx.shape[ax] == 1 else idx
    want = x.shape[:ax] + x.shape[ax + 1:]
    if tuple(idx.shape) != want and idx.size == int(np.prod(want, dtype=np.int64)):
        idx = idx.reshape(want)
    if tuple(idx.shape) != want:
        raise MXNetError(f"pick: index shape {raw(index).shape} does not match data shape "
                         f"{x.shape} without axis {ax}")
    positions = xp.arange(x.shape[ax]).reshape((-1,) + (1,) * (x.ndim - ax - 1))
    mask = positions == xp.expand_dims(idx, ax)
    picked = call.F.where(mask, data, xp.zeros(x.shape, x.dtype))
    out = keep_dtype(call.F.sum(picked, axis=ax, keepdims=attrs.keepdims), data)
    return call.F.reshape(out, _pick_shape(attrs, x.shape)) if attrs.axis is None or \
        raw(out).ndim == 0 else out


@register("one_hot", inputs=("indices",), params=[
    Param("depth", Kind.int, doc="size of the one-hot axis"),
    Param("on_value", Kind.float, 1.0, doc="value at the index"),
    Param("off_value", Kind.float, 0.0, doc="value elsewhere"),
    Param("dtype", Kind.dtype, "float32", doc="output dtype")],
    infer_shape=lambda attrs, s: (s, [None if s[0] is None else tuple(s[0]) + (attrs.depth,)], []),
    infer_type=lambda attrs, t: (t, [np.dtype(attrs.dtype)], []))
def one_hot(call, indices):
    """One-hot codes: a new last axis of size ``depth``; out-of-range indices give all off."""
    a, xp = call.attrs, call.xp
    idx = xp.asarray(raw(indices)).astype(np.int64)
    hot = xp.expand_dims(idx, -1) == xp.arange(a.depth)
    return xp.where(hot, a.on_value, a.off_value).astype(a.dtype)


def _infer_where(attrs, in_shapes):
    cond, x, y = in_shapes
    shape = x if x is not None else y
    return [cond, shape, shape], [shape], []


@register("where", inputs=("condition", "x", "y"), infer_shape=_infer_where)
def where(call, condition, x, y):
    """x where condition is non-zero, else y; a 1-D condition selects along axis 0."""
    c, rx = raw(condition), raw(x)
    if rx.shape != raw(y).shape:
        raise MXNetError(f"where: x and y must have one shape, got {rx.shape} and {raw(y).shape}")
    mask = c != 0
    if c.shape != rx.shape:
        if c.ndim != 1 or c.shape[0] != rx.shape[0]:
            raise MXNetError(f"where: condition of shape {c.shape} must have the shape of x "
                             f"{rx.shape} or be 1-D of size {rx.shape[0]}")
        mask = call.xp.broadcast_to(mask.reshape((-1,) + (1,) * (rx.ndim - 1)), rx.shape)
    return call.F.where(mask, x, y)


# ------------------------------------------------------------------ ordering
def _order(call, x, axis, is_ascend, op):
    """(array with the axis last, ascending/descending order along it) — stable."""
    xp = call.xp
    if axis is None:
        x = x.reshape(-1)
        axis = 0
    else:
        axis = normalize_axes(axis, x.ndim, op)[0]
    order = xp.argsort(x if is_ascend else -x, axis=axis, kind="stable")
    return x, axis, order


_SORT_PARAMS = [Param("axis", Kind.opt_int, -1, doc="the axis (None: flattened)"),
                Param("is_ascend", Kind.bool, True, doc="ascending order")]


@register("sort", params=_SORT_PARAMS,
          infer_shape=_unary_infer(lambda a, s: (int(np.prod(s, dtype=np.int64)),) if a.axis is None else s))
def sort(call, data):
    """Sorted values along an axis."""
    x, axis, order = _order(call, raw(data), call.attrs.axis, call.attrs.is_ascend, "sort")
    return constant(call, call.xp.take_along_axis(x, order, axis), data)


@register("argsort", params=_SORT_PARAMS + [Param("dtype", Kind.dtype, "float32", doc="index dtype")],
          infer_shape=_unary_infer(lambda a, s: (int(np.prod(s, dtype=np.int64)),) if a.axis is None else s),
          infer_type=lambda attrs, t: (t, [np.dtype(attrs.dtype)], []))
def argsort(call, data):
    """Indices that sort the array along an axis."""
    _, _, order = _order(call, raw(data), call.attrs.axis, call.attrs.is_ascend, "argsort")
    return order.astype(call.attrs.dtype)


def _topk_outputs(attrs):
    return ["output0", "output1"] if attrs.ret_typ == "both" else ["output"]


def _topk_shape(attrs, shape):
    if attrs.ret_typ == "mask":
        return [shape]
    if attrs.axis is None:
        out = (attrs.k,)
    else:
        ax = normalize_axes(attrs.axis, len(shape), "topk")[0]
        out = shape[:ax] + (attrs.k,) + shape[ax + 1:]
    return [out] * len(_topk_outputs(attrs))


def _topk_types(attrs, in_types):
    idx, val = np.dtype(attrs.dtype), in_types[0]
    outs = {"value": [val], "indices": [idx], "mask": [val], "both": [val, idx]}[attrs.ret_typ]
    return in_types, outs, []


@register("topk", params=[
    Param("axis", Kind.opt_int, -1, doc="the axis (None: flattened)"),
    Param("k", Kind.int, 1, doc="number of elements to keep"),
    Param("ret_typ", Kind.str, "indices", choices=("value", "indices", "mask", "both"),
          doc="what to return"),
    Param("is_ascend", Kind.bool, False, doc="smallest first instead of largest"),
    Param("dtype", Kind.dtype, "float32", doc="index dtype")],
    outputs=_topk_outputs, infer_type=_topk_types,
    infer_shape=lambda attrs, s: (s, [None] * len(_topk_outputs(attrs)) if s[0] is None
                                  else _topk_shape(attrs, tuple(s[0])), []))
def topk(call, data):
    """The k largest (or smallest) elements along an axis: values, indices, mask or both."""
    a, xp, x = call.attrs, call.xp, raw(data)
    flat, axis, order = _order(call, x, a.axis, a.is_ascend, "topk")
    n = flat.shape[axis]
    if not 1 <= a.k <= n:
        raise MXNetError(f"topk: k must be in [1, {n}], got {a.k}")
    idx = xp.take(order, xp.arange(a.k), axis=axis)
    if a.ret_typ == "mask":
        rank = xp.argsort(order, axis=axis, kind="stable")   # position of each element
        return (rank < a.k).astype(x.dtype).reshape(x.shape)
    values = constant(call, xp.take_along_axis(flat, idx, axis), data)
    indices = idx.astype(a.dtype)
    return {"value": values, "indices": indices, "both": [values, indices]}[a.ret_typ]
