"""Initializers: name-suffix rules, distributions and scales from NumPy formulas, seeding."""
import json

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError


def _init(init, name, shape):
    arr = mx.nd.full(shape, 123.0)
    init(mx.init.InitDesc(name), arr)
    return arr.asnumpy()


@pytest.mark.parametrize("name,value", [
    ("fc1_bias", 0.0), ("bn_gamma", 1.0), ("bn_beta", 0.0), ("bn_moving_mean", 0.0),
    ("bn_moving_var", 1.0), ("bn_moving_inv_var", 0.0), ("bn_moving_avg", 0.0),
    ("q_min", 0.0), ("q_max", 1.0),
])
def test_suffix_rules(name, value):
    assert np.all(_init(mx.init.Uniform(0.5), name, (7,)) == value)
    arr = mx.nd.full((7,), 5.0)
    mx.init.Xavier()(name, arr)                     # legacy call with a plain name
    assert np.all(arr.asnumpy() == value)


def test_uniform_range_and_spread():
    w = _init(mx.init.Uniform(0.07), "fc_weight", (200, 300))
    assert np.abs(w).max() <= 0.07 and np.abs(w).max() > 0.069
    assert w.std() == pytest.approx(0.07 / np.sqrt(3), rel=0.02)
    assert abs(w.mean()) < 0.001


def test_normal_sigma():
    w = _init(mx.init.Normal(0.5), "fc_weight", (300, 300))
    assert w.std() == pytest.approx(0.5, rel=0.02) and abs(w.mean()) < 0.01


@pytest.mark.parametrize("shape", [(64, 100), (16, 8, 3, 3)])
@pytest.mark.parametrize("factor_type", ["avg", "in", "out"])
def test_xavier_uniform_scale(shape, factor_type):
    w = _init(mx.init.Xavier(factor_type=factor_type, magnitude=3), "conv_weight", shape)
    hw = np.prod(shape[2:]) if len(shape) > 2 else 1
    fan_in, fan_out = shape[1] * hw, shape[0] * hw
    factor = {"avg": (fan_in + fan_out) / 2, "in": fan_in, "out": fan_out}[factor_type]
    scale = np.sqrt(3 / factor)
    assert np.abs(w).max() <= scale * (1 + 1e-6)
    assert np.abs(w).max() > 0.95 * scale


def test_xavier_gaussian_and_msraprelu():
    shape = (256, 512)
    w = _init(mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2), "w_weight", shape)
    assert w.std() == pytest.approx(np.sqrt(2 / 512), rel=0.03)
    m = _init(mx.init.MSRAPrelu(factor_type="in", slope=0.25), "w_weight", shape)
    assert m.std() == pytest.approx(np.sqrt(2 / (1 + 0.25 ** 2) / 512), rel=0.03)


def test_xavier_rejects_vectors_and_bad_types():
    with pytest.raises(MXNetError, match="Xavier.*fc_weight"):
        _init(mx.init.Xavier(), "fc_weight", (5,))
    with pytest.raises(MXNetError, match="Xavier.*rnd_type"):
        mx.init.Xavier(rnd_type="cauchy")


def test_constant_zero_one():
    assert np.all(_init(mx.init.Constant(2.5), "a_weight", (3, 2)) == 2.5)
    assert np.all(_init(mx.init.Zero(), "a_weight", (3, 2)) == 0)
    assert np.all(_init(mx.init.One(), "a_weight", (3, 2)) == 1)
    vals = np.arange(6, dtype=np.float32).reshape(3, 2)
    np.testing.assert_array_equal(_init(mx.init.Constant(vals), "a_weight", (3, 2)), vals)


def test_init_attribute_overrides_rule():
    arr = mx.nd.zeros((2, 2))
    mx.init.Uniform()(mx.init.InitDesc("x_bias", {"__init__": '["constant", {"value": 4}]'}), arr)
    assert np.all(arr.asnumpy() == 4)


def test_unknown_pattern_is_an_error():
    with pytest.raises(MXNetError, match="Unknown initialization pattern for foo"):
        _init(mx.init.Uniform(), "foo", (2,))


def test_seed_repeats_draws():
    mx.random.seed(42)
    a = _init(mx.init.Xavier(), "w_weight", (10, 10))
    mx.random.seed(42)
    b = _init(mx.init.Xavier(), "w_weight", (10, 10))
    c = _init(mx.init.Xavier(), "w_weight", (10, 10))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


def test_create_and_dumps_round_trip():
    x = mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2.34)
    assert json.loads(x.dumps()) == ["xavier", {"rnd_type": "gaussian", "factor_type": "in",
                                                "magnitude": 2.34}]
    assert mx.init.create(x.dumps()) == x
    assert isinstance(mx.init.create("zeros"), mx.init.Zero)
    assert mx.init.create("normal", sigma=0.5).sigma == 0.5
    with pytest.raises(MXNetError, match="initializer.create: unknown initializer 'nope'"):
        mx.init.create("nope")


def test_mixed_and_load():
    mixed = mx.init.Mixed(["fc1.*", ".*"], [mx.init.Constant(1), mx.init.Zero()])
    a, b = mx.nd.full((2,), 9.0), mx.nd.full((2,), 9.0)
    mixed("fc1_weight", a)
    mixed("fc2_weight", b)
    assert a.asnumpy().tolist() == [1, 1] and b.asnumpy().tolist() == [0, 0]
    with pytest.raises(MXNetError, match="Mixed: parameter name zz"):
        mx.init.Mixed(["a.*"], [mx.init.Zero()])("zz", a)
    load = mx.init.Load({"arg:fc_weight": mx.nd.array([[1, 2]])}, default_init=mx.init.One())
    w, bias = mx.nd.zeros((1, 2)), mx.nd.zeros((3,))
    load("fc_weight", w)
    load("fc_bias", bias)
    assert w.asnumpy().tolist() == [[1, 2]] and bias.asnumpy().tolist() == [0, 0, 0]
    with pytest.raises(MXNetError, match="Load.*Shape mismatch"):
        load("fc_weight", mx.nd.zeros((2, 2)))
    with pytest.raises(MXNetError, match="Load: cannot initialize other"):
        mx.init.Load({})("other", w)


def test_orthogonal_rows_are_orthonormal_times_scale():
    w = _init(mx.init.Orthogonal(scale=1.5), "fc_weight", (6, 10))
    np.testing.assert_allclose(w @ w.T, 1.5 ** 2 * np.eye(6), atol=1e-5)
    w = _init(mx.init.Orthogonal(scale=1.0, rand_type="normal"), "fc_weight", (10, 6))
    np.testing.assert_allclose(w.T @ w, np.eye(6), atol=1e-5)


def test_bilinear_kernel():
    w = _init(mx.init.Bilinear(), "up_weight", (1, 1, 4, 4))[0, 0]
    f = np.ceil(4 / 2.)
    c = (2 * f - 1 - f % 2) / (2. * f)
    one = 1 - np.abs(np.arange(4) / f - c)
    np.testing.assert_allclose(w, np.outer(one, one), rtol=1e-6)
