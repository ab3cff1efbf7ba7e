"""Convolution and Deconvolution (1-D, 2-D and 3-D, channel-first layouts)."""
import numpy as np

from ..base import MXNetError
from ..registry import Kind, Param, register
from ._util import is_variable, raw
from .nn_common import assign_shape, check_kernel, fmt, opt_str, spatial
from . import nn_infer
from .nn_fast import Conv2DCPU, Deconv2DCPU


_LAYOUTS = (None, "NCW", "NCHW", "NCDHW", "NWC", "NHWC", "NDHWC")


def geometry(op, attrs, ndim_data=None):
    """kernel, stride, dilate, pad as tuples of one length; MXNetErrors for bad values."""
    check_kernel(op, attrs.kernel, allowed=(1, 2, 3))
    nd = len(attrs.kernel)
    stride = spatial(op, attrs, nd, "stride", 1)
    dilate = spatial(op, attrs, nd, "dilate", 1)
    pad = spatial(op, attrs, nd, "pad", 0)
    if any(s <= 0 for s in stride):
        raise MXNetError(f"{op}: 'stride' must be positive, got {fmt(stride)}")
    if any(d <= 0 for d in dilate):
        raise MXNetError(f"{op}: 'dilate' must be positive, got {fmt(dilate)}")
    if any(p < 0 for p in pad):
        raise MXNetError(f"{op}: 'pad' must be non-negative, got {fmt(pad)}")
    if attrs.layout is not None and attrs.layout not in ("NCW", "NCHW", "NCDHW"):
        raise MXNetError(f"{op}: layout '{attrs.layout}' is not supported; use a channel-first "
                         f"layout (NCW, NCHW, NCDHW)")
    if attrs.num_filter < 1:
        raise MXNetError(f"{op}: 'num_filter' must be positive, got {attrs.num_filter}")
    if attrs.num_group < 1:
        raise MXNetError(f"{op}: 'num_group' must be positive, got {attrs.num_group}")
    if ndim_data is not None and ndim_data != nd + 2:
        raise MXNetError(f"{op}: a {nd}-D kernel {fmt(attrs.kernel)} needs {nd + 2}-D input data "
                         f"(batch, channel, {'spatial, ' * nd}...), got {ndim_data}-D data")
    return attrs.kernel, stride, dilate, pad


def _common_params(workspace):
    return [
        Param("kernel", Kind.shape, doc="kernel size: (w,), (h, w) or (d, h, w)"),
        Param("stride", Kind.shape, (), doc="stride per spatial axis; default 1"),
        Param("dilate", Kind.shape, (), doc="dilation per spatial axis; default 1"),
        Param("pad", Kind.shape, (), doc="zero padding per spatial axis; default 0"),
    ], [
        Param("num_filter", Kind.int, doc="number of output channels"),
        Param("num_group", Kind.int, 1, doc="number of groups (grouped convolution)"),
        Param("workspace", Kind.int, workspace, doc="accepted and ignored (MB of scratch space)"),
    ]


_TAIL_PARAMS = [
    Param("cudnn_tune", opt_str, None, choices=(None, "fastest", "limited_workspace", "off"),
          doc="accepted and ignored"),
    Param("cudnn_off", Kind.bool, False, doc="accepted and ignored"),
    Param("layout", opt_str, None, choices=_LAYOUTS, doc="data layout; channel-first only"),
]


def _inputs(attrs):
    return ["data", "weight"] if attrs.no_bias else ["data", "weight", "bias"]


def _check_groups(op, channels, attrs):
    g = attrs.num_group
    if channels % g or attrs.num_filter % g:
        raise MXNetError(f"{op}: input channels ({channels}) and 'num_filter' "
                         f"({attrs.num_filter}) must be divisible by 'num_group' ({g})")


def _check_param_shapes(op, weight, bias, wshape, nf):
    if tuple(weight.shape) != tuple(wshape):
        raise MXNetError(f"{op}: 'weight' has shape {fmt(weight.shape)}, expected {fmt(wshape)}")
    if bias is not None and tuple(bias.shape) != (nf,):
        raise MXNetError(f"{op}: 'bias' has shape {fmt(bias.shape)}, expected ({nf},)")


def _lift_1d(F, x, w, stride, dilate, pad):
    """A 1-D problem as a 2-D one with height 1 (Chainer's 2-D kernels are the fast ones)."""
    x = F.reshape(x, (x.shape[0], x.shape[1], 1, x.shape[2]))
    w = F.reshape(w, (w.shape[0], w.shape[1], 1, w.shape[2]))
    return x, w, (1,) + stride, (1,) + dilate, (0,) + pad


# ------------------------------------------------------------------ Convolution
def _cpu_fast(call, groups, inputs):
    """Whether the NumPy fast path applies: CPU, no groups, one float dtype."""
    dt = raw(inputs[0]).dtype
    return call.xp is np and groups == 1 and dt.kind == "f" and \
        all(raw(v).dtype == dt for v in inputs)


def _conv2d(call, x, w, b, stride, pad, dilate, groups):
    inputs = (x, w) if b is None else (x, w, b)
    if _cpu_fast(call, groups, inputs):
        if any(is_variable(v) for v in inputs):
            return Conv2DCPU(stride, pad, dilate).apply(inputs)[0]
        return nn_infer.conv2d(x, w, b, stride, pad, dilate)
    return call.F.convolution_2d(x, w, b, stride, pad, dilate=dilate, groups=groups)


def conv_out_size(x, k, s, d, p):
    return (x + 2 * p - (d * (k - 1) + 1)) // s + 1


def _conv_infer(attrs, shapes):
    op = "Convolution"
    kernel, stride, dilate, pad = geometry(op, attrs)
    data = shapes[0]
    if data is None:
        return shapes, [None], []
    geometry(op, attrs, len(data))
    _check_groups(op, data[1], attrs)
    assign_shape(op, shapes, 1, "weight", (attrs.num_filter, data[1] // attrs.num_group) + kernel)
    if not attrs.no_bias:
        assign_shape(op, shapes, 2, "bias", (attrs.num_filter,))
    out_sp = tuple(conv_out_size(*v) for v in zip(data[2:], kernel, stride, dilate, pad))
    if any(o <= 0 for o in out_sp):
        raise MXNetError(f"{op}: kernel {fmt(kernel)} (dilated) is larger than the padded input "
                         f"{fmt(data[2:])}")
    return shapes, [(data[0], attrs.num_filter) + out_sp], []


_conv_head, _conv_mid = _common_params(1024)


@register("Convolution", inputs=_inputs, infer_shape=_conv_infer, params=_conv_head + _conv_mid + [
    Param("no_bias", Kind.bool, False, doc="whether to disable the bias"),
] + _TAIL_PARAMS)
def convolution(call, data, weight, bias=None):
    """N-D convolution (cross-correlation) with optional groups, stride, dilation, padding."""
    op, a, F = "Convolution", call.attrs, call.F
    kernel, stride, dilate, pad = geometry(op, a, data.ndim)
    _check_groups(op, data.shape[1], a)
    _check_param_shapes(op, weight, bias,
                        (a.num_filter, data.shape[1] // a.num_group) + kernel, a.num_filter)
    for x, k, s, d, p in zip(data.shape[2:], kernel, stride, dilate, pad):
        if conv_out_size(x, k, s, d, p) <= 0:
            raise MXNetError(f"{op}: kernel {fmt(kernel)} (dilated) is larger than the padded "
                             f"input {fmt(data.shape[2:])}")
    if len(kernel) == 1:
        n = data.shape[0]
        x, w, st, di, pa = _lift_1d(F, data, weight, stride, dilate, pad)
        y = _conv2d(call, x, w, bias, st, pa, di, a.num_group)
        return F.reshape(y, (n, a.num_filter, y.shape[3]))
    if len(kernel) == 2:
        return _conv2d(call, data, weight, bias, stride, pad, dilate, a.num_group)
    return F.convolution_nd(data, weight, bias, stride, pad, dilate=dilate, groups=a.num_group)


# ------------------------------------------------------------------ Deconvolution
def _deconv_geometry(op, attrs, in_spatial):
    """Per-axis (pad, adj, output size) for Deconvolution, with MXNet's target_shape rule."""
    kernel, stride, dilate, pad = geometry(op, attrs)
    nd = len(kernel)
    adj = spatial(op, attrs, nd, "adj", 0)
    target = attrs.target_shape
    use_target = target is not None and len(target) > 0 and any(t != 0 for t in target)
    if use_target and len(target) != nd:
        raise MXNetError(f"{op}: 'target_shape' must have {nd} value(s), got {fmt(target)}")
    pads, adjs, outs = [], [], []
    for i in range(nd):
        dk = dilate[i] * (kernel[i] - 1) + 1
        full = stride[i] * (in_spatial[i] - 1) + dk
        if use_target:
            if full < target[i]:
                raise MXNetError(f"{op}: 'target_shape' {fmt(target)} is too big for input "
                                 f"{fmt(in_spatial)}")
            total = full - target[i]
            p, j = (total + 1) // 2, total % 2
        else:
            p, j = pad[i], adj[i]
            if j >= stride[i]:
                raise MXNetError(f"{op}: 'adj' {fmt(adj)} must be smaller than 'stride' {fmt(stride)}")
        out = full - 2 * p + j
        if out <= 0:
            raise MXNetError(f"{op}: output size is not positive for input {fmt(in_spatial)}")
        pads.append(p)
        adjs.append(j)
        outs.append(out)
    return kernel, stride, dilate, tuple(pads), tuple(outs)


def _deconv2d(call, x, w, b, stride, pad, dilate, outs, groups):
    inputs = (x, w) if b is None else (x, w, b)
    if _cpu_fast(call, groups, inputs):
        node = Deconv2DCPU(stride, pad, dilate, outs)
        return node.apply(inputs)[0] if any(is_variable(v) for v in inputs) else \
            node.forward(inputs)[0]
    return call.F.deconvolution_2d(x, w, b, stride, pad, outsize=outs, dilate=dilate,
                                   groups=groups)


def _deconv_infer(attrs, shapes):
    op = "Deconvolution"
    kernel = geometry(op, attrs)[0]
    data = shapes[0]
    if data is None:
        return shapes, [None], []
    geometry(op, attrs, len(data))
    _check_groups(op, data[1], attrs)
    out_sp = _deconv_geometry(op, attrs, tuple(data[2:]))[4]
    assign_shape(op, shapes, 1, "weight", (data[1], attrs.num_filter // attrs.num_group) + kernel)
    if not attrs.no_bias:
        assign_shape(op, shapes, 2, "bias", (attrs.num_filter,))
    return shapes, [(data[0], attrs.num_filter) + out_sp], []


_dec_head, _dec_mid = _common_params(512)


@register("Deconvolution", inputs=_inputs, infer_shape=_deconv_infer, params=_dec_head + [
    Param("adj", Kind.shape, (), doc="extra output size at the end of each axis (< stride)"),
    Param("target_shape", Kind.shape, (), doc="output spatial shape; overrides pad and adj"),
] + _dec_mid + [
    Param("no_bias", Kind.bool, True, doc="whether to disable the bias"),
] + _TAIL_PARAMS)
def deconvolution(call, data, weight, bias=None):
    """Transposed convolution: the gradient of Convolution with respect to its input."""
    op, a, F = "Deconvolution", call.attrs, call.F
    geometry(op, a, data.ndim)
    _check_groups(op, data.shape[1], a)
    kernel, stride, dilate, pad, outs = _deconv_geometry(op, a, tuple(data.shape[2:]))
    _check_param_shapes(op, weight, bias,
                        (data.shape[1], a.num_filter // a.num_group) + kernel, a.num_filter)
    if len(kernel) == 1:
        n = data.shape[0]
        x, w, st, di, pa = _lift_1d(F, data, weight, stride, dilate, pad)
        y = _deconv2d(call, x, w, bias, st, pa, di, (1,) + outs, a.num_group)
        return F.reshape(y, (n, a.num_filter, outs[0]))
    if len(kernel) == 2:
        return _deconv2d(call, data, weight, bias, stride, pad, dilate, outs, a.num_group)
    return F.deconvolution_nd(data, weight, bias, stride, pad, outsize=outs, dilate=dilate,
                              groups=a.num_group)
