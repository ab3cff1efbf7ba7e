"""Loss layers with MXNet's gradient semantics.

SoftmaxOutput, the regression outputs and MakeLoss emit their own gradient in the backward
pass and ignore the gradient arriving from above (except SoftmaxOutput with out_grad=True),
as MXNet does.  The label is an input and gets no gradient.  Each is a Chainer FunctionNode
for graphs; imperative calls run the same forward function on arrays.
"""
from .._compat import chainer
from ..base import MXNetError
from ..registry import Kind, Param, register
from ._util import is_variable, raw
from .nn_common import fmt, prod


def _apply(node, call, inputs):
    """Run ``node`` in a graph if any input is a Variable, else its forward on arrays."""
    if any(is_variable(x) for x in inputs):
        return node.apply(tuple(inputs))[0]
    return node.forward(tuple(raw(x) for x in inputs))[0]


def _softmax(xp, x, axis):
    e = xp.exp(x - x.max(axis=axis, keepdims=True))
    e /= e.sum(axis=axis, keepdims=True)
    return e


# ------------------------------------------------------------------ SoftmaxOutput
class SoftmaxOutputNode(chainer.function_node.FunctionNode):
    def __init__(self, attrs):
        super().__init__()
        self.attrs = attrs

    def _layout(self, shape):
        """How MXNet views the data: (rows, classes) or, with multi_output, (n, k, rest)."""
        a = self.attrs
        if a.multi_output:
            n, k = shape[0], shape[1]
            return (n, k, prod(shape) // max(n * k, 1))
        if a.preserve_shape or len(shape) == 1:   # 1-D data: one row (MXNet 1.9.1's oneDNN path)
            return (prod(shape[:-1]), shape[-1])
        return (shape[0], prod(shape) // max(shape[0], 1))

    def forward(self, inputs):
        data = inputs[0]
        xp = chainer.backend.get_array_module(data)
        view = self._layout(data.shape)
        out = _softmax(xp, data.reshape(view), 1).reshape(data.shape)
        self.retain_inputs((1,))
        self.retain_outputs((0,))
        return out,

    def backward(self, indexes, grad_outputs):
        a = self.attrs
        out = self.get_retained_outputs()[0].array
        label = self.get_retained_inputs()[0].array
        xp = chainer.backend.get_array_module(out)
        dt = out.dtype.type
        # MXNet 1.9.1's backward node is not given the output gradient: with out_grad=True
        # it multiplies by the output itself.  We reproduce that.
        ograd = out
        if label.shape == out.shape:      # probabilities as labels
            grad = (out - label) * dt(a.grad_scale)
            if a.out_grad:
                grad = grad * ograd
            return chainer.Variable(grad), None
        view = self._layout(out.shape)
        prob = out.reshape(view)
        lab = label.reshape(-1)
        # labels are compared as integers (MXNet casts them), as is ignore_label
        if a.multi_output:   # (n, k, rest): one label per (n, rest)
            n, k, rest = view
            lab = lab.reshape(n, rest)
            idx = lab.astype(xp.int64)
            onehot = (xp.arange(k).reshape(1, k, 1) == idx[:, None, :]).astype(dt)
            grad = prob - onehot
            if a.use_ignore:
                grad *= (idx != int(a.ignore_label))[:, None, :].astype(dt)
            if a.normalization == "valid":
                scale = a.grad_scale / _valid_count(xp, lab, a.ignore_label)
            elif a.normalization == "batch":
                scale = a.grad_scale / rest / n
            else:
                scale = a.grad_scale / rest
        else:
            rows, k = view
            if lab.size < rows:
                raise MXNetError(f"SoftmaxOutput: label of shape {fmt(label.shape)} does not fit "
                                 f"data of shape {fmt(out.shape)}")
            all_labels = lab
            lab = lab[:rows]   # MXNet reads one label per row (the first ones)
            idx = lab.astype(xp.int64)
            hit = xp.arange(k).reshape(1, k) == idx[:, None]
            if a.smooth_alpha == 0:
                grad = prob - hit.astype(dt)
            else:
                off = dt(a.smooth_alpha / (k - 1)) if k > 1 else dt(0)
                grad = prob - xp.where(hit, dt(1 - a.smooth_alpha), off)
            if a.use_ignore:
                grad *= (idx != int(a.ignore_label))[:, None].astype(dt)
            if a.normalization == "valid":
                scale = a.grad_scale / _valid_count(xp, all_labels, a.ignore_label)
            elif a.normalization == "batch":
                scale = a.grad_scale / all_labels.size
            else:
                scale = a.grad_scale
        grad = (grad * dt(scale)).reshape(out.shape).astype(dt, copy=False)
        if a.out_grad:
            grad = grad * ograd
        return chainer.Variable(grad), None


def _valid_count(xp, label, ignore_label):
    # MXNet compares labels as ints with the int of ignore_label, whatever use_ignore says
    count = int((label.astype(xp.int64) != int(ignore_label)).sum())
    return max(count, 1)


def _softmax_output_infer(attrs, shapes):
    data, label = shapes
    if data is None:
        return shapes, [None], []
    data = tuple(data)
    if label is not None and tuple(label) == data:
        return shapes, [data], []
    if attrs.multi_output:
        n = data[0]
        l1 = (n, prod(data) // max(n * data[1], 1))
        l2 = (n,) + data[2:]
        l3 = (n, 1) + data[2:]
        if label is None:
            shapes[1] = l1
        elif tuple(label) not in (l1, l2, l3):
            raise MXNetError(f"SoftmaxOutput: shape inconsistent for input 'label': expecting "
                             f"{fmt(l1)} or {fmt(l2)}, got {fmt(label)}")
    else:
        expected = data[:-1]
        if label is None:
            shapes[1] = expected
        elif tuple(label) != expected:
            raise MXNetError(f"SoftmaxOutput: shape inconsistent for input 'label': provided "
                             f"{fmt(label)}, inferred {fmt(expected)}")
    return shapes, [data], []


@register("SoftmaxOutput", aliases=("Softmax",), inputs=("data", "label"),
          infer_shape=_softmax_output_infer, params=[
    Param("grad_scale", Kind.float, 1.0, doc="scales the gradient"),
    Param("ignore_label", Kind.float, -1.0, doc="label ignored in backward if use_ignore"),
    Param("multi_output", Kind.bool, False, doc="softmax along axis 1, one label per position"),
    Param("use_ignore", Kind.bool, False, doc="give no gradient where label == ignore_label"),
    Param("preserve_shape", Kind.bool, False, doc="softmax along the last axis"),
    Param("normalization", Kind.str, "null", choices=("batch", "null", "valid"),
          doc="gradient normalization: null (none), batch (by batch size), valid (by the "
              "number of labels that are not ignore_label)"),
    Param("out_grad", Kind.bool, False, doc="multiply the gradient by the output gradient"),
    Param("smooth_alpha", Kind.float, 0.0, doc="label smoothing constant for backward"),
])
def softmax_output(call, data, label):
    """Softmax in the forward pass; cross-entropy gradient ``softmax - one_hot(label)`` in backward."""
    a = call.attrs
    if not 0 <= a.smooth_alpha <= 1:
        raise MXNetError(f"SoftmaxOutput: 'smooth_alpha' must be in [0, 1], got {a.smooth_alpha}")
    if data.ndim < 1 or (a.multi_output and data.ndim < 2):
        raise MXNetError(f"SoftmaxOutput: data of shape {fmt(data.shape)} is not supported")
    return _apply(SoftmaxOutputNode(a), call, (data, label))


# ------------------------------------------------------------------ regression outputs
class RegressionNode(chainer.function_node.FunctionNode):
    """Forward ``link(data)``; backward ``grad(out, label) * grad_scale / num_output``."""

    def __init__(self, link, grad, grad_scale):
        super().__init__()
        self.link, self.grad, self.grad_scale = link, grad, grad_scale

    def forward(self, inputs):
        data = inputs[0]
        xp = chainer.backend.get_array_module(data)
        self.retain_inputs((1,))
        self.retain_outputs((0,))
        return self.link(xp, data).astype(data.dtype, copy=False),

    def backward(self, indexes, grad_outputs):
        out = self.get_retained_outputs()[0].array
        label = self.get_retained_inputs()[0].array
        xp = chainer.backend.get_array_module(out)
        # MXNet scales by the number of outputs per example (label size / batch size)
        num_output = label.size / label.shape[0] if label.ndim and label.shape[0] else 1.0
        diff = self.grad(xp, out, label.reshape(out.shape).astype(out.dtype, copy=False))
        grad = (diff * out.dtype.type(self.grad_scale / num_output)).astype(out.dtype, copy=False)
        return chainer.Variable(grad), None


def _regression_infer(name):
    def infer(attrs, shapes):
        data, label = shapes
        if data is None:
            return shapes, [None], []
        data = tuple(data)
        if label is None:
            # MXNet: a (N, 1) output takes a 1-D label (N,) by default
            shapes[1] = (data[0],) if len(data) == 2 and data[1] == 1 else data
        elif label[0] != data[0] or prod(label) != prod(data):
            raise MXNetError(f"{name}: shape inconsistent for input 'label': provided {fmt(label)}, "
                             f"inferred {fmt(data)}")
        return shapes, [data], []
    return infer


def _sigmoid(xp, x):
    return 1 / (1 + xp.exp(-x))


_REGRESSIONS = {
    "LinearRegressionOutput": (lambda xp, x: x, lambda xp, o, l: o - l,
                               "identity forward; gradient (out - label)"),
    "MAERegressionOutput": (lambda xp, x: x,
                            lambda xp, o, l: xp.where(o - l > 0, o.dtype.type(1), o.dtype.type(-1)),
                            "identity forward; gradient sign(out - label) (-1 where equal)"),
    "LogisticRegressionOutput": (_sigmoid, lambda xp, o, l: o - l,
                                 "sigmoid forward; gradient (out - label)"),
}


def _define_regression(name, link, grad, what):
    def compute(call, data, label):
        if label.ndim == 0 or (data.ndim and label.shape[0] != data.shape[0]) or \
                label.size != prod(data.shape):
            raise MXNetError(f"{name}: label of shape {fmt(label.shape)} does not fit data of "
                             f"shape {fmt(data.shape)}")
        return _apply(RegressionNode(link, grad, call.attrs.grad_scale), call, (data, label))
    compute.__doc__ = f"Regression output layer: {what}, scaled by grad_scale / num_output."
    register(name, inputs=("data", "label"), infer_shape=_regression_infer(name), params=[
        Param("grad_scale", Kind.float, 1.0, doc="scales the gradient"),
    ])(compute)


for _name, (_link, _grad, _what) in _REGRESSIONS.items():
    _define_regression(_name, _link, _grad, _what)


# ------------------------------------------------------------------ MakeLoss
class MakeLossNode(chainer.function_node.FunctionNode):
    def __init__(self, attrs):
        super().__init__()
        self.attrs = attrs

    def forward(self, inputs):
        data = inputs[0]
        if self.attrs.normalization == "valid":
            self.retain_inputs((0,))
        self._shape, self._dtype = data.shape, data.dtype
        return data.copy(),

    def backward(self, indexes, grad_outputs):
        a = self.attrs
        xp = chainer.backend.get_array_module(grad_outputs[0].array)
        scale = a.grad_scale
        if a.normalization == "batch":
            scale /= self._shape[0] if len(self._shape) else 1
        elif a.normalization == "valid":
            data = self.get_retained_inputs()[0].array
            scale /= max(float((data > a.valid_thresh).sum()), 1.0)
        return chainer.Variable(xp.full(self._shape, scale, dtype=self._dtype)),


@register("MakeLoss", aliases=("make_loss",), params=[
    Param("grad_scale", Kind.float, 1.0, doc="gradient scale"),
    Param("valid_thresh", Kind.float, 0.0, doc="'valid' normalization counts data > this"),
    Param("normalization", Kind.str, "null", choices=("batch", "null", "valid"),
          doc="divide the gradient by nothing, the batch size, or the count of valid elements"),
])
def make_loss(call, data):
    """Treats its input as a loss: identity forward, gradient ``grad_scale`` (normalized) backward."""
    return _apply(MakeLossNode(call.attrs), call, (data,))


# ------------------------------------------------------------------ softmax_cross_entropy
def _sce_infer(attrs, shapes):
    data, label = shapes
    if data is None:
        return shapes, [(1,)], []
    if len(data) != 2:
        raise MXNetError(f"softmax_cross_entropy: data must be 2-D (batch, classes), got "
                         f"{fmt(data)}")
    if label is None:
        shapes[1] = (data[0],)
    elif tuple(label) != (data[0],):
        raise MXNetError(f"softmax_cross_entropy: shape inconsistent for input 'label': provided "
                         f"{fmt(label)}, inferred ({data[0]},)")
    return shapes, [(1,)], []


@register("softmax_cross_entropy", inputs=("data", "label"), infer_shape=_sce_infer)
def softmax_cross_entropy(call, data, label):
    """Sum over the batch of ``-log(softmax(data)[label])``; an array of shape (1,)."""
    if data.ndim != 2 or label.shape != (data.shape[0],):
        raise MXNetError(f"softmax_cross_entropy: data must be (batch, classes) and label "
                         f"(batch,), got {fmt(data.shape)} and {fmt(label.shape)}")
    xp = call.xp
    idx = raw(label).astype(xp.int32)
    if not is_variable(data):
        z = data - data.max(axis=1, keepdims=True)
        logp = z - xp.log(xp.exp(z).sum(axis=1, keepdims=True))
        return -logp[xp.arange(data.shape[0]), idx].sum(keepdims=True).astype(data.dtype)
    F = call.F
    return F.reshape(F.sum(F.softmax_cross_entropy(data, idx, reduce="no")), (1,))
