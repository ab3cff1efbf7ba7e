"""Gradients of the nn operators against finite differences (float64, Chainer's check_backward),
and the few places where MXNet's gradient is not the exact derivative (checked against
MXNet's formula instead)."""
import numpy as np
import pytest

from pybridge._compat import F, chainer
from pybridge.registry import OpCall, get_op
import pybridge.ops  # noqa: F401  (registers the operators)

from chainer import gradient_check  # noqa: E402  (after pybridge._compat)


def make_fn(op_name, aux=(), is_train=False, **kw):
    op = get_op(op_name)
    attrs = op.parse_attrs(kw)

    def fn(*xs):
        out = op.compute(OpCall(F, np, attrs, is_train, [a.copy() for a in aux]), *xs)
        return out[0] if isinstance(out, tuple) else out
    return fn


def check(op_name, inputs, aux=(), is_train=False, no_grads=None, atol=1e-5, rtol=1e-4, **kw):
    inputs = tuple(np.asarray(x, np.float64) for x in inputs)
    fn = make_fn(op_name, aux, is_train, **kw)
    y = fn(*[chainer.Variable(x.copy()) for x in inputs])
    gy = np.random.randn(*y.shape)
    gradient_check.check_backward(fn, inputs, gy, eps=1e-6, atol=atol, rtol=rtol,
                                  no_grads=no_grads, dtype=np.float64)


def r(*shape):
    return np.random.randn(*shape)


# ---------------------------------------------------------------- layers with parameters
@pytest.mark.parametrize("shape,flatten", [((3, 4), True), ((2, 3, 4), True), ((2, 3, 4), False)])
def test_fully_connected(shape, flatten):
    in_units = int(np.prod(shape[1:])) if flatten else shape[-1]
    check("FullyConnected", [r(*shape), r(5, in_units), r(5)], num_hidden=5, flatten=flatten)
    check("FullyConnected", [r(*shape), r(5, in_units)], num_hidden=5, flatten=flatten,
          no_bias=True)


@pytest.mark.parametrize("dshape,wshape,kw", [
    ((2, 3, 6, 5), (4, 3, 3, 2), dict(kernel=(3, 2), stride=(2, 1), pad=(1, 1))),
    ((1, 4, 6, 6), (4, 2, 2, 2), dict(kernel=(2, 2), num_group=2, dilate=(2, 2))),
    ((2, 3, 9), (2, 3, 3), dict(kernel=(3,), stride=(2,), pad=(1,))),
    ((1, 2, 4, 4, 3), (2, 2, 2, 2, 2), dict(kernel=(2, 2, 2))),
])
def test_convolution(dshape, wshape, kw):
    check("Convolution", [r(*dshape), r(*wshape), r(wshape[0])], num_filter=wshape[0], **kw)


@pytest.mark.parametrize("dshape,wshape,kw", [
    ((2, 3, 4, 3), (3, 2, 3, 3), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), adj=(1, 0))),
    ((1, 4, 3, 3), (4, 1, 2, 2), dict(kernel=(2, 2), num_group=2, dilate=(2, 1))),
    ((2, 3, 5), (3, 2, 3), dict(kernel=(3,), stride=(2,), target_shape=(10,))),
])
def test_deconvolution(dshape, wshape, kw):
    nf = wshape[1] * kw.get("num_group", 1)
    check("Deconvolution", [r(*dshape), r(*wshape), r(nf)], num_filter=nf, no_bias=False, **kw)


@pytest.mark.parametrize("is_train,global_stats", [(True, False), (False, False), (True, True)])
def test_batch_norm(is_train, global_stats):
    x = r(4, 3, 2, 3)
    aux = [r(3), np.abs(r(3)) + 0.5]
    check("BatchNorm", [x, np.abs(r(3)) + 0.5, r(3)], aux=aux, is_train=is_train,
          fix_gamma=False, use_global_stats=global_stats, atol=1e-4, rtol=1e-3)


def test_batch_norm_last_axis():
    check("BatchNorm", [r(5, 2, 4), np.abs(r(4)) + 0.5, r(4)], aux=[r(4), np.abs(r(4)) + 0.5],
          is_train=True, fix_gamma=False, axis=-1, atol=1e-4, rtol=1e-3)


def test_batch_norm_fix_gamma():
    x = r(4, 3, 2, 2)
    check("BatchNorm", [x, np.ones(3), r(3)], aux=[r(3), np.ones(3)], is_train=True,
          no_grads=[False, True, False], atol=1e-4, rtol=1e-3)


def test_embedding():
    idx = np.array([[0, 3, 1], [2, 3, 3]], np.float64)
    check("Embedding", [idx, r(5, 4)], no_grads=[True, False], input_dim=5, output_dim=4)


def test_prelu():
    x = r(3, 4, 5)
    x[np.abs(x) < 1e-3] = 0.5     # keep away from the kink
    check("LeakyReLU", [x, np.abs(r(4))], act_type="prelu")


# ---------------------------------------------------------------- activations
def away_from_zero(*shape):
    x = r(*shape)
    x[np.abs(x) < 1e-3] += 0.01
    return x


@pytest.mark.parametrize("act", ["relu", "sigmoid", "tanh", "softrelu", "softsign"])
def test_activation(act):
    check("Activation", [away_from_zero(3, 4)], act_type=act)


@pytest.mark.parametrize("act", ["leaky", "elu", "gelu"])
def test_leaky_relu(act):
    check("LeakyReLU", [away_from_zero(3, 5)], act_type=act, slope=0.2)


def test_rrelu_inference():
    check("LeakyReLU", [away_from_zero(3, 5)], act_type="rrelu")


def test_selu_uses_mxnet_gradient():
    # MXNet 1.9.1 computes SELU's gradient from the output y: lambda where x > 0, else
    # lambda * (alpha + y); we reproduce that rather than the exact derivative
    lam, alpha = 1.0507009873554804934193349852946, 1.6732632423543772848170429916717
    x = chainer.Variable(away_from_zero(4, 5))
    y = make_fn("LeakyReLU", act_type="selu")(x)
    gy = r(4, 5)
    y.grad = gy
    y.backward()
    want = np.where(x.array > 0, lam, lam * (alpha + y.array)) * gy
    np.testing.assert_allclose(x.grad, want, rtol=1e-12)
    # the forward value itself is exact
    np.testing.assert_allclose(y.array, lam * np.where(x.array > 0, x.array,
                                                       alpha * np.expm1(x.array)), rtol=1e-12)


@pytest.mark.parametrize("mode,shape", [("channel", (2, 3, 4)), ("instance", (3, 5))])
def test_softmax_activation(mode, shape):
    check("SoftmaxActivation", [r(*shape)], mode=mode)


def test_lrn():
    check("LRN", [r(2, 5, 3, 3)], nsize=3, alpha=0.1, beta=0.75, knorm=2.0)


# ---------------------------------------------------------------- pooling
@pytest.mark.parametrize("kw", [
    dict(kernel=(2, 2), stride=(2, 2), pool_type="max"),
    dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max", pooling_convention="full"),
    dict(kernel=(3, 2), stride=(2, 2), pad=(1, 0), pool_type="avg"),
    dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="avg", pooling_convention="full",
         count_include_pad=False),
    dict(kernel=(2, 3), stride=(1, 2), pool_type="sum", pooling_convention="full"),
    dict(kernel=(2, 2), stride=(1, 1), pool_type="lp", p_value=2),
    dict(kernel=(1, 1), global_pool=True, pool_type="avg"),
    dict(kernel=(1, 1), global_pool=True, pool_type="max"),
    dict(kernel=(3,), stride=(2,), pad=(1,), pool_type="avg"),
    dict(kernel=(3,), stride=(2,), pool_type="max", pooling_convention="same"),
    dict(kernel=(2, 2, 3), stride=(1, 2, 2), pad=(1, 0, 1), pool_type="max"),
    dict(kernel=(2, 2, 3), stride=(1, 2, 2), pad=(1, 0, 1), pool_type="avg",
         count_include_pad=False),
])
def test_pooling(kw):
    shape = {1: (2, 3, 7), 2: (2, 3, 5, 7), 3: (1, 2, 3, 4, 5)}[len(kw["kernel"])]
    if kw.get("global_pool"):
        shape = (2, 3, 5, 7)
    # distinct values so that max pooling has a unique argmax under perturbation
    x = np.random.permutation(np.prod(shape)).reshape(shape) * 0.01 + r(*shape) * 1e-4
    if kw["pool_type"] == "lp":
        x = np.abs(x) + 0.1
    check("Pooling", [x], **kw)


# ---------------------------------------------------------------- Dropout, BlockGrad
def test_dropout_gradient_uses_the_same_mask():
    x = chainer.Variable(r(30, 20) + 3)
    y = make_fn("Dropout", is_train=True, p=0.4)(x)
    gy = r(30, 20)
    y.grad = gy
    y.backward()
    mask = y.array / x.array
    np.testing.assert_allclose(x.grad, gy * mask, rtol=1e-12)
    assert set(np.round(np.unique(mask), 9)) == {0.0, round(1 / 0.6, 9)}


def test_max_pooling_ties_send_the_gradient_to_the_first_maximum():
    x = chainer.Variable(np.zeros((1, 1, 4, 4)))
    x.array[0, 0, 1, 1] = x.array[0, 0, 1, 0] = 1.0     # a tie in the first window
    y = make_fn("Pooling", kernel=(2, 2), stride=(2, 2), pool_type="max")(x)
    y.grad = np.ones(y.shape)
    y.backward()
    want = np.zeros((4, 4))
    want[1, 0] = 1.0          # row-major first of the tied pair
    want[0, 2] = want[2, 0] = want[2, 2] = 1.0   # all-zero windows: their first cell
    np.testing.assert_array_equal(x.grad[0, 0], want)


@pytest.mark.parametrize("op_name,shapes,kw", [
    ("LayerNorm", [(3, 4, 5), (5,), (5,)], {}),
    ("LayerNorm", [(3, 4, 5), (4,), (4,)], dict(axis=1)),
    ("InstanceNorm", [(2, 3, 4, 2), (3,), (3,)], {}),
    ("L2Normalization", [(2, 3, 4)], dict(mode="instance")),
    ("L2Normalization", [(2, 3, 4)], dict(mode="channel")),
    ("L2Normalization", [(2, 3, 4)], dict(mode="spatial")),
])
def test_other_normalizations(op_name, shapes, kw):
    check(op_name, [r(*s) for s in shapes], atol=1e-4, rtol=1e-3, **kw)
