"""Pooling (max, avg, sum, lp; 1-D and 2-D; conventions valid, full, same) with MXNet's sizes;
3-D pooling for the 'valid' convention and global pooling.

MXNet's output size per spatial axis: valid ``floor((x + 2p - k) / s) + 1``, full
``ceil((x + 2p - k) / s) + 1``, same ``ceil(x / s)`` (1-D, no padding).  Windows that run past
the padded input are cut there; an average divides by the window size clipped to the padded
input (count_include_pad, the default) or to the real input (count_include_pad=False).
Chainer's max and average pooling match 'valid' (with count_include_pad) and are used for
it; everything else goes through one general path: explicit padding, im2col, a reduction.
"""
import numpy as np

from ..base import MXNetError
from ..registry import Kind, Param, register
from ._util import is_variable
from .nn_fast import MaxPool2DCPU
from .nn_infer import max_pool2d
from .nn_common import (channel_first_shape, channel_last_shape, check_kernel, check_layout, fmt,
                        opt_bool, opt_str, spatial, to_channel_first, to_channel_last)

_TYPES = ("avg", "lp", "max", "sum")


def geometry(attrs, spatial_shape):
    """kernel, stride, pad, output sizes for a channel-first input's spatial shape."""
    op = "Pooling"
    nd = len(spatial_shape)
    if nd not in (1, 2, 3):
        raise MXNetError(f"Pooling: input data must be 3-D (batch, channel, x), 4-D (batch, "
                         f"channel, y, x) or 5-D (batch, channel, d, y, x), got {nd + 2}-D data")
    if attrs.global_pool:
        kernel, stride, pad = tuple(spatial_shape), (1,) * nd, (0,) * nd
    else:
        check_kernel(op, attrs.kernel, allowed=(1, 2, 3))
        kernel = attrs.kernel
        if len(kernel) != nd:
            raise MXNetError(f"Pooling: a {len(kernel)}-D kernel {fmt(kernel)} does not fit "
                             f"{nd + 2}-D input data")
        stride = spatial(op, attrs, nd, "stride", 1)
        pad = spatial(op, attrs, nd, "pad", 0)
        if any(s <= 0 for s in stride):
            raise MXNetError(f"Pooling: 'stride' must be positive, got {fmt(stride)}")
        if any(p < 0 for p in pad):
            raise MXNetError(f"Pooling: 'pad' must be non-negative, got {fmt(pad)}")
    if attrs.pool_type == "lp" and (attrs.p_value is None or attrs.p_value < 1):
        raise MXNetError(f"Pooling: 'p_value' (a positive integer) is required for pool_type "
                         f"'lp', got {attrs.p_value}")
    conv = attrs.pooling_convention
    if nd == 3 and not attrs.global_pool and (conv != "valid" or attrs.pool_type == "lp"):
        raise MXNetError("Pooling: 3-D pooling supports pooling_convention 'valid' with "
                         "pool_type max, avg or sum (or global_pool)")
    if conv == "same" and not attrs.global_pool:
        if nd != 1:
            raise MXNetError("Pooling: pooling_convention 'same' supports 1-D data (batch, "
                             "channel, x) only")
        if any(pad):
            raise MXNetError("Pooling: pooling_convention 'same' does not allow 'pad'")
    outs = []
    for x, k, s, p in zip(spatial_shape, kernel, stride, pad):
        if k > x + 2 * p:
            raise MXNetError(f"Pooling: kernel size ({k}) exceeds input ({x} padded to {x + 2 * p})")
        if attrs.global_pool:
            outs.append(1)
        elif conv == "valid":
            outs.append((x + 2 * p - k) // s + 1)
        elif conv == "full":
            outs.append(-(-(x + 2 * p - k) // s) + 1)
        else:
            outs.append(-(-(x + 2 * p) // s))
    return tuple(kernel), tuple(stride), tuple(pad), tuple(outs)


def _pool_infer(attrs, shapes):
    data = shapes[0]
    if data is None:
        return shapes, [None], []
    data = tuple(data)
    last = check_layout("Pooling", attrs.layout, len(data))
    cf = channel_first_shape(data) if last else data
    if len(cf) < 3:
        raise MXNetError(f"Pooling: input data must be 3-D, 4-D or 5-D, got shape {fmt(data)}")
    outs = geometry(attrs, cf[2:])[3]
    out = cf[:2] + outs
    return shapes, [channel_last_shape(out) if last else out], []


def _divisors(x, k, s, p, n_out, include_pad):
    """Per output position along one axis: the number of input cells averaged."""
    start = np.arange(n_out) * s - p
    end = np.minimum(start + k, x + p)
    if not include_pad:
        start, end = np.maximum(start, 0), np.minimum(end, x)
    return (end - start).astype(np.float64)


def _pool2d(call, x, kernel, stride, pad, outs):
    """Pool a 4-D channel-first input (Variable or array)."""
    a, F, xp = call.attrs, call.F, call.xp
    kind = a.pool_type
    n, c, h, w = x.shape
    dt = x.dtype.type if not is_variable(x) else x.array.dtype.type
    if a.global_pool and kind in ("max", "avg", "sum"):
        red = {"max": F.max, "avg": F.mean, "sum": F.sum}[kind] if is_variable(x) else None
        if red is not None:
            return red(x, axis=(2, 3), keepdims=True)
        return getattr(x, {"avg": "mean"}.get(kind, kind))(axis=(2, 3), keepdims=True)
    conv = a.pooling_convention
    if kind == "max" and xp is np and np.dtype(dt).kind == "f":
        if is_variable(x):
            return MaxPool2DCPU(kernel, stride, pad, outs).apply((x,))[0]
        return max_pool2d(x, kernel, stride, pad, outs)
    if kind == "max" and conv == "valid" and all(p < k for p, k in zip(pad, kernel)):
        return F.max_pooling_2d(x, kernel, stride, pad, cover_all=False)
    include_pad = a.count_include_pad is not False
    if kind == "avg" and conv == "valid" and include_pad and all(p < k for p, k in zip(pad, kernel)):
        return F.average_pooling_2d(x, kernel, stride, pad)
    # general path: pad (or crop) to exactly the extent the windows cover, then im2col
    # a 'full' window can lie entirely in the padding: MXNet's max is then the lowest value
    fill = np.finfo(dt).min if kind == "max" else 0.0
    widths = []
    for size, k, s, p, o in zip((h, w), kernel, stride, pad, outs):
        widths.append((p, (o - 1) * s + k - size - p))
    crop = tuple(slice(0, None if after >= 0 else size + after)
                 for (before, after), size in zip(widths, (h, w)))
    if any(after < 0 for _, after in widths):
        x = x[(slice(None), slice(None)) + crop]
    pad_width = ((0, 0), (0, 0)) + tuple((b, max(af, 0)) for b, af in widths)
    if any(v for pair in pad_width for v in pair):
        x = F.pad(x, pad_width, "constant", constant_values=dt(fill))
    cols = F.im2col(x, kernel, stride)       # (n, c*kh*kw, oh, ow)
    cols = F.reshape(cols, (n, c, kernel[0] * kernel[1]) + outs)
    if kind == "max":
        return F.max(cols, axis=2)
    if kind == "lp":
        pv = a.p_value
        if pv == 1:
            return F.sum(cols, axis=2)
        if pv == 2:
            return F.sqrt(F.sum(cols * cols, axis=2))
        total = F.sum(cols ** pv, axis=2)
        if pv == 3:   # real cube root, defined for negative sums too
            sign = xp.sign(total.array if is_variable(total) else total)
            return abs(total) ** (1.0 / 3) * sign if not is_variable(total) else \
                F.absolute(total) ** (1.0 / 3) * sign
        return total ** (1.0 / pv)
    total = F.sum(cols, axis=2)
    if kind == "sum":
        return total
    div = np.outer(*(_divisors(size, k, s, p, o, include_pad)
                     for size, k, s, p, o in zip((h, w), kernel, stride, pad, outs)))
    # a window entirely in the padding averages nothing: MXNet gives 0 there
    inv = xp.asarray(np.divide(1.0, div, out=np.zeros_like(div), where=div > 0).astype(dt))
    return total * xp.broadcast_to(inv, total.shape)


def _pool3d(call, x, kernel, stride, pad):
    """5-D data: global pooling, or the 'valid' convention through Chainer's N-D pooling
    (which then matches MXNet exactly: every window lies within the padded input)."""
    a, F = call.attrs, call.F
    kind = a.pool_type
    if a.global_pool:
        axes = (2, 3, 4)
        if is_variable(x):
            return {"max": F.max, "avg": F.mean, "sum": F.sum}[kind](x, axis=axes, keepdims=True)
        return getattr(x, {"avg": "mean"}.get(kind, kind))(axis=axes, keepdims=True)
    if any(p >= k for p, k in zip(pad, kernel)):
        raise MXNetError(f"Pooling: 3-D pooling needs 'pad' smaller than 'kernel', got pad "
                         f"{fmt(pad)} and kernel {fmt(kernel)}")
    if kind == "max":
        return F.max_pooling_nd(x, kernel, stride, pad, cover_all=False)
    if kind == "avg" and a.count_include_pad is False:
        return F.average_pooling_nd(x, kernel, stride, pad, pad_value=None)
    y = F.average_pooling_nd(x, kernel, stride, pad, pad_value=0)
    if kind == "sum":
        y = y * float(kernel[0] * kernel[1] * kernel[2])
    return y


@register("Pooling", infer_shape=_pool_infer, params=[
    Param("kernel", Kind.shape, (), doc="pooling window: (x,), (y, x) or (d, y, x)"),
    Param("pool_type", Kind.str, "max", choices=_TYPES, doc="max, avg, sum or lp"),
    Param("global_pool", Kind.bool, False, doc="pool over the whole spatial extent"),
    Param("cudnn_off", Kind.bool, False, doc="accepted and ignored"),
    Param("pooling_convention", Kind.str, "valid", choices=("full", "same", "valid"),
          doc="output size rule: valid (floor), full (ceil), same (ceil(x/stride), 1-D)"),
    Param("stride", Kind.shape, (), doc="stride per spatial axis; default 1"),
    Param("pad", Kind.shape, (), doc="padding per spatial axis; default 0"),
    Param("p_value", Kind.opt_int, None, doc="p of lp pooling"),
    Param("count_include_pad", opt_bool, None,
          doc="avg: count padded cells in the divisor (default true)"),
    Param("layout", opt_str, None, choices=(None, "NCW", "NCHW", "NCDHW", "NWC", "NHWC", "NDHWC"),
          doc="data layout; default NCW/NCHW"),
])
def pooling(call, data):
    """Spatial pooling of 3-D (N, C, W), 4-D (N, C, H, W) or 5-D (N, C, D, H, W) data."""
    F = call.F
    last = check_layout("Pooling", call.attrs.layout, data.ndim)
    x = to_channel_first(F, data) if last else data
    if x.ndim not in (3, 4, 5):
        raise MXNetError(f"Pooling: input data must be 3-D (batch, channel, x), 4-D (batch, "
                         f"channel, y, x) or 5-D, got shape {fmt(data.shape)}")
    kernel, stride, pad, outs = geometry(call.attrs, tuple(x.shape[2:]))
    if x.ndim == 5:
        y = _pool3d(call, x, kernel, stride, pad)
    elif x.ndim == 3:
        n, c, w = x.shape
        y = _pool2d(call, F.reshape(x, (n, c, 1, w)), (1,) + kernel, (1,) + stride, (0,) + pad,
                    (1,) + outs)
        y = F.reshape(y, (n, c, outs[0]))
    else:
        y = _pool2d(call, x, kernel, stride, pad, outs)
    return to_channel_last(F, y) if last else y
