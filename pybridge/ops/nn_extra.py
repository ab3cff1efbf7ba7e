"""Further normalization layers of MXNet 1.x: LayerNorm, InstanceNorm, L2Normalization.

Written with Chainer's functions on ``call.F``, so their gradients come from Chainer.
"""
from ..base import MXNetError
from ..registry import Kind, Param, register
from ._util import is_variable
from .nn_common import assign_shape


def _bcast(F, v, shape):
    return v if tuple(v.shape) == tuple(shape) else F.broadcast_to(v, shape)


def _normalize(F, x, axes, eps):
    """(x - mean) / sqrt(var + eps) over ``axes`` (biased variance), plus mean and std."""
    mean = F.mean(x, axis=axes, keepdims=True)
    centered = x - _bcast(F, mean, x.shape)
    var = F.mean(centered * centered, axis=axes, keepdims=True)
    std = F.sqrt(var + eps)
    return centered / _bcast(F, std, x.shape), mean, std


def _affine(F, y, gamma, beta, axis):
    shape = [1] * y.ndim
    shape[axis] = y.shape[axis]
    g = _bcast(F, F.reshape(gamma, tuple(shape)), y.shape)
    b = _bcast(F, F.reshape(beta, tuple(shape)), y.shape)
    return y * g + b


def _check_param(op, name, arr, c):
    if tuple(arr.shape) != (c,):
        raise MXNetError(f"{op}: '{name}' has shape {tuple(arr.shape)}, expected ({c},)")


# ------------------------------------------------------------------ LayerNorm
def _ln_axis(attrs, ndim):
    if not -ndim <= attrs.axis < ndim:
        raise MXNetError(f"LayerNorm: 'axis' {attrs.axis} is out of range for data of {ndim} "
                         f"dimensions")
    return attrs.axis % ndim


def _ln_outputs(attrs):
    return ["output", "mean", "std"] if attrs.output_mean_var else ["output"]


def _ln_infer(attrs, shapes):
    data = shapes[0]
    if data is None:
        return shapes, [None] * len(_ln_outputs(attrs)), []
    axis = _ln_axis(attrs, len(data))
    c = (data[axis],)
    assign_shape("LayerNorm", shapes, 1, "gamma", c)
    assign_shape("LayerNorm", shapes, 2, "beta", c)
    reduced = tuple(1 if i == axis else d for i, d in enumerate(data))
    return shapes, [tuple(data)] + ([reduced, reduced] if attrs.output_mean_var else []), []


@register("LayerNorm", inputs=("data", "gamma", "beta"), outputs=_ln_outputs,
          infer_shape=_ln_infer, params=[
    Param("axis", Kind.int, -1, doc="the axis normalized over"),
    Param("eps", Kind.float, 1e-5, doc="added to the variance"),
    Param("output_mean_var", Kind.bool, False, doc="also output the mean and the std"),
])
def layer_norm(call, data, gamma, beta):
    """Layer normalization: normalize along 'axis', then scale by gamma and shift by beta."""
    F = call.F
    axis = _ln_axis(call.attrs, data.ndim)
    _check_param("LayerNorm", "gamma", gamma, data.shape[axis])
    _check_param("LayerNorm", "beta", beta, data.shape[axis])
    y, mean, std = _normalize(F, data, (axis,), call.attrs.eps)
    out = _affine(F, y, gamma, beta, axis)
    return (out, mean, std) if call.attrs.output_mean_var else out


# ------------------------------------------------------------------ InstanceNorm
def _in_infer(attrs, shapes):
    data = shapes[0]
    if data is None:
        return shapes, [None], []
    if len(data) < 3:
        raise MXNetError(f"InstanceNorm: data must have at least 3 dimensions, got {tuple(data)}")
    assign_shape("InstanceNorm", shapes, 1, "gamma", (data[1],))
    assign_shape("InstanceNorm", shapes, 2, "beta", (data[1],))
    return shapes, [tuple(data)], []


@register("InstanceNorm", inputs=("data", "gamma", "beta"), infer_shape=_in_infer, params=[
    Param("eps", Kind.float, 1e-3, doc="added to the variance"),
])
def instance_norm(call, data, gamma, beta):
    """Instance normalization: each (example, channel) over its spatial axes, then gamma/beta
    per channel."""
    if data.ndim < 3:
        raise MXNetError(f"InstanceNorm: data must have at least 3 dimensions, got "
                         f"{tuple(data.shape)}")
    _check_param("InstanceNorm", "gamma", gamma, data.shape[1])
    _check_param("InstanceNorm", "beta", beta, data.shape[1])
    y = _normalize(call.F, data, tuple(range(2, data.ndim)), call.attrs.eps)[0]
    return _affine(call.F, y, gamma, beta, 1)


# ------------------------------------------------------------------ L2Normalization
@register("L2Normalization", params=[
    Param("eps", Kind.float, 1e-10, doc="added to the sum of squares"),
    Param("mode", Kind.str, "instance", choices=("channel", "instance", "spatial"),
          doc="instance: over all but axis 0; channel: over axis 1; spatial: over axes 2..."),
])
def l2_normalization(call, data):
    """Divides by the L2 norm ``sqrt(sum(x^2) + eps)`` per instance, channel or position."""
    F, mode = call.F, call.attrs.mode
    if mode == "instance":
        axes = tuple(range(1, data.ndim))
    elif data.ndim < 3 and mode == "spatial":
        raise MXNetError("L2Normalization: mode 'spatial' needs data with at least 3 dimensions")
    elif mode == "channel":
        if data.ndim < 2:
            raise MXNetError("L2Normalization: mode 'channel' needs data with at least 2 "
                             "dimensions")
        axes = (1,)
    else:
        axes = tuple(range(2, data.ndim))
    sq = data * data
    norm = F.sqrt(F.sum(sq, axis=axes, keepdims=True) + call.attrs.eps)
    if not is_variable(norm) and not is_variable(data):
        return data / norm
    return data / _bcast(F, norm, data.shape)
