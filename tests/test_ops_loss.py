"""Loss layers: forward values, MXNet's gradient formulas (the head gradient is ignored),
label shape inference and errors."""
import numpy as np
import pytest

import pybridge as mx
from pybridge._compat import F, chainer
from pybridge.base import MXNetError
from pybridge.registry import OpCall, get_op


def run(op_name, data, label=None, head=None, **kw):
    """Forward and backward in graph mode; (output, data gradient, label gradient)."""
    op = get_op(op_name)
    attrs = op.parse_attrs(kw)
    vs = [chainer.Variable(np.asarray(data, np.float32))]
    if label is not None:
        vs.append(chainer.Variable(np.asarray(label, np.float32)))
    out = op.compute(OpCall(F, np, attrs, True, []), *vs)
    out.grad = np.asarray(head if head is not None else np.random.randn(*out.shape) * 10,
                          np.float32)
    out.backward()
    return out.array, vs[0].grad, (vs[1].grad if label is not None else None)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def close(a, b, tol=1e-5):
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# ---------------------------------------------------------------- SoftmaxOutput
def test_softmax_output_default_gradient_is_unnormalized():
    x = np.random.randn(6, 4).astype(np.float32)
    lab = np.array([0, 3, 1, 1, 2, 0])
    out, gx, gl = run("SoftmaxOutput", x, lab)
    p = softmax(x.astype(np.float64))
    close(out, p)
    close(gx, p - np.eye(4)[lab])          # head gradient ignored, no 1/batch
    assert gl is None or np.all(gl == 0)
    # imperative call and the 'Softmax' alias: same forward
    close(mx.nd.SoftmaxOutput(mx.nd.array(x), mx.nd.array(lab)).asnumpy(), p)
    close(mx.nd.Softmax(mx.nd.array(x), mx.nd.array(lab)).asnumpy(), p)


@pytest.mark.parametrize("normalization,grad_scale", [("null", 2.0), ("batch", 1.0), ("batch", 3.0),
                                                       ("valid", 1.0)])
def test_softmax_output_normalization_and_ignore(normalization, grad_scale):
    x = np.random.randn(8, 5).astype(np.float32)
    lab = np.array([0, 4, 2, 2, 1, 4, 3, 2])
    out, gx, _ = run("SoftmaxOutput", x, lab, grad_scale=grad_scale, normalization=normalization,
                     use_ignore=True, ignore_label=2)
    g = softmax(x.astype(np.float64)) - np.eye(5)[lab]
    g[lab == 2] = 0
    denom = {"null": 1, "batch": 8, "valid": int((lab != 2).sum())}[normalization]
    close(gx, g * grad_scale / denom)


def test_softmax_output_smoothing():
    x = np.random.randn(5, 4).astype(np.float32)
    lab = np.array([0, 1, 3, 2, 1])
    alpha = 0.2
    _, gx, _ = run("SoftmaxOutput", x, lab, smooth_alpha=alpha)
    target = np.full((5, 4), alpha / 3)
    target[np.arange(5), lab] = 1 - alpha
    close(gx, softmax(x.astype(np.float64)) - target)


def test_softmax_output_multi_output():
    x = np.random.randn(2, 4, 3, 2).astype(np.float32)
    lab = np.random.randint(0, 4, (2, 3, 2))
    p = softmax(x.astype(np.float64), axis=1)
    onehot = np.moveaxis(np.eye(4)[lab], -1, 1)
    for norm, denom in [("null", 6), ("batch", 12)]:   # MXNet divides by the spatial size too
        out, gx, _ = run("SoftmaxOutput", x, lab, multi_output=True, normalization=norm)
        close(out, p)
        close(gx, (p - onehot) / denom)
    out, gx, _ = run("SoftmaxOutput", x, lab, multi_output=True, normalization="valid",
                     use_ignore=True, ignore_label=1)
    keep = (lab != 1)[:, None]
    close(gx, (p - onehot) * keep / max(keep.sum(), 1))


def test_softmax_output_preserve_shape_and_probability_labels():
    x = np.random.randn(2, 3, 4).astype(np.float32)
    lab = np.random.randint(0, 4, (2, 3))
    out, gx, _ = run("SoftmaxOutput", x, lab, preserve_shape=True)
    p = softmax(x.astype(np.float64), axis=-1)
    close(out, p)
    close(gx, p - np.eye(4)[lab])
    probs = softmax(np.random.randn(2, 3, 4))
    _, gx, _ = run("SoftmaxOutput", x, probs, preserve_shape=True, grad_scale=0.5)
    close(gx, (p - probs) * 0.5)


def test_softmax_output_out_grad_matches_mxnet():
    # MXNet 1.9.1's backward node does not receive the head gradient; with out_grad=True it
    # multiplies by the softmax output instead
    x = np.random.randn(4, 3).astype(np.float32)
    lab = np.array([0, 2, 1, 1])
    out, gx, _ = run("SoftmaxOutput", x, lab, out_grad=True)
    p = softmax(x.astype(np.float64))
    close(gx, (p - np.eye(3)[lab]) * p)


def test_softmax_output_infer_shape():
    op = get_op("SoftmaxOutput")
    attrs = op.parse_attrs({})
    assert op.infer_shape(attrs, [(8, 10), None]) == ([(8, 10), (8,)], [(8, 10)], [])
    assert op.infer_shape(attrs, [(8, 3, 10), None])[0][1] == (8, 3)
    assert op.infer_shape(attrs, [(8, 10), (8, 10)])[0][1] == (8, 10)   # probabilities
    multi = op.parse_attrs({"multi_output": True})
    assert op.infer_shape(multi, [(2, 4, 3, 5), None])[0][1] == (2, 15)
    assert op.infer_shape(multi, [(2, 4, 3, 5), (2, 3, 5)])[0][1] == (2, 3, 5)
    with pytest.raises(MXNetError, match="SoftmaxOutput.*label"):
        op.infer_shape(attrs, [(8, 10), (7,)])
    with pytest.raises(MXNetError, match="SoftmaxOutput.*label"):
        op.infer_shape(multi, [(2, 4, 3, 5), (2, 7)])
    assert op.input_names(attrs) == ["data", "label"]


def test_softmax_output_errors():
    x, lab = mx.nd.ones((2, 3)), mx.nd.zeros((2,))
    with pytest.raises(MXNetError, match="SoftmaxOutput: invalid value 'mean' for parameter "
                                         "'normalization'"):
        mx.nd.SoftmaxOutput(x, lab, normalization="mean")
    with pytest.raises(MXNetError, match="SoftmaxOutput: unknown parameter 'scale'"):
        mx.nd.SoftmaxOutput(x, lab, scale=2)
    with pytest.raises(MXNetError, match="SoftmaxOutput.*smooth_alpha"):
        mx.nd.SoftmaxOutput(x, lab, smooth_alpha=2.0)


# ---------------------------------------------------------------- regression outputs
def sigmoid(x):
    return 1 / (1 + np.exp(-x))


REGRESSIONS = {
    "LinearRegressionOutput": (lambda x: x, lambda o, l: o - l),
    "LogisticRegressionOutput": (sigmoid, lambda o, l: o - l),
    "MAERegressionOutput": (lambda x: x, lambda o, l: np.where(o - l > 0, 1.0, -1.0)),
}


@pytest.mark.parametrize("name", sorted(REGRESSIONS))
@pytest.mark.parametrize("shape", [(5, 3), (4, 1), (3, 2, 2)])
def test_regression_outputs(name, shape):
    link, grad = REGRESSIONS[name]
    x = np.random.randn(*shape).astype(np.float32)
    lab = np.random.randn(*shape).astype(np.float32)
    out, gx, gl = run(name, x, lab, grad_scale=1.5)
    o = link(x.astype(np.float64))
    close(out, o)
    num_output = np.prod(shape[1:])          # MXNet scales by label.size / batch size
    close(gx, grad(o, lab) * 1.5 / num_output)
    assert gl is None or np.all(gl == 0)
    close(getattr(mx.nd, name)(mx.nd.array(x), mx.nd.array(lab)).asnumpy(), o)


def test_regression_one_dimensional_label():
    x = np.random.randn(6, 1).astype(np.float32)
    lab = np.random.randn(6).astype(np.float32)
    _, gx, _ = run("LinearRegressionOutput", x, lab)
    close(gx, x - lab[:, None])
    op = get_op("LinearRegressionOutput")
    attrs = op.parse_attrs({})
    assert op.infer_shape(attrs, [(6, 1), None])[0][1] == (6,)
    assert op.infer_shape(attrs, [(6, 3), None])[0][1] == (6, 3)
    with pytest.raises(MXNetError, match="LinearRegressionOutput.*label"):
        op.infer_shape(attrs, [(6, 3), (6, 2)])
    with pytest.raises(MXNetError, match="LogisticRegressionOutput.*label"):
        mx.nd.LogisticRegressionOutput(mx.nd.ones((4, 3)), mx.nd.ones((4, 2)))


# ---------------------------------------------------------------- MakeLoss
@pytest.mark.parametrize("normalization", ["null", "batch", "valid"])
def test_make_loss(normalization):
    x = np.random.randn(5, 4).astype(np.float32)
    out, gx, _ = run("MakeLoss", x, grad_scale=2.0, normalization=normalization,
                     valid_thresh=0.3)
    close(out, x)
    denom = {"null": 1, "batch": 5, "valid": max((x > 0.3).sum(), 1)}[normalization]
    close(gx, np.full(x.shape, 2.0 / denom))
    close(mx.nd.make_loss(mx.nd.array(x)).asnumpy(), x)


def test_softmax_output_one_dimensional_data_is_one_row():
    # MXNet 1.9.1 (oneDNN build) takes the softmax of a 1-D input over the whole vector
    x = np.random.randn(5).astype(np.float32)
    out, gx, _ = run("SoftmaxOutput", x, np.array(3.0))
    p = softmax(x.astype(np.float64))
    close(out, p)
    close(gx, p - np.eye(5)[3])


def test_every_nn_and_loss_operator_is_tested():
    """Each operator of the nn and loss families is named in these test files."""
    import pathlib
    from pybridge.registry import all_ops
    here = pathlib.Path(__file__).parent
    text = "".join((here / f).read_text() for f in ("test_ops_nn.py", "test_ops_loss.py",
                                                     "test_gradients.py"))
    ours = {name for name, op in all_ops().items()
            if op.compute.__module__.startswith(("pybridge.ops.nn", "pybridge.ops.loss"))}
    assert len(ours) >= 20
    missing = sorted(name for name in ours if f'"{name}"' not in text and f".{name}(" not in text)
    assert not missing, f"nn/loss operators without a test: {missing}"


def test_softmax_cross_entropy():
    x = np.random.randn(6, 4).astype(np.float32)
    lab = np.array([0, 3, 1, 1, 2, 0])
    p = softmax(x.astype(np.float64))
    want = -np.log(p[np.arange(6), lab]).sum()
    got = mx.nd.softmax_cross_entropy(mx.nd.array(x), mx.nd.array(lab))
    assert got.shape == (1,)
    close(got.asnumpy(), [want])
    out, gx, _ = run("softmax_cross_entropy", x, lab, head=np.array([2.0]))
    close(out, [want])
    close(gx, 2.0 * (p - np.eye(4)[lab]))     # an ordinary loss: scaled by the head gradient
    op = get_op("softmax_cross_entropy")
    assert op.infer_shape(op.parse_attrs({}), [(6, 4), None]) == ([(6, 4), (6,)], [(1,)], [])
    with pytest.raises(MXNetError, match="softmax_cross_entropy"):
        mx.nd.softmax_cross_entropy(mx.nd.array(x), mx.nd.array(lab[:4]))
