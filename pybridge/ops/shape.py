"""Shape operators: reshape, flatten, transpose, axes, tiling, joining, splitting, casting.

All are differentiable through ``call.F`` except ``zeros_like``/``ones_like`` (constants).
"""
import numpy as np

from ..base import MXNetError
from ..registry import Attrs, Kind, Param, register
from ._util import constant, normalize_axes, raw


def _known(in_shapes):
    return all(s is not None for s in in_shapes)


def _unary_infer(fn):
    """Shape inference from a function of (attrs, input shape) -> output shape."""
    def infer(attrs, in_shapes):
        if in_shapes[0] is None:
            return in_shapes, [None], []
        return in_shapes, [tuple(fn(attrs, tuple(in_shapes[0])))], []
    return infer


# ------------------------------------------------------------------ reshape family
def _reshape_target(attrs, shape):
    # imported here: pybridge.ndarray imports the ops package at its own import
    from ..ndarray.reshape_rule import infer_reshape
    if attrs.shape:
        return infer_reshape(shape, attrs.shape, attrs.reverse, "Reshape")
    if attrs.target_shape:   # legacy form: 0 is the one inferred dimension
        target = [(-1 if d == 0 else d) for d in attrs.target_shape]
        if attrs.keep_highest:   # the first target dimension is ignored: the input's is kept
            target = [shape[0]] + target[1:]
        return infer_reshape(shape, target, False, "Reshape")
    raise MXNetError("Reshape: parameter 'shape' is missing or empty")


@register("Reshape", aliases=("reshape",), params=[
    Param("shape", Kind.shape, (), doc="target shape; 0, -1, -2, -3, -4 are MXNet's codes"),
    Param("reverse", Kind.bool, False, doc="apply the codes from the right"),
    Param("target_shape", Kind.shape, (), doc="(deprecated) target shape"),
    Param("keep_highest", Kind.bool, False, doc="(deprecated) keep the first dimension"),
], infer_shape=_unary_infer(_reshape_target))
def reshape(call, data):
    """Reshape without copying, with MXNet's special codes."""
    return call.F.reshape(data, _reshape_target(call.attrs, raw(data).shape))


def _flat_shape(attrs, shape):
    if not shape:
        return (1, 1)
    return (shape[0], int(np.prod(shape[1:], dtype=np.int64)))


@register("Flatten", aliases=("flatten",), infer_shape=_unary_infer(_flat_shape))
def flatten(call, data):
    """Collapse all axes but the first: (d0, d1*...*dn)."""
    return call.F.reshape(data, _flat_shape(None, raw(data).shape))


def _transpose_axes(attrs, ndim):
    if not attrs.axes:
        return tuple(range(ndim))[::-1]
    axes = normalize_axes(attrs.axes, ndim, "transpose")
    if len(axes) != ndim or sorted(axes) != list(range(ndim)):
        raise MXNetError(f"transpose: axes {attrs.axes} are not a permutation of {ndim} axes")
    return axes


@register("transpose", params=[Param("axes", Kind.shape, (), doc="permutation (default: reverse)")],
          infer_shape=_unary_infer(lambda a, s: tuple(s[i] for i in _transpose_axes(a, len(s)))))
def transpose(call, data):
    """Permute the axes."""
    return call.F.transpose(data, _transpose_axes(call.attrs, raw(data).ndim))


def _expand_axis(attrs, ndim):
    ax = attrs.axis
    if not -ndim - 1 <= ax <= ndim:
        raise MXNetError(f"expand_dims: axis {ax} is out of range for an array of {ndim} dimension(s)")
    return ax % (ndim + 1)


@register("expand_dims", params=[Param("axis", Kind.int, doc="position of the new axis")],
          infer_shape=_unary_infer(lambda a, s: s[:_expand_axis(a, len(s))] + (1,) + s[_expand_axis(a, len(s)):]))
def expand_dims(call, data):
    """Insert an axis of size 1."""
    return call.F.expand_dims(data, _expand_axis(call.attrs, raw(data).ndim))


def _squeeze_shape(attrs, shape):
    if attrs.axis is None:
        axes = tuple(i for i, d in enumerate(shape) if d == 1)
    else:
        axes = normalize_axes(attrs.axis, len(shape), "squeeze")
        for ax in axes:
            if shape[ax] != 1:
                raise MXNetError(f"squeeze: cannot select an axis to squeeze out which has size "
                                 f"{shape[ax]} not equal to one (axis {ax})")
    return tuple(d for i, d in enumerate(shape) if i not in axes) or (1,)


@register("squeeze", params=[Param("axis", Kind.axis, None, doc="axes of size 1 to remove (default: all)")],
          infer_shape=_unary_infer(_squeeze_shape))
def squeeze(call, data):
    """Remove axes of size 1 (all of them gives shape (1,))."""
    return call.F.reshape(data, _squeeze_shape(call.attrs, raw(data).shape))


@register("SwapAxis", aliases=("swapaxes",), params=[
    Param("dim1", Kind.int, 0, doc="first axis"), Param("dim2", Kind.int, 0, doc="second axis")],
    infer_shape=_unary_infer(lambda a, s: _swapped(a, s)))
def swapaxes(call, data):
    """Interchange two axes."""
    a = call.attrs
    d1, d2 = normalize_axes((a.dim1, a.dim2), raw(data).ndim, "SwapAxis")
    return data if d1 == d2 else call.F.swapaxes(data, d1, d2)


def _swapped(attrs, shape):
    d1, d2 = normalize_axes((attrs.dim1, attrs.dim2), len(shape), "SwapAxis")
    out = list(shape)
    out[d1], out[d2] = out[d2], out[d1]
    return tuple(out)


@register("reverse", aliases=("flip",), params=[Param("axis", Kind.axis, doc="axis or axes to reverse")],
          infer_shape=_unary_infer(lambda a, s: (normalize_axes(a.axis, len(s), "reverse"), s)[1]))
def reverse(call, data):
    """Reverse the order of elements along the given axes."""
    out = data
    for ax in normalize_axes(call.attrs.axis, raw(data).ndim, "reverse"):
        out = call.F.flip(out, ax)
    return out


def _tile_shape(attrs, shape):
    reps = tuple(attrs.reps)
    if any(r < 0 for r in reps):
        raise MXNetError(f"tile: reps must be non-negative, got {reps}")
    n = max(len(reps), len(shape))
    reps = (1,) * (n - len(reps)) + reps
    shape = (1,) * (n - len(shape)) + tuple(shape)
    return tuple(d * r for d, r in zip(shape, reps))


@register("tile", params=[Param("reps", Kind.shape, doc="repetitions per axis")],
          infer_shape=_unary_infer(_tile_shape))
def tile(call, data):
    """Repeat the whole array along each axis (numpy.tile)."""
    _tile_shape(call.attrs, raw(data).shape)
    return call.F.tile(data, tuple(call.attrs.reps))


def _repeat_shape(attrs, shape):
    if attrs.repeats < 0:
        raise MXNetError(f"repeat: repeats must be non-negative, got {attrs.repeats}")
    if attrs.axis is None:
        return (int(np.prod(shape, dtype=np.int64)) * attrs.repeats,)
    ax = normalize_axes(attrs.axis, len(shape), "repeat")[0]
    return shape[:ax] + (shape[ax] * attrs.repeats,) + shape[ax + 1:]


@register("repeat", params=[Param("repeats", Kind.int, doc="repetitions of each element"),
                            Param("axis", Kind.opt_int, None, doc="axis (default: flattened)")],
          infer_shape=_unary_infer(_repeat_shape))
def repeat(call, data):
    """Repeat each element (numpy.repeat)."""
    a = call.attrs
    _repeat_shape(a, raw(data).shape)
    if a.axis is None:
        return call.F.repeat(call.F.reshape(data, (-1,)), a.repeats, 0)
    return call.F.repeat(data, a.repeats, normalize_axes(a.axis, raw(data).ndim, "repeat")[0])


# ------------------------------------------------------------------ broadcasting
def _broadcast_to_shape(attrs, shape):
    target = tuple(attrs.shape)
    if len(target) != len(shape):
        raise MXNetError(f"broadcast_to: cannot broadcast shape {tuple(shape)} to {target}")
    out = []
    for d, t in zip(shape, target):
        t = d if t == 0 else t
        if d != t and d != 1:
            raise MXNetError(f"broadcast_to: cannot broadcast shape {tuple(shape)} to {target}")
        out.append(t)
    return tuple(out)


@register("broadcast_to", params=[Param("shape", Kind.shape, (), doc="target shape; 0 keeps a dimension")],
          infer_shape=_unary_infer(_broadcast_to_shape))
def broadcast_to(call, data):
    """Broadcast axes of size 1 to the target shape."""
    shape = _broadcast_to_shape(call.attrs, raw(data).shape)
    return data if shape == raw(data).shape else call.F.broadcast_to(data, shape)


def _broadcast_axis_shape(attrs, shape):
    axes = normalize_axes(attrs.axis, len(shape), "broadcast_axis") if attrs.axis != () else ()
    sizes = tuple(attrs.size)
    if len(axes) != len(sizes):
        raise MXNetError(f"broadcast_axis: 'axis' {attrs.axis} and 'size' {sizes} differ in length")
    out = list(shape)
    for ax, n in zip(axes, sizes):
        if shape[ax] != 1:
            raise MXNetError(f"broadcast_axis: axis {ax} has size {shape[ax]}, not 1")
        out[ax] = n
    return tuple(out)


@register("broadcast_axis", aliases=("broadcast_axes",), params=[
    Param("axis", Kind.shape, (), doc="axes of size 1 to broadcast"),
    Param("size", Kind.shape, (), doc="target size of each axis")],
    infer_shape=_unary_infer(_broadcast_axis_shape))
def broadcast_axis(call, data):
    """Broadcast the given axes (of size 1) to the given sizes."""
    shape = _broadcast_axis_shape(call.attrs, raw(data).shape)
    return data if shape == raw(data).shape else call.F.broadcast_to(data, shape)


# ------------------------------------------------------------------ joining and splitting
def _arg_names(attrs):
    return [f"arg{i}" for i in range(attrs.num_args)]


def _infer_join(op, join):
    def infer(attrs, in_shapes):
        if len(in_shapes) != attrs.num_args:
            raise MXNetError(f"{op}: num_args is {attrs.num_args} but {len(in_shapes)} inputs were given")
        if not _known(in_shapes):
            return in_shapes, [None], []
        return in_shapes, [join(attrs, [tuple(s) for s in in_shapes])], []
    return infer


def _concat_shape(attrs, shapes):
    first = shapes[0]
    ax = normalize_axes(attrs.dim, len(first), "Concat")[0]
    for s in shapes[1:]:
        if len(s) != len(first) or any(a != b for i, (a, b) in enumerate(zip(s, first)) if i != ax):
            raise MXNetError(f"Concat: input shapes {first} and {s} differ outside dimension {attrs.dim}")
    return first[:ax] + (sum(s[ax] for s in shapes),) + first[ax + 1:]


@register("Concat", aliases=("concat",), inputs=_arg_names, num_args_key="num_args", params=[
    Param("num_args", Kind.int, doc="number of inputs"),
    Param("dim", Kind.int, 1, doc="the dimension to concatenate along")],
    infer_shape=_infer_join("Concat", _concat_shape))
def concat(call, *data):
    """Join arrays along an existing dimension."""
    _concat_shape(call.attrs, [raw(d).shape for d in data])   # validates the shapes
    ax = normalize_axes(call.attrs.dim, raw(data[0]).ndim, "Concat")[0]
    return call.F.concat(list(data), axis=ax)


def _stack_shape(attrs, shapes):
    first = shapes[0]
    for s in shapes[1:]:
        if s != first:
            raise MXNetError(f"stack: all inputs must have one shape, got {first} and {s}")
    ax = _stack_axis(attrs, len(first))
    return first[:ax] + (len(shapes),) + first[ax:]


def _stack_axis(attrs, ndim):
    if not -ndim - 1 <= attrs.axis <= ndim:
        raise MXNetError(f"stack: axis {attrs.axis} is out of range for {ndim}-D inputs")
    return attrs.axis % (ndim + 1)


@register("stack", inputs=_arg_names, num_args_key="num_args", params=[
    Param("axis", Kind.int, 0, doc="the new axis"),
    Param("num_args", Kind.int, doc="number of inputs")],
    infer_shape=_infer_join("stack", _stack_shape))
def stack(call, *data):
    """Join arrays of one shape along a new axis."""
    _stack_shape(call.attrs, [raw(d).shape for d in data])
    return call.F.stack(list(data), axis=_stack_axis(call.attrs, raw(data[0]).ndim))


def _split_plan(attrs, shape):
    n = attrs.num_outputs
    ax = normalize_axes(attrs.axis, len(shape), "SliceChannel")[0]
    if n < 1 or shape[ax] % n:
        raise MXNetError(f"SliceChannel: dimension {ax} of size {shape[ax]} cannot be split into "
                         f"{n} equal parts (num_outputs)")
    part = shape[:ax] + (shape[ax] // n,) + shape[ax + 1:]
    if attrs.squeeze_axis:
        if part[ax] != 1:
            raise MXNetError(f"SliceChannel: squeeze_axis needs parts of size 1 along axis {ax}, "
                             f"got {part[ax]}")
        part = part[:ax] + part[ax + 1:]
    return ax, part


def _infer_split(attrs, in_shapes):
    n = attrs.num_outputs
    if in_shapes[0] is None:
        return in_shapes, [None] * n, []
    return in_shapes, [_split_plan(attrs, tuple(in_shapes[0]))[1]] * n, []


@register("SliceChannel", aliases=("split",), params=[
    Param("num_outputs", Kind.int, doc="number of equal parts"),
    Param("axis", Kind.int, 1, doc="axis to split along"),
    Param("squeeze_axis", Kind.bool, False, doc="remove the split axis (parts must be of size 1)")],
    outputs=lambda attrs: [f"output{i}" for i in range(attrs.num_outputs)],
    infer_shape=_infer_split)
def split(call, data):
    """Split into ``num_outputs`` equal parts along an axis."""
    ax, part = _split_plan(call.attrs, raw(data).shape)
    parts = call.F.split_axis(data, call.attrs.num_outputs, ax, force_tuple=True)
    if call.attrs.squeeze_axis:
        parts = [call.F.reshape(p, part) for p in parts]
    return list(parts)


# ------------------------------------------------------------------ constants and casting
@register("zeros_like")
def zeros_like(call, data):
    """An array of zeros with the input's shape and dtype."""
    return constant(call, call.xp.zeros(raw(data).shape, raw(data).dtype), data)


@register("ones_like")
def ones_like(call, data):
    """An array of ones with the input's shape and dtype."""
    return constant(call, call.xp.ones(raw(data).shape, raw(data).dtype), data)


def _cast_type(attrs, in_types):
    return in_types, [np.dtype(attrs.dtype)], []


@register("Cast", aliases=("cast",), params=[Param("dtype", Kind.dtype, doc="target dtype")],
          infer_type=_cast_type)
def cast(call, data):
    """Convert to another dtype (the gradient is cast back)."""
    if raw(data).dtype == np.dtype(call.attrs.dtype):
        return data
    return call.F.cast(data, call.attrs.dtype)


# ------------------------------------------------------------------ copies and "like" shapes
@register("_copy", aliases=("identity",))
def copy(call, data):
    """A copy of the input (the identity; the gradient passes through)."""
    return data.copy() if isinstance(data, call.xp.ndarray) else call.F.identity(data)


def _axes_like(attrs, lshape, rshape):
    if attrs.lhs_axes is None and attrs.rhs_axes is None:
        if len(lshape) != len(rshape):
            raise MXNetError(f"broadcast_like: shapes {tuple(lshape)} and {tuple(rshape)} have "
                             f"different numbers of dimensions")
        return _broadcast_to_shape(Attrs(shape=tuple(rshape)), lshape)
    lax = normalize_axes(attrs.lhs_axes or (), len(lshape), "broadcast_like")
    rax = normalize_axes(attrs.rhs_axes or (), len(rshape), "broadcast_like")
    if len(lax) != len(rax):
        raise MXNetError("broadcast_like: lhs_axes and rhs_axes must have one length")
    out = list(lshape)
    for la, ra in zip(lax, rax):
        if lshape[la] != 1 and lshape[la] != rshape[ra]:
            raise MXNetError(f"broadcast_like: axis {la} of size {lshape[la]} cannot be broadcast "
                             f"to {rshape[ra]}")
        out[la] = rshape[ra]
    return tuple(out)


def _binary_infer(fn):
    def infer(attrs, in_shapes):
        a, b = in_shapes
        if a is None or b is None:
            return in_shapes, [None], []
        return in_shapes, [fn(attrs, tuple(a), tuple(b))], []
    return infer


@register("broadcast_like", inputs=("lhs", "rhs"), params=[
    Param("lhs_axes", Kind.opt_shape, None, doc="axes of lhs to broadcast (default: all)"),
    Param("rhs_axes", Kind.opt_shape, None, doc="axes of rhs giving the sizes")],
    infer_shape=_binary_infer(_axes_like))
def broadcast_like(call, lhs, rhs):
    """Broadcast lhs to the shape of rhs (or of the given rhs axes)."""
    shape = _axes_like(call.attrs, raw(lhs).shape, raw(rhs).shape)
    return lhs if shape == raw(lhs).shape else call.F.broadcast_to(lhs, shape)


def _reshape_like_shape(attrs, lshape, rshape):
    def span(begin, end, n):
        return slice(*slice(begin, end).indices(n)[:2])
    ls, rs = span(attrs.lhs_begin, attrs.lhs_end, len(lshape)), span(attrs.rhs_begin, attrs.rhs_end, len(rshape))
    out = tuple(lshape[:ls.start]) + tuple(rshape[rs]) + tuple(lshape[ls.stop:])
    if int(np.prod(out, dtype=np.int64)) != int(np.prod(lshape, dtype=np.int64)):
        raise MXNetError(f"reshape_like: cannot reshape {tuple(lshape)} to {out}")
    return out


@register("reshape_like", inputs=("lhs", "rhs"), params=[
    Param("lhs_begin", Kind.opt_int, None, doc="first lhs axis to replace"),
    Param("lhs_end", Kind.opt_int, None, doc="end of the lhs axes to replace"),
    Param("rhs_begin", Kind.opt_int, None, doc="first rhs axis to copy"),
    Param("rhs_end", Kind.opt_int, None, doc="end of the rhs axes to copy")],
    infer_shape=_binary_infer(_reshape_like_shape))
def reshape_like(call, lhs, rhs):
    """Reshape lhs to the shape of rhs (or replace a span of its axes by a span of rhs's)."""
    return call.F.reshape(lhs, _reshape_like_shape(call.attrs, raw(lhs).shape, raw(rhs).shape))


# ------------------------------------------------------------------ filled arrays (no inputs)
def _filled_infer(attrs, in_shapes):
    return in_shapes, [tuple(attrs.shape)], []


def _filled_type(attrs, in_types):
    return in_types, [np.dtype(attrs.dtype)], []


def _filled_params(extra=()):
    from .random import _context
    return list(extra) + [Param("shape", Kind.shape, (), doc="output shape"),
                          Param("ctx", _context, None, doc="context of the output, e.g. cpu(0)"),
                          Param("dtype", Kind.dtype, "float32", doc="output dtype")]


@register("_zeros", inputs=(), params=_filled_params(), infer_shape=_filled_infer, infer_type=_filled_type)
def zeros(call):
    """An array of zeros."""
    return call.xp.zeros(call.attrs.shape, call.attrs.dtype)


@register("_ones", inputs=(), params=_filled_params(), infer_shape=_filled_infer, infer_type=_filled_type)
def ones(call):
    """An array of ones."""
    return call.xp.ones(call.attrs.shape, call.attrs.dtype)


@register("_full", inputs=(), params=_filled_params([Param("value", Kind.float, doc="fill value")]),
          infer_shape=_filled_infer, infer_type=_filled_type)
def full(call):
    """An array filled with ``value``."""
    return call.xp.full(call.attrs.shape, call.attrs.value, call.attrs.dtype)


def _arange_values(attrs):
    a = attrs
    start, stop = (0.0, a.start) if a.stop is None else (a.start, a.stop)
    if not all(np.isfinite(v) for v in (start, stop, a.step)):
        raise MXNetError(f"_arange: start, stop and step must be finite, got {start}, {stop}, {a.step}")
    if a.step == 0:
        raise MXNetError("_arange: step must not be zero")
    if a.repeat < 1:
        raise MXNetError(f"_arange: repeat must be positive, got {a.repeat}")
    n = max(0, int(np.ceil((stop - start) / a.step)))
    return start, n


@register("_arange", inputs=(), params=[
    Param("start", Kind.float, doc="start of the interval"),
    Param("stop", Kind.opt_float, None, doc="end of the interval (exclusive; None: [0, start))"),
    Param("step", Kind.float, 1.0, doc="spacing"),
    Param("repeat", Kind.int, 1, doc="times each value is repeated"),
    Param("infer_range", Kind.bool, False, doc="(accepted; ranges are always given here)"),
    ] + _filled_params()[1:],
    infer_shape=lambda attrs, s: (s, [(_arange_values(attrs)[1] * attrs.repeat,)], []),
    infer_type=_filled_type)
def arange(call):
    """Evenly spaced values in [start, stop), each repeated ``repeat`` times."""
    a, xp = call.attrs, call.xp
    start, n = _arange_values(a)
    values = (start + a.step * np.arange(n, dtype=np.float64)).astype(a.dtype)
    return xp.asarray(np.repeat(values, a.repeat) if a.repeat > 1 else values)
