"""Normalization and regularization layers: BatchNorm, LRN, Dropout, BlockGrad."""
from .._compat import chainer
from ..base import MXNetError
from ..registry import Kind, Param, register
from ._util import infer_same_as_first, is_variable, raw
from .nn_common import assign_shape
from .nn_random import uniform


# ------------------------------------------------------------------ BatchNorm
class _UpdateOnBackward(chainer.function_node.FunctionNode):
    """Identity whose backward pass runs ``update``.

    MXNet updates BatchNorm's moving statistics in the backward pass (a forward pass in
    training mode alone leaves them unchanged; each backward pass updates once more); this
    node puts the update there.
    """

    def __init__(self, update):
        super().__init__()
        self._update = update

    def forward(self, inputs):
        return inputs[0],

    def backward(self, indexes, grad_outputs):
        self._update()
        return grad_outputs


def _bn_axis(attrs, ndim):
    axis = attrs.axis
    if not -ndim <= axis < ndim:
        raise MXNetError(f"BatchNorm: 'axis' {axis} is out of range for data of {ndim} dimensions")
    return axis % ndim


def _bn_outputs(attrs):
    return ["output", "mean", "var"] if attrs.output_mean_var else ["output"]


def _bn_infer(attrs, shapes):
    data = shapes[0]
    if data is None:
        return shapes, [None] * len(_bn_outputs(attrs)), [None, None]
    c = (data[_bn_axis(attrs, len(data))],)
    assign_shape("BatchNorm", shapes, 1, "gamma", c)
    assign_shape("BatchNorm", shapes, 2, "beta", c)
    outs = [tuple(data)] + ([c, c] if attrs.output_mean_var else [])
    return shapes, outs, [c, c]


def fixed_gamma(attrs, xp, gamma):
    """gamma, or ones when 'fix_gamma' (MXNet then writes 1 into gamma; it gets no gradient)."""
    if not attrs.fix_gamma:
        return gamma
    raw(gamma)[...] = 1
    return xp.ones(raw(gamma).shape[0], dtype=raw(gamma).dtype)


def inverse_std(attrs, xp, var, dt):
    return (1.0 / xp.sqrt(var.astype(dt) + dt(attrs.eps))).astype(dt)


def affine(gamma, beta, mean, invstd, dt):
    """Per-channel (scale, shift) with normalized x = x * scale + shift."""
    scale = raw(gamma).astype(dt) * invstd
    return scale, raw(beta).astype(dt) - mean.astype(dt) * scale


def inference_affine(attrs, xp, gamma, beta, moving_mean, moving_var, dt):
    """BatchNorm without batch statistics as (scale, shift) in dtype dt (gamma as the op
    treats it: set to 1 when 'fix_gamma')."""
    gamma = fixed_gamma(attrs, xp, gamma)
    return affine(gamma, beta, moving_mean, inverse_std(attrs, xp, moving_var, dt), dt)


_BN_PARAMS = [
    Param("eps", Kind.float, 1e-3, doc="added to the variance before the square root"),
    Param("momentum", Kind.float, 0.9, doc="moving average factor of the moving statistics"),
    Param("fix_gamma", Kind.bool, True, doc="fix gamma to 1 (no gradient)"),
    Param("use_global_stats", Kind.bool, False,
          doc="normalize with the moving statistics in training too"),
    Param("output_mean_var", Kind.bool, False, doc="also output the mean and the inverse std"),
    Param("axis", Kind.int, 1, doc="the channel axis"),
    Param("cudnn_off", Kind.bool, False, doc="accepted and ignored"),
    Param("min_calib_range", Kind.opt_float, None, doc="accepted and ignored (quantization)"),
    Param("max_calib_range", Kind.opt_float, None, doc="accepted and ignored (quantization)"),
]


@register("BatchNorm", inputs=("data", "gamma", "beta"), aux=("moving_mean", "moving_var"),
          outputs=_bn_outputs, infer_shape=_bn_infer, params=_BN_PARAMS)
def batch_norm(call, data, gamma, beta):
    """Batch normalization over every axis but 'axis', with moving statistics as aux states."""
    a, xp = call.attrs, call.xp
    if len(call.aux) != 2:
        raise MXNetError("BatchNorm: auxiliary states 'moving_mean' and 'moving_var' are required")
    moving_mean, moving_var = (raw(v) for v in call.aux)
    ndim = data.ndim
    axis = _bn_axis(a, ndim)
    c = data.shape[axis]
    for name, arr in (("gamma", gamma), ("beta", beta), ("moving_mean", moving_mean),
                      ("moving_var", moving_var)):
        if tuple(arr.shape) != (c,):
            raise MXNetError(f"BatchNorm: '{name}' has shape {tuple(arr.shape)}, expected ({c},)")
    reduce_axes = tuple(i for i in range(ndim) if i != axis)
    bshape = tuple(c if i == axis else 1 for i in range(ndim))
    x = raw(data)
    dt = x.dtype.type
    gamma = fixed_gamma(a, xp, gamma)
    use_batch = call.is_train and not a.use_global_stats
    if use_batch:
        mean = x.mean(axis=reduce_axes)
        var = x.var(axis=reduce_axes)   # biased, as MXNet stores it

        def update():
            m = dt(a.momentum)
            moving_mean[...] = moving_mean * m + mean.astype(moving_mean.dtype) * (1 - m)
            moving_var[...] = moving_var * m + var.astype(moving_var.dtype) * (1 - m)
    else:
        mean, var, update = moving_mean, moving_var, None
    invstd = inverse_std(a, xp, var, dt)

    if is_variable(data) or is_variable(gamma) or is_variable(beta):
        F = call.F
        if use_batch:
            out = F.batch_normalization(data, gamma, beta, eps=a.eps, axis=reduce_axes)
            out = _UpdateOnBackward(update).apply((out,))[0]
        else:
            out = F.fixed_batch_normalization(data, gamma, beta, mean.astype(dt), var.astype(dt),
                                              eps=a.eps, axis=reduce_axes)
    else:
        scale, shift = affine(gamma, beta, mean, invstd, dt)
        out = x * scale.reshape(bshape)          # two passes over the data
        out += shift.reshape(bshape)
        if update is not None:   # imperative training: no backward pass will follow
            update()
    if a.output_mean_var:
        return out, mean.astype(dt), invstd
    return out


# ------------------------------------------------------------------ LRN
@register("LRN", infer_shape=infer_same_as_first, params=[
    Param("alpha", Kind.float, 1e-4, doc="scale of the sum of squares"),
    Param("beta", Kind.float, 0.75, doc="exponent"),
    Param("knorm", Kind.float, 2.0, doc="additive constant"),
    Param("nsize", Kind.int, doc="number of neighbouring channels summed (odd)"),
])
def lrn(call, data):
    """Local response normalization across channels:
    ``x / (knorm + alpha / nsize * sum_{nsize channels} x^2) ^ beta``."""
    a = call.attrs
    if data.ndim != 4:
        raise MXNetError(f"LRN: input data must be 4-D (batch, channel, y, x), got shape "
                         f"{tuple(data.shape)}")
    if a.nsize < 1 or a.nsize % 2 != 1:
        raise MXNetError(f"LRN: 'nsize' must be a positive odd number (LRN only supports odd "
                         f"values for local_size), got {a.nsize}")
    return call.F.local_response_normalization(data, n=a.nsize, k=a.knorm,
                                               alpha=a.alpha / a.nsize, beta=a.beta)


# ------------------------------------------------------------------ Dropout
@register("Dropout", infer_shape=infer_same_as_first, params=[
    Param("p", Kind.float, 0.5, doc="fraction of the input dropped in training"),
    Param("mode", Kind.str, "training", choices=("always", "training"),
          doc="training: only when training; always: also in inference"),
    Param("axes", Kind.shape, (), doc="axes along which one mask value is shared"),
    Param("cudnn_off", Kind.bool, False, doc="accepted and ignored"),
])
def dropout(call, data):
    """Zeroes elements with probability p and scales the rest by 1/(1-p) (inverted dropout)."""
    a = call.attrs
    if not 0 <= a.p <= 1:
        raise MXNetError(f"Dropout: 'p' must be in [0, 1], got {a.p}")
    if not (call.is_train or a.mode == "always") or a.p == 0:
        return data
    shape = list(data.shape)
    for ax in a.axes:
        if not -len(shape) <= ax < len(shape):
            raise MXNetError(f"Dropout: axis {ax} in 'axes' is out of range for data of shape "
                             f"{tuple(data.shape)}")
        shape[ax] = 1
    dt = raw(data).dtype
    keep = 1.0 - a.p
    draw = uniform(call.xp, 0.0, 1.0, tuple(shape), dt)
    mask = (draw < keep).astype(dt) * dt.type(1.0 / keep if keep > 0 else 0.0)
    if tuple(shape) != tuple(data.shape):
        mask = call.xp.broadcast_to(mask, data.shape)
    return data * mask


# ------------------------------------------------------------------ BlockGrad
@register("BlockGrad", aliases=("stop_gradient",), infer_shape=infer_same_as_first)
def block_grad(call, data):
    """Identity in the forward pass; no gradient flows back to 'data'."""
    if is_variable(data):
        return chainer.Variable(data.array, requires_grad=False)
    return data
