"""Activation layers: Activation, LeakyReLU (leaky/elu/prelu/selu/gelu/rrelu), SoftmaxActivation."""
import math

from .._compat import chainer
from ..base import MXNetError
from ..registry import Kind, Param, register
from ._util import infer_same_as_first, is_variable, raw
from .nn_common import assign_shape
from .nn_random import uniform


def _softsign(call, x):
    return x / (abs(x) + 1) if not is_variable(x) else x / (call.F.absolute(x) + 1)


def _softrelu(call, x):
    if not is_variable(x):   # log(1 + exp(x)), stable for large |x|
        xp = call.xp
        return (xp.maximum(x, 0) + xp.log1p(xp.exp(-xp.abs(x)))).astype(x.dtype, copy=False)
    return call.F.softplus(x)


_ACTIVATIONS = {
    "relu": lambda c, x: c.F.relu(x),
    "sigmoid": lambda c, x: c.F.sigmoid(x),
    "tanh": lambda c, x: c.F.tanh(x),
    "softrelu": _softrelu,
    "softsign": _softsign,
}


@register("Activation", infer_shape=infer_same_as_first, params=[
    Param("act_type", Kind.str, choices=tuple(sorted(_ACTIVATIONS)),
          doc="activation function: relu, sigmoid, tanh, softrelu (log(1+exp(x))), softsign "
              "(x/(1+|x|))"),
])
def activation(call, data):
    """Elementwise activation function."""
    return _ACTIVATIONS[call.attrs.act_type](call, data)


# ------------------------------------------------------------------ LeakyReLU
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_LAMBDA = 1.0507009873554804934193349852946


def _leaky_inputs(attrs):
    return ["data", "gamma"] if attrs.act_type == "prelu" else ["data"]


def _leaky_infer(attrs, shapes):
    data = shapes[0]
    if attrs.act_type == "prelu" and data is not None:
        if shapes[1] is None or tuple(shapes[1]) != (1,):   # one shared slope is allowed
            assign_shape("LeakyReLU", shapes, 1, "gamma", (data[1] if len(data) > 1 else 1,))
    return shapes, [data], []


def _negative_part(call, x, slope_x):
    """x where x > 0, else ``slope_x`` (an expression of x)."""
    mask = raw(x) > 0
    if is_variable(x):
        return call.F.where(mask, x, slope_x)
    return call.xp.where(mask, x, slope_x).astype(x.dtype, copy=False)


def _expm1(call, x):
    if is_variable(x):
        return call.F.expm1(x)
    return call.xp.expm1(x)


def _selu(xp, x):
    dt = x.dtype.type
    neg = xp.expm1(xp.minimum(x, 0)) * dt(_SELU_ALPHA)
    return (xp.where(x > 0, x, neg) * dt(_SELU_LAMBDA)).astype(x.dtype, copy=False)


class _SeluNode(chainer.function_node.FunctionNode):
    """SELU with MXNet 1.9.1's gradient, computed from the output y: lambda where x > 0, else
    ``lambda * (alpha + y)`` (the exact derivative would be ``lambda * alpha + y``)."""

    def forward(self, inputs):
        xp = chainer.backend.get_array_module(inputs[0])
        self.retain_outputs((0,))
        return _selu(xp, inputs[0]),

    def backward(self, indexes, grad_outputs):
        y = self.get_retained_outputs()[0].array
        xp = chainer.backend.get_array_module(y)
        dt = y.dtype.type
        local = xp.where(y > 0, dt(_SELU_LAMBDA), dt(_SELU_LAMBDA) * (dt(_SELU_ALPHA) + y))
        return chainer.Variable(local.astype(y.dtype, copy=False) * grad_outputs[0].array),


def _gelu(call, x):
    xp_erf = call.F.erf(x * (1.0 / math.sqrt(2.0)))
    return x * (xp_erf + 1) * 0.5


@register("LeakyReLU", inputs=_leaky_inputs, infer_shape=_leaky_infer, params=[
    Param("act_type", Kind.str, "leaky", choices=("elu", "gelu", "leaky", "prelu", "rrelu", "selu"),
          doc="activation: leaky, elu, prelu (learned slope 'gamma'), selu, gelu, rrelu"),
    Param("slope", Kind.float, 0.25, doc="negative slope (leaky) or alpha (elu)"),
    Param("lower_bound", Kind.float, 0.125, doc="rrelu: lower bound of the random slope"),
    Param("upper_bound", Kind.float, 0.334, doc="rrelu: upper bound of the random slope"),
])
def leaky_relu(call, data, gamma=None):
    """Leaky rectified linear units and their variants."""
    a, F = call.attrs, call.F
    kind = a.act_type
    dt = raw(data).dtype.type
    if kind == "leaky":
        return _negative_part(call, data, data * dt(a.slope))
    if kind == "elu":
        return _negative_part(call, data, _expm1(call, data) * dt(a.slope))
    if kind == "selu":
        if is_variable(data):
            return _SeluNode().apply((data,))[0]
        return _selu(call.xp, data)
    if kind == "gelu":
        return _gelu(call, data)
    if kind == "rrelu":
        if call.is_train:
            slopes = uniform(call.xp, a.lower_bound, a.upper_bound, data.shape, raw(data).dtype)
        else:
            slopes = dt((a.lower_bound + a.upper_bound) / 2)
        return _negative_part(call, data, data * slopes)
    # prelu: one slope per channel (axis 1), or one slope for all
    if gamma.ndim != 1 or (gamma.shape[0] != 1 and (data.ndim < 2 or gamma.shape[0] != data.shape[1])):
        raise MXNetError(f"LeakyReLU: 'gamma' has shape {tuple(gamma.shape)}, expected "
                         f"({data.shape[1] if data.ndim > 1 else 1},)")
    shape = [1] * data.ndim
    if gamma.shape[0] != 1:
        shape[1] = gamma.shape[0]
    g = F.broadcast_to(F.reshape(gamma, tuple(shape)), data.shape)
    return _negative_part(call, data, data * g)


# ------------------------------------------------------------------ SoftmaxActivation
def softmax_rows(xp, x, axis):
    """Numerically stable softmax of an array along ``axis``."""
    e = xp.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


class _SoftmaxActivationNode(chainer.function_node.FunctionNode):
    """Softmax along ``axis``; the backward pass is MXNet's, which always works along axis 1:
    ``dx = y * (dy - sum(dy * y, axis=1))`` (exact for mode 'channel' and for 2-D data)."""

    def __init__(self, axis):
        super().__init__()
        self.axis = axis

    def forward(self, inputs):
        xp = chainer.backend.get_array_module(inputs[0])
        self.retain_outputs((0,))
        return softmax_rows(xp, inputs[0], self.axis),

    def backward(self, indexes, grad_outputs):
        y = self.get_retained_outputs()[0].array
        gy = grad_outputs[0].array
        n, c = y.shape[0], y.shape[1]
        y3, g3 = y.reshape(n, c, -1), gy.reshape(n, c, -1)
        gx = y3 * (g3 - (g3 * y3).sum(axis=1, keepdims=True))
        return chainer.Variable(gx.reshape(y.shape)),


@register("SoftmaxActivation", infer_shape=infer_same_as_first, params=[
    Param("mode", Kind.str, "instance", choices=("channel", "instance"),
          doc="instance: softmax over the last axis; channel: over axis 1"),
])
def softmax_activation(call, data):
    """Softmax over the last axis (instance) or over axis 1 (channel)."""
    if data.ndim < 2:
        raise MXNetError(f"SoftmaxActivation: input needs at least 2 dimensions, got shape "
                         f"{tuple(data.shape)}")
    if call.attrs.mode == "channel" and data.ndim < 3:
        raise MXNetError("SoftmaxActivation: input needs at least 3 dimensions when "
                         "mode='channel'")
    # 'instance' is MXNet's FlatTo2D view: softmax over the last axis
    axis = 1 if call.attrs.mode == "channel" else data.ndim - 1
    if not is_variable(data):
        return softmax_rows(call.xp, data, axis)
    return _SoftmaxActivationNode(axis).apply((data,))[0]
