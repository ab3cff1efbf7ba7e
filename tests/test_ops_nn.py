"""nn operators: forward against independent NumPy computations (imperative mx.nd calls and
graph-mode calls on Chainer Variables), shape inference, parameter errors, and the MXNet
1.9.1 fixtures (mlp, lenet, resnet18-narrow) evaluated layer by layer."""
import json

import numpy as np
import pytest

import nn_reference as ref
import pybridge as mx
from pybridge._compat import F, chainer
from pybridge.base import MXNetError
from pybridge.registry import OpCall, get_op

FIX = "tests/fixtures/mxnet-1.9.1"


def nd(a, dtype="float32"):
    return mx.nd.array(np.asarray(a), dtype=dtype)


def graph(op_name, inputs, aux=(), is_train=False, **kw):
    """Run an op in graph mode (chainer.functions on Variables); outputs as arrays."""
    op = get_op(op_name)
    attrs = op.parse_attrs(kw)
    vs = [chainer.Variable(np.asarray(x)) for x in inputs]
    out = op.compute(OpCall(F, np, attrs, is_train, list(aux)), *vs)
    outs = out if isinstance(out, tuple) else (out,)
    return [o.array for o in outs]


def close(got, want, rtol=1e-5, atol=1e-5):
    np.testing.assert_allclose(np.asarray(got, dtype=np.float64), want, rtol=rtol, atol=atol)


def rand(*shape, rng=None):
    return (rng or np.random).randn(*shape).astype(np.float32)


# ---------------------------------------------------------------- FullyConnected
@pytest.mark.parametrize("shape,flatten", [((4, 7), True), ((3, 2, 5), True), ((3, 2, 5), False),
                                           ((2, 3, 4, 4), True)])
def test_fully_connected_forward(shape, flatten):
    x = rand(*shape)
    in_units = int(np.prod(shape[1:])) if flatten else shape[-1]
    w, b = rand(6, in_units), rand(6)
    want = ref.fully_connected(x.astype(np.float64), w, b, flatten)
    if not flatten:
        want = want.reshape(shape[:-1] + (6,))
    close(mx.nd.FullyConnected(nd(x), nd(w), nd(b), num_hidden=6, flatten=flatten).asnumpy(), want)
    close(graph("FullyConnected", [x, w, b], num_hidden=6, flatten=flatten)[0], want)
    nb = mx.nd.FullyConnected(nd(x), nd(w), num_hidden=6, no_bias=True, flatten=flatten)
    close(nb.asnumpy(), want - b)


def test_fully_connected_infer_shape():
    op = get_op("FullyConnected")
    ins, outs, aux = op.infer_shape(op.parse_attrs({"num_hidden": 10}), [(8, 3, 4), None, None])
    assert ins == [(8, 3, 4), (10, 12), (10,)] and outs == [(8, 10)] and aux == []
    attrs = op.parse_attrs({"num_hidden": 10, "flatten": False, "no_bias": True})
    assert op.input_names(attrs) == ["data", "weight"]
    ins, outs, _ = op.infer_shape(attrs, [(8, 3, 4), None])
    assert ins[1] == (10, 4) and outs == [(8, 3, 10)]
    with pytest.raises(MXNetError, match="FullyConnected.*weight"):
        op.infer_shape(op.parse_attrs({"num_hidden": 10}), [(8, 3, 4), (10, 5), None])


def test_fully_connected_errors():
    with pytest.raises(MXNetError, match="FullyConnected: required parameter 'num_hidden' is missing"):
        mx.nd.FullyConnected(nd(np.ones((2, 3))), nd(np.ones((4, 3))), nd(np.ones(4)))
    with pytest.raises(MXNetError, match="FullyConnected.*weight"):
        mx.nd.FullyConnected(nd(np.ones((2, 3))), nd(np.ones((4, 2))), nd(np.ones(4)), num_hidden=4)


# ---------------------------------------------------------------- Convolution
CONV_CASES = [
    # data shape, weight shape, kwargs
    ((2, 3, 9, 8), (4, 3, 3, 3), dict(kernel=(3, 3))),
    ((2, 3, 9, 8), (4, 3, 3, 2), dict(kernel=(3, 2), stride=(2, 1), pad=(1, 2))),
    ((1, 4, 10, 10), (6, 2, 3, 3), dict(kernel=(3, 3), num_group=2, dilate=(2, 1), pad=(1, 1))),
    ((2, 3, 11), (5, 3, 4), dict(kernel=(4,), stride=(2,), pad=(1,))),
    ((2, 2, 12), (4, 1, 3), dict(kernel=(3,), dilate=(3,), num_group=2)),
    ((1, 2, 5, 6, 4), (3, 2, 2, 3, 2), dict(kernel=(2, 3, 2), pad=(1, 0, 1))),
]


@pytest.mark.parametrize("dshape,wshape,kw", CONV_CASES)
def test_convolution_forward(dshape, wshape, kw):
    x, w, b = rand(*dshape), rand(*wshape), rand(wshape[0])
    want = ref.conv(x.astype(np.float64), w.astype(np.float64), b, kw.get("stride"), kw.get("pad"),
                    kw.get("dilate"), kw.get("num_group", 1))
    got = mx.nd.Convolution(nd(x), nd(w), nd(b), num_filter=wshape[0], **kw)
    close(got.asnumpy(), want, rtol=1e-4, atol=1e-4)
    close(graph("Convolution", [x, w, b], num_filter=wshape[0], **kw)[0], want, 1e-4, 1e-4)
    op = get_op("Convolution")
    attrs = op.parse_attrs(dict(kw, num_filter=wshape[0]))
    ins, outs, _ = op.infer_shape(attrs, [dshape, None, None])
    assert ins[1] == wshape and ins[2] == (wshape[0],) and outs[0] == want.shape


def test_convolution_no_bias_and_string_params():
    x, w = rand(2, 3, 6, 6), rand(4, 3, 3, 3)
    got = mx.nd.Convolution(nd(x), nd(w), kernel="(3, 3)", num_filter="4", no_bias="True",
                            pad="(1,1)", cudnn_tune="fastest", cudnn_off=True, workspace=512)
    close(got.asnumpy(), ref.conv(x.astype(np.float64), w, pad=(1, 1)), 1e-4, 1e-4)
    op = get_op("Convolution")
    assert op.input_names(op.parse_attrs({"kernel": (3, 3), "num_filter": 4, "no_bias": True})) == \
        ["data", "weight"]


def test_convolution_errors():
    x, w, b = nd(rand(2, 3, 6, 6)), nd(rand(4, 3, 3, 3)), nd(rand(4))
    with pytest.raises(MXNetError, match="Convolution: required parameter 'kernel' is missing"):
        mx.nd.Convolution(x, w, b, num_filter=4)
    with pytest.raises(MXNetError, match="Convolution: required parameter 'num_filter' is missing"):
        mx.nd.Convolution(x, w, b, kernel=(3, 3))
    with pytest.raises(MXNetError, match="Convolution.*'weight'"):
        mx.nd.Convolution(x, nd(rand(4, 2, 3, 3)), b, kernel=(3, 3), num_filter=4)
    with pytest.raises(MXNetError, match="Convolution.*num_group"):
        mx.nd.Convolution(x, w, b, kernel=(3, 3), num_filter=4, num_group=2)
    with pytest.raises(MXNetError, match="Convolution.*'stride'"):
        mx.nd.Convolution(x, w, b, kernel=(3, 3), num_filter=4, stride=(1, 1, 1))
    with pytest.raises(MXNetError, match="Convolution.*larger than the padded input"):
        mx.nd.Convolution(nd(rand(1, 3, 2, 2)), w, b, kernel=(3, 3), num_filter=4)
    with pytest.raises(MXNetError, match="Convolution: invalid value 'bogus' for parameter 'cudnn_tune'"):
        mx.nd.Convolution(x, w, b, kernel=(3, 3), num_filter=4, cudnn_tune="bogus")
    op = get_op("Convolution")
    with pytest.raises(MXNetError, match="Convolution.*weight"):
        op.infer_shape(op.parse_attrs({"kernel": (3, 3), "num_filter": 4}),
                       [(2, 3, 6, 6), (4, 3, 5, 5), None])


# ---------------------------------------------------------------- Deconvolution
DECONV_CASES = [
    ((2, 3, 5, 4), (3, 4, 3, 3), dict(kernel=(3, 3))),
    ((2, 3, 5, 4), (3, 2, 3, 2), dict(kernel=(3, 2), stride=(2, 3), pad=(1, 0), adj=(1, 2))),
    ((1, 4, 4, 4), (4, 3, 2, 2), dict(kernel=(2, 2), num_group=2, dilate=(2, 1), stride=(2, 2))),
    ((2, 3, 7), (3, 2, 3), dict(kernel=(3,), stride=(2,), pad=(1,))),
]


@pytest.mark.parametrize("dshape,wshape,kw", DECONV_CASES)
def test_deconvolution_forward(dshape, wshape, kw):
    x, w = rand(*dshape), rand(*wshape)
    g = kw.get("num_group", 1)
    nf = wshape[1] * g
    b = rand(nf)
    want = ref.deconv(x.astype(np.float64), w.astype(np.float64), b, kw.get("stride"),
                      kw.get("pad"), kw.get("dilate"), kw.get("adj"), g)
    got = mx.nd.Deconvolution(nd(x), nd(w), nd(b), num_filter=nf, no_bias=False, **kw)
    close(got.asnumpy(), want, 1e-4, 1e-4)
    close(graph("Deconvolution", [x, w], num_filter=nf, **kw)[0], want - b.reshape(
        (1, nf) + (1,) * (x.ndim - 2)), 1e-4, 1e-4)
    op = get_op("Deconvolution")
    attrs = op.parse_attrs(dict(kw, num_filter=nf))
    assert op.input_names(attrs) == ["data", "weight"]   # no_bias defaults to True
    ins, outs, _ = op.infer_shape(attrs, [dshape, None])
    assert ins[1] == wshape and outs[0] == want.shape


@pytest.mark.parametrize("target", [(10, 8), (9, 9), (11, 7)])
def test_deconvolution_target_shape(target):
    # MXNet: total = stride*(in-1) + kernel - target; pad = ceil(total/2), adj = total % 2
    x, w = rand(1, 2, 5, 4), rand(2, 3, 3, 3)
    got = mx.nd.Deconvolution(nd(x), nd(w), kernel=(3, 3), stride=(2, 2), num_filter=3,
                              target_shape=target)
    assert got.shape == (1, 3) + target
    pads, adjs = [], []
    for i, t in enumerate(target):
        total = 2 * (x.shape[2 + i] - 1) + 3 - t
        pads.append((total + 1) // 2)
        adjs.append(total % 2)
    want = ref.deconv(x.astype(np.float64), w, stride=(2, 2), pad=tuple(pads), adj=tuple(adjs))
    close(got.asnumpy(), want, 1e-4, 1e-4)
    with pytest.raises(MXNetError, match="Deconvolution.*target_shape"):
        mx.nd.Deconvolution(nd(x), nd(w), kernel=(3, 3), stride=(2, 2), num_filter=3,
                            target_shape=(20, 20))


def test_deconvolution_errors():
    with pytest.raises(MXNetError, match="Deconvolution.*'adj'"):
        mx.nd.Deconvolution(nd(rand(1, 2, 4, 4)), nd(rand(2, 3, 3, 3)), kernel=(3, 3),
                            num_filter=3, adj=(1, 1))


# ---------------------------------------------------------------- Pooling
POOL_CASES = [
    ((2, 3, 7, 9), dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1))),
    ((2, 3, 8, 8), dict(kernel=(2, 2), stride=(2, 2))),
    ((2, 3, 7, 9), dict(kernel=(2, 3), stride=(2, 2))),
    ((1, 2, 6, 5), dict(kernel=(3, 2), stride=(1, 2), pad=(1, 1))),
    ((2, 3, 11), dict(kernel=(3,), stride=(2,), pad=(1,))),
    ((2, 2, 10), dict(kernel=(4,), stride=(3,))),
]


@pytest.mark.parametrize("dshape,kw", POOL_CASES)
@pytest.mark.parametrize("pool_type", ["max", "avg", "sum"])
@pytest.mark.parametrize("convention", ["valid", "full"])
def test_pooling_forward(dshape, kw, pool_type, convention):
    x = rand(*dshape)
    nd_ = len(kw["kernel"])
    pad = kw.get("pad", (0,) * nd_)
    for cip in ([True, False] if pool_type == "avg" and any(pad) else [True]):
        want = ref.pool(x.astype(np.float64), kw["kernel"], kw["stride"], pad, pool_type,
                        convention, cip)
        args = dict(kw, pool_type=pool_type, pooling_convention=convention, count_include_pad=cip)
        close(mx.nd.Pooling(nd(x), **args).asnumpy(), want)
        close(graph("Pooling", [x], **args)[0], want)
        op = get_op("Pooling")
        assert op.infer_shape(op.parse_attrs(args), [dshape])[1] == [want.shape]


@pytest.mark.parametrize("p", [1, 2, 3])
def test_pooling_lp(p):
    x = rand(2, 3, 6, 7)
    want = ref.pool(x.astype(np.float64), (2, 3), (2, 2), (0, 0), "lp", "valid", p_value=p)
    got = mx.nd.Pooling(nd(x), kernel=(2, 3), stride=(2, 2), pool_type="lp", p_value=p)
    close(got.asnumpy(), want, 1e-4, 1e-4)


def test_pooling_same_convention():
    x = rand(2, 3, 11)
    for pool_type, k, s in [("max", 3, 2), ("avg", 4, 3)]:
        want = ref.pool(x.astype(np.float64), (k,), (s,), (0,), pool_type, "same")
        got = mx.nd.Pooling(nd(x), kernel=(k,), stride=(s,), pool_type=pool_type,
                            pooling_convention="same")
        assert got.shape == (2, 3, -(-11 // s))
        close(got.asnumpy(), want)
    with pytest.raises(MXNetError, match="Pooling.*'same'"):
        mx.nd.Pooling(nd(rand(1, 1, 4, 4)), kernel=(2, 2), pooling_convention="same")


@pytest.mark.parametrize("pool_type", ["max", "avg", "sum"])
def test_pooling_global(pool_type):
    x = rand(2, 3, 5, 4)
    red = {"max": np.max, "avg": np.mean, "sum": np.sum}[pool_type]
    want = red(x, axis=(2, 3), keepdims=True)
    close(mx.nd.Pooling(nd(x), global_pool=True, pool_type=pool_type).asnumpy(), want)
    close(mx.nd.Pooling(nd(x), kernel=(2, 2), global_pool=True, pool_type=pool_type).asnumpy(), want)
    close(graph("Pooling", [x], kernel=(1, 1), global_pool=True, pool_type=pool_type)[0], want)


def test_pooling_nhwc_layout():
    x = rand(2, 6, 7, 3)
    want = ref.pool(x.transpose(0, 3, 1, 2).astype(np.float64), (2, 2), (2, 2), (0, 0), "avg")
    got = mx.nd.Pooling(nd(x), kernel=(2, 2), stride=(2, 2), pool_type="avg", layout="NHWC")
    close(got.asnumpy(), want.transpose(0, 2, 3, 1))


def test_pooling_errors():
    x = nd(rand(1, 2, 5, 5))
    with pytest.raises(MXNetError, match="Pooling: invalid value 'median' for parameter 'pool_type'"):
        mx.nd.Pooling(x, kernel=(2, 2), pool_type="median")
    with pytest.raises(MXNetError, match="Pooling.*'kernel'"):
        mx.nd.Pooling(x)
    with pytest.raises(MXNetError, match="Pooling.*exceeds input"):
        mx.nd.Pooling(x, kernel=(7, 7))
    with pytest.raises(MXNetError, match="Pooling.*'p_value'"):
        mx.nd.Pooling(x, kernel=(2, 2), pool_type="lp")
    op = get_op("Pooling")
    with pytest.raises(MXNetError, match="Pooling.*'p_value'"):
        op.infer_shape(op.parse_attrs({"kernel": (2, 2), "pool_type": "lp"}), [(1, 2, 5, 5)])


# ---------------------------------------------------------------- activations
@pytest.mark.parametrize("act", sorted(ref.ACTIVATIONS))
def test_activation(act):
    x = rand(3, 4, 5) * 3
    want = ref.ACTIVATIONS[act](x.astype(np.float64))
    close(mx.nd.Activation(nd(x), act_type=act).asnumpy(), want)
    close(graph("Activation", [x], act_type=act)[0], want)


def test_activation_errors():
    with pytest.raises(MXNetError, match="Activation: required parameter 'act_type' is missing"):
        mx.nd.Activation(nd(np.ones(3)))
    with pytest.raises(MXNetError, match="Activation: invalid value 'swish' for parameter 'act_type'"):
        mx.nd.Activation(nd(np.ones(3)), act_type="swish")


@pytest.mark.parametrize("act", ["leaky", "elu", "selu", "gelu"])
def test_leaky_relu(act):
    x = rand(2, 3, 4)
    want = ref.leaky(x.astype(np.float64), act, slope=0.3)
    close(mx.nd.LeakyReLU(nd(x), act_type=act, slope=0.3).asnumpy(), want)
    close(graph("LeakyReLU", [x], act_type=act, slope=0.3)[0], want)


def test_leaky_relu_prelu_and_infer():
    x, g = rand(2, 3, 4, 5), np.abs(rand(3))
    want = ref.leaky(x.astype(np.float64), "prelu", gamma=g)
    close(mx.nd.LeakyReLU(nd(x), nd(g), act_type="prelu").asnumpy(), want)
    close(graph("LeakyReLU", [x, g], act_type="prelu")[0], want)
    op = get_op("LeakyReLU")
    attrs = op.parse_attrs({"act_type": "prelu"})
    assert op.input_names(attrs) == ["data", "gamma"]
    assert op.infer_shape(attrs, [(2, 3, 4, 5), None])[0][1] == (3,)
    assert op.input_names(op.parse_attrs({})) == ["data"]
    with pytest.raises(MXNetError, match="LeakyReLU.*gamma"):
        mx.nd.LeakyReLU(nd(x), nd(np.ones(4)), act_type="prelu")


def test_rrelu():
    x = rand(50, 40)
    # inference: the mean slope
    close(mx.nd.LeakyReLU(nd(x), act_type="rrelu", lower_bound=0.1, upper_bound=0.3).asnumpy(),
          ref.leaky(x.astype(np.float64), "rrelu", lower=0.1, upper=0.3))
    # training: a random slope in [lower, upper] per negative element, positives untouched
    y = graph("LeakyReLU", [x], is_train=True, act_type="rrelu", lower_bound=0.1, upper_bound=0.3)[0]
    neg = x < 0
    slopes = y[neg] / x[neg]
    assert np.all(y[~neg] == x[~neg])
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6 and slopes.std() > 0.03


@pytest.mark.parametrize("mode,shape", [("instance", (4, 6)), ("instance", (2, 3, 5)),
                                        ("channel", (2, 3, 4, 5))])
def test_softmax_activation(mode, shape):
    x = rand(*shape)
    axis = 1 if mode == "channel" else -1
    want = ref.softmax(x.astype(np.float64), axis)
    close(mx.nd.SoftmaxActivation(nd(x), mode=mode).asnumpy(), want)
    close(graph("SoftmaxActivation", [x], mode=mode)[0], want)


# ---------------------------------------------------------------- BatchNorm
def bn_args(c, rng=np.random):
    return (np.abs(rand(c, rng=rng)) + 0.5, rand(c, rng=rng), rand(c, rng=rng),
            np.abs(rand(c, rng=rng)) + 0.5)


@pytest.mark.parametrize("shape,axis", [((4, 3, 5, 5), 1), ((6, 4), 1), ((3, 5, 4), -1)])
def test_batch_norm_inference(shape, axis):
    x = rand(*shape)
    c = shape[axis]
    gamma, beta, mm, mv = bn_args(c)
    want = ref.batch_norm(x.astype(np.float64), gamma, beta, mm, mv, 1e-3, axis % len(shape))
    got = mx.nd.BatchNorm(nd(x), nd(gamma), nd(beta), nd(mm), nd(mv), fix_gamma=False, axis=axis)
    close(got.asnumpy(), want, 1e-4, 1e-4)
    close(graph("BatchNorm", [x, gamma, beta], aux=[mm.copy(), mv.copy()], fix_gamma=False,
                axis=axis)[0], want, 1e-4, 1e-4)
    # fix_gamma (the default) normalizes with gamma = 1 and writes 1 into gamma, as MXNet
    g = nd(gamma)
    got = mx.nd.BatchNorm(nd(x), g, nd(beta), nd(mm), nd(mv), axis=axis)
    close(got.asnumpy(), ref.batch_norm(x.astype(np.float64), np.ones(c), beta, mm, mv, 1e-3,
                                        axis % len(shape)), 1e-4, 1e-4)
    assert np.all(g.asnumpy() == 1)


def test_batch_norm_training_updates_moving_stats_on_backward():
    x = rand(4, 3, 5, 5) * 2 + 1
    gamma, beta, mm, mv = bn_args(3)
    mm0, mv0 = mm.copy(), mv.copy()
    op = get_op("BatchNorm")
    attrs = op.parse_attrs({"fix_gamma": False, "momentum": 0.8, "eps": 1e-4,
                            "output_mean_var": True})
    vs = [chainer.Variable(a) for a in (x, gamma, beta)]
    out, mean, invstd = op.compute(OpCall(F, np, attrs, True, [mm, mv]), *vs)
    bmean, bvar = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    close(out.array, ref.batch_norm(x.astype(np.float64), gamma, beta, bmean, bvar, 1e-4), 1e-4, 1e-4)
    close(mean, bmean)
    close(invstd, 1 / np.sqrt(bvar + 1e-4), 1e-4)
    assert np.all(mm == mm0) and np.all(mv == mv0)     # MXNet updates in backward
    F.sum(out).backward()
    close(mm, 0.8 * mm0 + 0.2 * bmean)
    close(mv, 0.8 * mv0 + 0.2 * bvar)                 # the biased batch variance
    F.sum(out).backward()                             # MXNet: each backward updates again
    close(mm, 0.64 * mm0 + (0.16 + 0.2) * bmean)


def test_batch_norm_global_stats_and_infer():
    x = rand(4, 3, 2, 2)
    gamma, beta, mm, mv = bn_args(3)
    out = graph("BatchNorm", [x, gamma, beta], aux=[mm, mv], is_train=True, fix_gamma=False,
                use_global_stats=True)[0]
    close(out, ref.batch_norm(x.astype(np.float64), gamma, beta, mm, mv, 1e-3), 1e-4, 1e-4)
    op = get_op("BatchNorm")
    attrs = op.parse_attrs({})
    assert op.aux_names(attrs) == ["moving_mean", "moving_var"]
    assert op.output_names(attrs) == ["output"]
    ins, outs, aux = op.infer_shape(attrs, [(4, 3, 2, 2), None, None])
    assert ins == [(4, 3, 2, 2), (3,), (3,)] and outs == [(4, 3, 2, 2)] and aux == [(3,), (3,)]
    attrs = op.parse_attrs({"axis": -1, "output_mean_var": True})
    assert op.infer_shape(attrs, [(4, 3, 7), None, None])[1:] == ([(4, 3, 7), (7,), (7,)],
                                                                   [(7,), (7,)])
    with pytest.raises(MXNetError, match="BatchNorm.*gamma"):
        op.infer_shape(op.parse_attrs({}), [(4, 3, 2, 2), (4,), None])
    with pytest.raises(MXNetError, match="BatchNorm.*'axis'"):
        mx.nd.BatchNorm(nd(x), nd(gamma), nd(beta), nd(mm), nd(mv), axis=4)


def test_batch_norm_fix_gamma_has_no_gamma_gradient():
    x = rand(4, 3, 2, 2)
    gamma, beta, mm, mv = bn_args(3)
    op = get_op("BatchNorm")
    vs = [chainer.Variable(a) for a in (x, gamma.copy(), beta)]
    out = op.compute(OpCall(F, np, op.parse_attrs({}), True, [mm, mv]), *vs)
    F.sum(out * out).backward()
    assert vs[1].grad is None or np.all(vs[1].grad == 0)
    assert vs[0].grad is not None and vs[2].grad is not None


# ---------------------------------------------------------------- Dropout
def test_dropout():
    x = np.ones((200, 100), np.float32)
    # identity unless training (or mode='always')
    close(mx.nd.Dropout(nd(x), p=0.3).asnumpy(), x)
    y = graph("Dropout", [x], is_train=True, p=0.3)[0]
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.02
    close(y[kept], np.full(kept.sum(), 1 / 0.7))
    y = mx.nd.Dropout(nd(x), p=0.5, mode="always").asnumpy()
    assert set(np.unique(y)) == {0.0, 2.0}
    # axes: one mask value shared along axis 1
    y = graph("Dropout", [np.ones((50, 4, 6), np.float32)], is_train=True, p=0.5, axes=(1,))[0]
    assert np.all(y == y[:, :1, :])
    with pytest.raises(MXNetError, match="Dropout.*'p'"):
        graph("Dropout", [x], is_train=True, p=1.5)


# ---------------------------------------------------------------- Embedding, LRN, BlockGrad
def test_embedding():
    w = rand(6, 4)
    idx = np.array([[0, 3.7, -1], [5, 9, 2]], np.float32)
    want = w[np.clip(idx.astype(np.int64), 0, 5)]
    close(mx.nd.Embedding(nd(idx), nd(w), input_dim=6, output_dim=4).asnumpy(), want)
    close(graph("Embedding", [idx, w], input_dim=6, output_dim=4)[0], want)
    op = get_op("Embedding")
    ins, outs, _ = op.infer_shape(op.parse_attrs({"input_dim": 6, "output_dim": 4}), [(2, 3), None])
    assert ins[1] == (6, 4) and outs == [(2, 3, 4)]
    with pytest.raises(MXNetError, match="Embedding.*'weight'"):
        mx.nd.Embedding(nd(idx), nd(w), input_dim=5, output_dim=4)


@pytest.mark.parametrize("nsize", [1, 3, 5])
def test_lrn(nsize):
    x = rand(2, 6, 3, 4)
    want = ref.lrn(x.astype(np.float64), nsize, 0.01, 0.6, 1.5)
    close(mx.nd.LRN(nd(x), nsize=nsize, alpha=0.01, beta=0.6, knorm=1.5).asnumpy(), want, 1e-4, 1e-4)
    close(graph("LRN", [x], nsize=nsize, alpha=0.01, beta=0.6, knorm=1.5)[0], want, 1e-4, 1e-4)


def test_lrn_needs_odd_nsize():
    with pytest.raises(MXNetError, match="LRN: required parameter 'nsize' is missing"):
        mx.nd.LRN(nd(rand(1, 3, 2, 2)))
    with pytest.raises(MXNetError, match="LRN: 'nsize' must be a positive odd number"):
        mx.nd.LRN(nd(rand(1, 3, 2, 2)), nsize=4)


def test_block_grad():
    x = chainer.Variable(rand(3, 4))
    for name in ("BlockGrad", "stop_gradient"):
        op = get_op(name)
        y = op.compute(OpCall(F, np, op.parse_attrs({}), True, []), x)
        np.testing.assert_array_equal(y.array, x.array)
        F.sum(x * 2 + y).backward()
        close(x.grad, np.full((3, 4), 2.0))
        x.cleargrad()
    close(mx.nd.stop_gradient(nd(x.array)).asnumpy(), x.array)


# ---------------------------------------------------------------- MXNet 1.9.1 fixtures
def _load(name):
    return mx.nd.load(f"{FIX}/{name}")


def test_fixture_mlp():
    io, params = _load("mlp-io.nd"), _load("mlp-0000.params")
    p = {k.split(":", 1)[1]: v for k, v in params.items()}
    x = io["data"]
    h = mx.nd.FullyConnected(x.reshape((x.shape[0], -1)), p["fc1_weight"], p["fc1_bias"],
                             num_hidden=256)
    h = mx.nd.Activation(h, act_type="tanh")
    h = mx.nd.FullyConnected(h, p["fc2_weight"], p["fc2_bias"], num_hidden=10)
    out = mx.nd.SoftmaxOutput(h, mx.nd.zeros((x.shape[0],)))
    want = io["output"].asnumpy()
    assert np.abs(out.asnumpy() - want).max() / np.abs(want).max() < 1e-5


def test_fixture_lenet():
    io, params = _load("lenet-io.nd"), _load("lenet-0003.params")
    p = {k.split(":", 1)[1]: v for k, v in params.items()}
    h = io["data"]
    for i, (k, nf) in enumerate([((5, 5), 6), ((3, 3), 16)]):
        h = mx.nd.Convolution(h, p[f"convolution{i}_weight"], p[f"convolution{i}_bias"],
                              kernel=k, num_filter=nf)
        h = mx.nd.Activation(h, act_type="relu")
        h = mx.nd.Pooling(h, kernel=(2, 2), pool_type="max", stride=(2, 2))
    h = h.reshape((h.shape[0], -1))
    for i, n in enumerate([120, 84, 10]):
        h = mx.nd.FullyConnected(h, p[f"fullyconnected{i}_weight"], p[f"fullyconnected{i}_bias"],
                                 num_hidden=n)
        if i < 2:
            h = mx.nd.Activation(h, act_type="relu")
    out = mx.nd.SoftmaxOutput(h, mx.nd.zeros((h.shape[0],)))
    want = io["output"].asnumpy()
    assert np.abs(out.asnumpy() - want).max() / np.abs(want).max() < 1e-5


def test_fixture_resnet18_narrow():
    """Evaluate the saved graph node by node with mx.nd calls (inference)."""
    with open(f"{FIX}/resnet18-narrow-symbol.json") as f:
        graph_json = json.load(f)
    io, params = _load("resnet18-narrow-io.nd"), _load("resnet18-narrow-0000.params")
    p = {k.split(":", 1)[1]: v for k, v in params.items()}
    values = []
    for node in graph_json["nodes"]:
        attrs = node.get("attrs", {})
        if node["op"] == "null":
            name = node["name"]
            values.append([io["data"] if name == "data" else p.get(name)])
            continue
        args = [values[i][j] for i, j, *_ in node["inputs"]]
        if node["op"] == "Flatten":
            out = args[0].reshape((args[0].shape[0], -1))
        elif node["op"] == "SoftmaxOutput":
            out = mx.nd.SoftmaxOutput(args[0], mx.nd.zeros((args[0].shape[0],)), **attrs)
        elif node["op"] == "elemwise_add":
            out = args[0] + args[1]
        else:
            out = getattr(mx.nd, node["op"])(*args, **attrs)
        values.append(out if isinstance(out, list) else [out])
    head = graph_json["heads"][0]
    got = values[head[0]][head[1]].asnumpy()
    want = io["output"].asnumpy()
    assert np.abs(got - want).max() / np.abs(want).max() < 1e-4


def test_dropout_and_rrelu_follow_mx_random_seed():
    x = np.ones((20, 30), np.float32)
    mx.random.seed(11)
    a = graph("Dropout", [x], is_train=True, p=0.5)[0]
    b = graph("Dropout", [x], is_train=True, p=0.5)[0]
    mx.random.seed(11)
    c = graph("Dropout", [x], is_train=True, p=0.5)[0]
    assert not np.array_equal(a, b) and np.array_equal(a, c)
    mx.random.seed(5)
    r1 = graph("LeakyReLU", [-x], is_train=True, act_type="rrelu")[0]
    mx.random.seed(5)
    assert np.array_equal(r1, graph("LeakyReLU", [-x], is_train=True, act_type="rrelu")[0])


@pytest.mark.parametrize("name", ["mlp", "lenet", "resnet18-narrow"])
def test_fixture_infer_shape_completes_parameters(name):
    """Every weight, bias, gamma/beta, label and moving statistic shape comes from the data
    shape alone, as MXNet 1.9.1 inferred it."""
    with open(f"{FIX}/{name}-meta.json") as f:
        meta = json.load(f)
    sym = mx.sym.load(f"{FIX}/{name}-symbol.json")
    args, outs, aux = sym.infer_shape(data=tuple(meta["data_shape"]))
    assert args == [tuple(s) for s in meta["arg_shapes"]]
    assert outs == [tuple(s) for s in meta["out_shapes"]]
    assert aux == [tuple(s) for s in meta["aux_shapes"]]


def test_pooling_full_windows_entirely_in_padding():
    # 'full' can add a last window that holds no input cell: avg gives 0 (not NaN), max the
    # lowest float32, as MXNet's CPU kernels do
    x = rand(2, 3, 9, 10)
    for pool_type, cip in [("avg", False), ("avg", True), ("max", True), ("sum", True)]:
        want = ref.pool(x.astype(np.float64), (1, 3), (3, 2), (0, 0), pool_type, "full", cip)
        got = mx.nd.Pooling(nd(x), kernel=(1, 3), stride=(3, 2), pool_type=pool_type,
                            pooling_convention="full", count_include_pad=cip).asnumpy()
        assert got.shape == (2, 3, 4, 5) and np.all(np.isfinite(got))
        close(got, want)


class _NotNumpy:
    """NumPy under another name: makes the operators take the paths they use on a GPU
    (Chainer's functions instead of the NumPy fast paths), so those are tested here too."""

    def __getattr__(self, name):
        return getattr(np, name)


def _graph_generic(op_name, inputs, **kw):
    op = get_op(op_name)
    vs = [chainer.Variable(np.asarray(x)) for x in inputs]
    out = op.compute(OpCall(F, _NotNumpy(), op.parse_attrs(kw), True, []), *vs)
    out.grad = np.ones(out.shape, out.dtype)
    out.backward()
    return out.array, [v.grad for v in vs]


@pytest.mark.parametrize("kw", [
    dict(kernel=(2, 2), stride=(2, 2)),
    dict(kernel=(3, 3), stride=(2, 2), pad=(1, 1), pooling_convention="full"),
    dict(kernel=(1, 3), stride=(3, 2), pooling_convention="full"),
])
def test_pooling_generic_path_matches_fast_path(kw):
    x = np.random.permutation(2 * 3 * 9 * 10).reshape(2, 3, 9, 10).astype(np.float32)
    op = get_op("Pooling")
    v = chainer.Variable(x.copy())
    y = op.compute(OpCall(F, np, op.parse_attrs(dict(kw, pool_type="max")), True, []), v)
    y.grad = np.ones(y.shape, y.dtype)
    y.backward()
    got, (ggot,) = _graph_generic("Pooling", [x], pool_type="max", **kw)
    close(got, y.array)
    close(ggot, v.grad)
    close(got, ref.pool(x.astype(np.float64), kw["kernel"], kw["stride"], kw.get("pad", (0, 0)),
                        "max", kw.get("pooling_convention", "valid")))


def test_convolution_generic_path_matches_fast_path():
    x, w, b = rand(2, 3, 7, 6), rand(4, 3, 3, 2), rand(4)
    kw = dict(kernel=(3, 2), stride=(2, 1), pad=(1, 1), dilate=(1, 2), num_filter=4)
    got, grads = _graph_generic("Convolution", [x, w, b], **kw)
    close(got, ref.conv(x.astype(np.float64), w, b, (2, 1), (1, 1), (1, 2)), 1e-4, 1e-4)
    op = get_op("Convolution")
    vs = [chainer.Variable(a.copy()) for a in (x, w, b)]
    y = op.compute(OpCall(F, np, op.parse_attrs(kw), True, []), *vs)
    y.grad = np.ones(y.shape, y.dtype)
    y.backward()
    for g, v in zip(grads, vs):
        close(g, v.grad, 1e-4, 1e-4)


@pytest.mark.parametrize("pool_type,cip", [("max", True), ("avg", True), ("avg", False),
                                           ("sum", True)])
def test_pooling_3d(pool_type, cip):
    x = rand(2, 2, 5, 6, 7)
    kernel, stride, pad = (2, 3, 2), (2, 1, 2), (1, 1, 0)
    want = ref.pool(x.astype(np.float64), kernel, stride, pad, pool_type, "valid", cip)
    got = mx.nd.Pooling(nd(x), kernel=kernel, stride=stride, pad=pad, pool_type=pool_type,
                        count_include_pad=cip)
    close(got.asnumpy(), want)
    close(graph("Pooling", [x], kernel=kernel, stride=stride, pad=pad, pool_type=pool_type,
                count_include_pad=cip)[0], want)
    close(mx.nd.Pooling(nd(x), global_pool=True, pool_type="max").asnumpy(),
          x.max(axis=(2, 3, 4), keepdims=True))
    with pytest.raises(MXNetError, match="Pooling: 3-D pooling"):
        mx.nd.Pooling(nd(x), kernel=kernel, pooling_convention="full")


def test_deconvolution_generic_path_matches_fast_path():
    x, w, b = rand(2, 3, 4, 5), rand(3, 2, 3, 2), rand(2)
    kw = dict(kernel=(3, 2), stride=(2, 2), pad=(1, 0), adj=(1, 1), dilate=(1, 2), num_filter=2,
              no_bias=False)
    got, grads = _graph_generic("Deconvolution", [x, w, b], **kw)
    close(got, ref.deconv(x.astype(np.float64), w, b, (2, 2), (1, 0), (1, 2), (1, 1)), 1e-4, 1e-4)
    op = get_op("Deconvolution")
    vs = [chainer.Variable(a.copy()) for a in (x, w, b)]
    y = op.compute(OpCall(F, np, op.parse_attrs(kw), True, []), *vs)
    y.grad = np.ones(y.shape, y.dtype)
    y.backward()
    for g, v in zip(grads, vs):
        close(g, v.grad, 1e-4, 1e-4)


# ---------------------------------------------------------------- LayerNorm, InstanceNorm, L2
def _norm_ref(x, axes, eps):
    m = x.mean(axis=axes, keepdims=True)
    v = ((x - m) ** 2).mean(axis=axes, keepdims=True)
    return (x - m) / np.sqrt(v + eps), m, np.sqrt(v + eps)


@pytest.mark.parametrize("axis", [-1, 1])
def test_layer_norm(axis):
    x = rand(2, 3, 4, 5)
    c = x.shape[axis]
    g, b = np.abs(rand(c)) + 0.5, rand(c)
    shape = [1] * 4
    shape[axis] = c
    y, m, s = _norm_ref(x.astype(np.float64), (axis % 4,), 1e-5)
    want = y * g.reshape(shape) + b.reshape(shape)
    close(mx.nd.LayerNorm(nd(x), nd(g), nd(b), axis=axis).asnumpy(), want, 1e-4, 1e-4)
    out = graph("LayerNorm", [x, g, b], axis=axis, output_mean_var=True)
    close(out[0], want, 1e-4, 1e-4)
    close(out[1], m)
    close(out[2], s)
    op = get_op("LayerNorm")
    ins, outs, _ = op.infer_shape(op.parse_attrs({"axis": axis}), [(2, 3, 4, 5), None, None])
    assert ins[1] == ins[2] == (c,) and outs == [(2, 3, 4, 5)]
    with pytest.raises(MXNetError, match="LayerNorm.*gamma"):
        mx.nd.LayerNorm(nd(x), nd(np.ones(7)), nd(b), axis=axis)


def test_instance_norm():
    x = rand(2, 3, 4, 5)
    g, b = np.abs(rand(3)) + 0.5, rand(3)
    y = _norm_ref(x.astype(np.float64), (2, 3), 1e-3)[0]
    want = y * g.reshape(1, 3, 1, 1) + b.reshape(1, 3, 1, 1)
    close(mx.nd.InstanceNorm(nd(x), nd(g), nd(b)).asnumpy(), want, 1e-4, 1e-4)
    close(graph("InstanceNorm", [x, g, b])[0], want, 1e-4, 1e-4)
    op = get_op("InstanceNorm")
    assert op.infer_shape(op.parse_attrs({}), [(2, 3, 4, 5), None, None])[0][1] == (3,)


@pytest.mark.parametrize("mode,axes", [("instance", (1, 2, 3)), ("channel", (1,)),
                                       ("spatial", (2, 3))])
def test_l2_normalization(mode, axes):
    x = rand(2, 3, 4, 5)
    want = x / np.sqrt((x.astype(np.float64) ** 2).sum(axis=axes, keepdims=True) + 1e-10)
    close(mx.nd.L2Normalization(nd(x), mode=mode).asnumpy(), want)
    close(graph("L2Normalization", [x], mode=mode)[0], want)
