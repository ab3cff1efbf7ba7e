"""Optimizers and learning-rate schedulers against NumPy formulas (MXNet 1.9.1's kernels)."""
import math

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError


def _clip(x, c):
    return x if not c else np.clip(x, -c, c)


def _run(opt, steps, shape=(5, 4), seed=1, index=0):
    """Apply ``steps`` updates; returns the weights and gradients used (float64 copies)."""
    rng = np.random.RandomState(seed)
    w0 = rng.uniform(-1, 1, shape).astype(np.float32)
    grads = [rng.uniform(-3, 3, shape).astype(np.float32) for _ in range(steps)]
    weight = mx.nd.array(w0)
    updater = mx.optimizer.get_updater(opt)
    for g in grads:
        updater(index, mx.nd.array(g), weight)
    return w0.astype(np.float64), [g.astype(np.float64) for g in grads], weight.asnumpy()


CASES = [dict(), dict(wd=0.01), dict(wd=0.01, clip_gradient=0.5), dict(rescale_grad=0.25)]


@pytest.mark.parametrize("kw", CASES)
@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_matches_formula(kw, momentum):
    opt = mx.optimizer.create("sgd", learning_rate=0.1, momentum=momentum, **kw)
    w, grads, got = _run(opt, 4)
    lr, wd, rs, c = 0.1, kw.get("wd", 0.0), kw.get("rescale_grad", 1.0), kw.get("clip_gradient")
    mom = np.zeros_like(w)
    for g in grads:
        if momentum:
            mom = momentum * mom - lr * wd * w - lr * _clip(rs * g, c)
            w = w + mom
        else:
            w = (1 - lr * wd) * w - lr * _clip(rs * g, c)
    np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", CASES)
def test_nag_matches_formula(kw):
    momentum = 0.8
    opt = mx.optimizer.NAG(learning_rate=0.05, momentum=momentum, **kw)
    w, grads, got = _run(opt, 4)
    lr, wd, rs, c = 0.05, kw.get("wd", 0.0), kw.get("rescale_grad", 1.0), kw.get("clip_gradient")
    mom = np.zeros_like(w)                        # MXNet's docstring form, state = -mom/lr
    for g in grads:
        state = -mom / lr
        gg = _clip(rs * g, c) + wd * w
        w_new = w - lr * (gg + momentum * (momentum * state + gg))
        # nag_mom_update runs in place: the momentum's decay term reads the new weight
        mom = momentum * mom - lr * (_clip(rs * g, c) + wd * w_new)
        w = w_new
    np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", CASES)
def test_adam_matches_formula(kw):
    b1, b2, eps, lr = 0.9, 0.999, 1e-8, 0.01
    opt = mx.optimizer.create("adam", learning_rate=lr, **kw)
    w, grads, got = _run(opt, 5)
    wd, rs, c = kw.get("wd", 0.0), kw.get("rescale_grad", 1.0), kw.get("clip_gradient")
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(grads, 1):
        gg = _clip(rs * g + wd * w, c)
        m = b1 * m + (1 - b1) * gg
        v = b2 * v + (1 - b2) * gg * gg
        lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        w = w - lr_t * m / (np.sqrt(v) + eps)
    np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", CASES)
@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_matches_formula(kw, centered):
    g1, g2, eps, lr = 0.9, 0.9, 1e-8, 0.002
    opt = mx.optimizer.RMSProp(learning_rate=lr, centered=centered, **kw)
    w, grads, got = _run(opt, 4)
    wd, rs, c = kw.get("wd", 0.0), kw.get("rescale_grad", 1.0), kw.get("clip_gradient")
    n = np.zeros_like(w)
    gm = np.zeros_like(w)
    delta = np.zeros_like(w)
    for g in grads:
        gg = _clip(rs * g + wd * w, c)
        n = (1 - g1) * gg * gg + g1 * n
        if centered:
            gm = (1 - g1) * gg + g1 * gm
            delta = g2 * delta - lr * gg / np.sqrt(n - gm * gm + eps)
            w = w + delta
        else:
            w = w - lr * gg / np.sqrt(n + eps)
    np.testing.assert_allclose(got, w, rtol=1e-4, atol=1e-6)


def test_rmsprop_clip_weights():
    opt = mx.optimizer.RMSProp(learning_rate=10.0, clip_weights=0.3)
    _, _, got = _run(opt, 3)
    assert np.abs(got).max() <= 0.3 + 1e-7


@pytest.mark.parametrize("kw", CASES)
def test_adagrad_matches_formula(kw):
    lr, eps = 0.1, 1e-7
    opt = mx.optimizer.create("adagrad", learning_rate=lr, **kw)
    w, grads, got = _run(opt, 4)
    wd, rs, c = kw.get("wd", 0.0), kw.get("rescale_grad", 1.0), kw.get("clip_gradient")
    hist = np.zeros_like(w)
    for g in grads:
        gg = _clip(rs * g, c)
        hist = hist + gg * gg
        w = w - lr * (gg / np.sqrt(hist + eps) + wd * w)
    np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("kw", CASES)
def test_adadelta_matches_formula(kw):
    rho, eps = 0.9, 1e-5
    opt = mx.optimizer.create("adadelta", rho=rho, epsilon=eps, **kw)
    w, grads, got = _run(opt, 4)
    wd, rs, c = kw.get("wd", 0.0), kw.get("rescale_grad", 1.0), kw.get("clip_gradient")
    acc_g = np.zeros_like(w)
    acc_d = np.zeros_like(w)
    for g in grads:
        gg = _clip(rs * g, c)
        acc_g = rho * acc_g + (1 - rho) * gg * gg
        d = np.sqrt(acc_d + eps) / np.sqrt(acc_g + eps) * gg
        acc_d = rho * acc_d + (1 - rho) * d * d
        w = w - (d + wd * w)
    np.testing.assert_allclose(got, w, rtol=1e-5, atol=1e-6)


def test_updates_are_in_place_and_keep_dtype():
    w = mx.nd.ones((3, 3))
    before = w._data
    upd = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=0.5, momentum=0.9))
    upd(0, mx.nd.ones((3, 3)), w)
    assert w._data is before and w.dtype == np.float32
    np.testing.assert_allclose(w.asnumpy(), 0.5)


def test_wd_mult_zero_for_non_weights_with_idx2name():
    opt = mx.optimizer.SGD(learning_rate=0.1, wd=0.5,
                           param_idx2name={0: "fc_weight", 1: "fc_bias", 2: "bn_gamma"})
    assert opt._get_wd(0) == 0.5 and opt._get_wd(2) == 0.5 and opt._get_wd(1) == 0.0
    bias = mx.nd.ones((4,))
    mx.optimizer.get_updater(opt)(1, mx.nd.zeros((4,)), bias)
    np.testing.assert_allclose(bias.asnumpy(), 1.0)   # no decay on the bias


def test_lr_mult_and_wd_mult():
    opt = mx.optimizer.SGD(learning_rate=0.1, wd=0.1, param_idx2name={0: "a_weight"})
    opt.set_lr_mult({"a_weight": 0.5})
    opt.set_wd_mult({"a_weight": 2.0})
    assert opt._get_lr(0) == pytest.approx(0.05) and opt._get_wd(0) == pytest.approx(0.2)


def test_num_update_and_scheduler():
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    opt = mx.optimizer.SGD(lr_scheduler=sched)
    upd = mx.optimizer.get_updater(opt)
    w = mx.nd.zeros((1,))
    lrs = []
    for _ in range(6):
        upd(0, mx.nd.ones((1,)), w)
        lrs.append(opt.learning_rate)
    assert opt.num_update == 6
    # lr used at update k: base * 0.5 ** floor((k - 1) / 2)
    expected_w = -sum(0.5 ** ((k - 1) // 2) for k in range(1, 7))
    np.testing.assert_allclose(w.asnumpy(), [expected_w], rtol=1e-6)


def test_factor_scheduler_values():
    s = mx.lr_scheduler.FactorScheduler(step=10, factor=0.9, stop_factor_lr=0.5, base_lr=1.0)
    for n in [1, 10, 11, 25, 100, 1000]:
        expect = max(1.0 * 0.9 ** ((n - 1) // 10), 0.5) if n > 10 else 1.0
        assert s(n) == pytest.approx(expect), n


def test_multifactor_scheduler_values():
    s = mx.lr_scheduler.MultiFactorScheduler(step=[5, 8], factor=0.1, base_lr=1.0)
    got = [s(n) for n in range(1, 12)]
    expect = [1.0 if n <= 5 else (0.1 if n <= 8 else 0.01) for n in range(1, 12)]
    np.testing.assert_allclose(got, expect, rtol=1e-12)


def test_scheduler_warmup_linear():
    s = mx.lr_scheduler.FactorScheduler(step=100, base_lr=1.0, warmup_steps=4, warmup_begin_lr=0.2)
    assert s(0) == pytest.approx(0.2) and s(2) == pytest.approx(0.6)


def test_scheduler_bad_arguments():
    with pytest.raises(MXNetError, match="FactorScheduler.*step"):
        mx.lr_scheduler.FactorScheduler(step=0)
    with pytest.raises(MXNetError, match="MultiFactorScheduler.*increasing"):
        mx.lr_scheduler.MultiFactorScheduler(step=[5, 3])
    with pytest.raises(MXNetError, match="factor"):
        mx.lr_scheduler.FactorScheduler(step=2, factor=2.0)


def test_create_by_name_and_unknown():
    assert isinstance(mx.optimizer.create("SGD"), mx.optimizer.SGD)
    assert isinstance(mx.optimizer.create("rmsprop"), mx.optimizer.RMSProp)
    assert mx.optimizer.create("adam").lr == 0.001
    with pytest.raises(MXNetError, match="optimizer.create.*'nosuch'"):
        mx.optimizer.create("nosuch")
    with pytest.raises(MXNetError, match="optimizer.create"):
        mx.optimizer.create("sgd", bogus_argument=1)


def test_default_learning_rate_and_override_warning():
    assert mx.optimizer.SGD().learning_rate == 0.01
    s = mx.lr_scheduler.FactorScheduler(step=5, base_lr=0.3)
    with pytest.warns(UserWarning):
        opt = mx.optimizer.SGD(learning_rate=0.1, lr_scheduler=s)
    assert s.base_lr == 0.1 and opt.learning_rate == 0.1


def test_multi_precision_float16():
    opt = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, multi_precision=True)
    w = mx.nd.array(np.full((4,), 1.0), dtype="float16")
    upd = mx.optimizer.get_updater(opt)
    for _ in range(3):
        upd(0, mx.nd.array(np.full((4,), 0.001), dtype="float16"), w)
    master = upd.states[0][1].asnumpy()
    assert master.dtype == np.float32 and w.dtype == np.float16
    mom, expect = 0.0, 1.0
    for _ in range(3):
        mom = 0.9 * mom - 0.1 * np.float32(np.float16(0.001))
        expect += mom
    np.testing.assert_allclose(master, expect, rtol=1e-6)


def test_update_rejects_non_ndarray():
    with pytest.raises(MXNetError, match="SGD.update.*grad"):
        mx.optimizer.SGD().update(0, mx.nd.ones((2,)), np.ones(2), None)
