"""CPU inference fast paths: the channel-last kernels (pybridge/ops/nn_infer.py) against direct
float64 computations, and the executor's fused inference plan (pybridge/inference_plan.py)
against the same symbol run operator by operator."""
import numpy as np
import pytest

import pybridge as mx
from pybridge import inference_plan
from pybridge.ops import nn_infer


def _conv_reference(x, w, stride, pad, dilate):
    """Cross-correlation in float64 by explicit sums over the kernel taps."""
    x, w = x.astype(np.float64), w.astype(np.float64)
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, pad, dilate
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((n, f, oh, ow))
    for i in range(kh):
        for j in range(kw):
            tap = xp[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                     j * dw:j * dw + sw * (ow - 1) + 1:sw]
            y += np.einsum("nchw,fc->nfhw", tap, w[:, :, i, j])
    return y


def _layouts(x):
    """The same NCHW values in NCHW, NHWC and CNHW memory."""
    nhwc = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    cnhw = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    return {"nchw": x, "nhwc": nhwc, "cnhw": cnhw}


GEOMETRIES = [  # (N, C, H, W, F, kernel, stride, pad, dilate)
    (2, 3, 9, 7, 4, (3, 3), (1, 1), (1, 1), (1, 1)),
    (3, 5, 11, 11, 6, (7, 7), (2, 2), (3, 3), (1, 1)),
    (2, 8, 6, 6, 5, (1, 1), (1, 1), (0, 0), (1, 1)),
    (2, 8, 7, 7, 5, (1, 1), (2, 2), (0, 0), (1, 1)),
    (1, 4, 10, 9, 3, (3, 2), (2, 1), (0, 2), (2, 1)),
    (70, 2, 5, 5, 3, (3, 3), (1, 1), (1, 1), (1, 1)),   # several chunks of the batch
]


@pytest.mark.parametrize("geom", GEOMETRIES)
@pytest.mark.parametrize("layout", ["nchw", "nhwc", "cnhw"])
def test_conv2d_matches_direct_sums(geom, layout):
    n, c, h, w, f, k, s, p, d = geom
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, h, w)).astype(np.float32)
    wt = rng.standard_normal((f, c) + k).astype(np.float32)
    want = _conv_reference(x, wt, s, p, d)
    got = nn_infer.conv2d(_layouts(x)[layout], wt, None, s, p, d)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_conv2d_epilogue_scale_bias_residual_relu():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4, 8, 8)).astype(np.float32)
    wt = rng.standard_normal((6, 4, 3, 3)).astype(np.float32)
    scale = rng.uniform(0.5, 2, 6).astype(np.float32)
    bias = rng.standard_normal(6).astype(np.float32)
    res = _layouts(rng.standard_normal((3, 6, 8, 8)).astype(np.float32))["cnhw"]
    w_before = wt.copy()
    got = nn_infer.conv2d(x, wt, bias, (1, 1), (1, 1), (1, 1), scale=scale, residual=res,
                          relu=True)
    want = np.maximum(_conv_reference(x, wt, (1, 1), (1, 1), (1, 1)) * scale[:, None, None]
                      + bias[:, None, None] + res, 0)
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
    np.testing.assert_array_equal(wt, w_before)       # the folded scale never touches w


def test_conv2d_float64_and_result_layout():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((2, 3, 6, 6))
    wt = rng.standard_normal((4, 3, 3, 3))
    got = nn_infer.conv2d(x, wt, None, (1, 1), (1, 1), (1, 1))
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, _conv_reference(x, wt, (1, 1), (1, 1), (1, 1)), rtol=1e-12)
    assert got.transpose(0, 2, 3, 1).flags.c_contiguous   # NCHW shape over NHWC memory


@pytest.mark.parametrize("layout", ["nchw", "nhwc", "cnhw"])
@pytest.mark.parametrize("relu", [False, True])
def test_affine_relu(layout, relu):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 5, 4, 3)).astype(np.float32)
    scale, shift = (rng.standard_normal(5).astype(np.float32) for _ in range(2))
    got = nn_infer.affine_relu(_layouts(x)[layout], scale, shift, relu)
    want = x * scale[:, None, None] + shift[:, None, None]
    np.testing.assert_array_equal(got, np.maximum(want, 0) if relu else want)


@pytest.mark.parametrize("layout", ["nchw", "nhwc", "cnhw"])
@pytest.mark.parametrize("kernel,stride,pad,convention", [
    ((3, 3), (2, 2), (1, 1), "valid"), ((2, 2), (2, 2), (0, 0), "valid"),
    ((3, 3), (2, 2), (0, 0), "full"), ((3, 2), (1, 2), (1, 0), "full")])
def test_max_pool2d_window_maxima(layout, kernel, stride, pad, convention):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 9, 8)).astype(np.float32)
    y = mx.nd.Pooling(mx.nd.array(_layouts(x)[layout]), kernel=kernel, stride=stride, pad=pad,
                      pool_type="max", pooling_convention=convention).asnumpy()
    # each output is the maximum of its window clipped to the input (padding never wins: the
    # input values are finite and every window holds at least one input cell here)
    for (i, j) in np.ndindex(*y.shape[2:]):
        r0, c0 = i * stride[0] - pad[0], j * stride[1] - pad[1]
        win = x[:, :, max(r0, 0):r0 + kernel[0], max(c0, 0):c0 + kernel[1]]
        np.testing.assert_array_equal(y[:, :, i, j], win.max(axis=(2, 3)))


# ---------------------------------------------------------------- the fused executor plan
def _resnet_unit(fix_gamma=False, conv_bias=False, head_mid=False):
    data = mx.sym.Variable("data")
    bn1 = mx.sym.BatchNorm(data, fix_gamma=fix_gamma, eps=2e-5, name="bn1")
    act1 = mx.sym.Activation(bn1, act_type="relu", name="relu1")
    conv1 = mx.sym.Convolution(act1, num_filter=8, kernel=(3, 3), pad=(1, 1), no_bias=not conv_bias,
                               name="conv1")
    bn2 = mx.sym.BatchNorm(conv1, fix_gamma=fix_gamma, eps=2e-5, name="bn2")
    act2 = mx.sym.Activation(bn2, act_type="relu", name="relu2")
    conv2 = mx.sym.Convolution(act2, num_filter=8, kernel=(3, 3), pad=(1, 1), no_bias=True,
                               name="conv2")
    sc = mx.sym.Convolution(act1, num_filter=8, kernel=(1, 1), no_bias=True, name="sc")
    out = conv2 + sc
    pool = mx.sym.Pooling(out, kernel=(3, 3), stride=(2, 2), pad=(1, 1), pool_type="max")
    fc = mx.sym.FullyConnected(mx.sym.Flatten(pool), num_hidden=5, name="fc")
    heads = [mx.sym.SoftmaxOutput(fc, name="softmax")]
    if head_mid:
        heads.append(bn2)     # an intermediate result that is also an output: no fusion past it
    return mx.sym.Group(heads) if len(heads) > 1 else heads[0]


def _bind(sym, rng, dtype="float32", shape=(3, 4, 8, 8)):
    ex = sym.simple_bind(mx.cpu(), grad_req="null", data=shape,
                         type_dict={"data": dtype} if dtype != "float32" else None)
    for name, arr in ex.arg_dict.items():
        if not name.endswith("label"):
            arr[:] = rng.normal(0, 0.5, arr.shape)
    for name, arr in ex.aux_dict.items():
        arr[:] = rng.uniform(0.5, 1.5, arr.shape) if name.endswith("var") else \
            rng.normal(0, 0.2, arr.shape)
    return ex


def _op_by_op(ex, **kwargs):
    """The outputs with a monitor installed (the executor then runs every operator)."""
    ex.set_monitor_callback(lambda name, arr: None)
    try:
        return [o.asnumpy().copy() for o in ex.forward(is_train=False, **kwargs)]
    finally:
        ex.set_monitor_callback(None)


@pytest.mark.parametrize("options", [{}, {"fix_gamma": True}, {"conv_bias": True},
                                     {"head_mid": True}])
def test_fused_plan_matches_operator_by_operator(options):
    rng = np.random.default_rng(5)
    ex = _bind(_resnet_unit(**options), rng)
    want = _op_by_op(ex)
    params = {k: v.asnumpy().copy() for k, v in ex.arg_dict.items()}   # (after fix_gamma's 1s)
    got = [o.asnumpy() for o in ex.forward(is_train=False)]
    kinds = [type(st[0]).__name__ for st in ex._inference_plan()[0]]
    assert "FusedConv" in kinds and "FusedBatchNorm" in kinds and "FusedMaxPool" in kinds
    for g, w in zip(got, want):
        assert g.shape == w.shape
        assert np.abs(g - w).max() <= 1e-5 * np.abs(w).max()
    for k, v in ex.arg_dict.items():   # the fold changes no parameter
        np.testing.assert_array_equal(v.asnumpy(), params[k])


def test_fused_plan_fix_gamma_writes_one_into_gamma_as_batchnorm_does():
    rng = np.random.default_rng(6)
    ex = _bind(_resnet_unit(fix_gamma=True), rng)
    assert not np.all(ex.arg_dict["bn2_gamma"].asnumpy() == 1)
    ex.forward(is_train=False)
    assert np.all(ex.arg_dict["bn2_gamma"].asnumpy() == 1)


def test_fused_plan_chains():
    ex = _bind(_resnet_unit(), np.random.default_rng(7))
    chains = [[s[0].name for s in st[0].steps] for st in ex._inference_plan()[0]
              if isinstance(st[0], inference_plan._Fused)]
    assert ["BatchNorm", "Activation"] in chains                          # bn1 + relu1
    assert ["Convolution", "BatchNorm", "Activation"] in chains           # conv1 + bn2 + relu2
    assert ["Convolution", "elemwise_add"] in chains                      # conv2 + shortcut
    assert ["Convolution"] in chains                                      # the 1x1 shortcut
    # with bn2 an output of the symbol, conv1 stops before it
    ex = _bind(_resnet_unit(head_mid=True), np.random.default_rng(7))
    chains = [[s[0].name for s in st[0].steps] for st in ex._inference_plan()[0]
              if isinstance(st[0], inference_plan._Fused)]
    assert ["Convolution", "BatchNorm", "Activation"] not in chains


def test_buffers_reused_across_passes_give_fresh_results():
    rng = np.random.default_rng(8)
    ex = _bind(_resnet_unit(), rng)
    xs = [rng.normal(size=(3, 4, 8, 8)).astype(np.float32) for _ in range(3)]
    want = [_op_by_op(ex, data=mx.nd.array(x))[0] for x in xs]
    for x, w in zip(xs + xs, want + want):
        got = ex.forward(is_train=False, data=mx.nd.array(x))[0].asnumpy()
        assert np.abs(got - w).max() <= 1e-5 * np.abs(w).max()


def test_float64_and_float16_executors():
    """float64 runs the fused kernels in float64; float16 falls back to the operators."""
    for dtype, tol in (("float64", 1e-12), ("float16", 0)):
        rng = np.random.default_rng(9)
        ex = _bind(_resnet_unit(), rng, dtype=dtype)
        want = _op_by_op(ex)[0]
        got = ex.forward(is_train=False)[0].asnumpy()
        assert got.dtype == np.dtype(dtype)
        assert np.abs(got.astype(np.float64) - want).max() <= tol * np.abs(want).max()


def test_training_mode_is_not_fused():
    """forward(is_train=True) normalizes with batch statistics: the plain operators run."""
    rng = np.random.default_rng(10)
    ex = _bind(_resnet_unit(), rng)
    infer = ex.forward(is_train=False)[0].asnumpy().copy()
    train = ex.forward(is_train=True)[0].asnumpy()
    assert np.abs(train - infer).max() > 1e-3
