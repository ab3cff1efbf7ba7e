"""Random operators: shapes, dtypes, ranges, moments, seeding, per-element parameters."""
import numpy as np
import pytest

import pybridge as mx
from pybridge.registry import get_op

N = 20000

# Random operators are checked against distribution statistics, not a NumPy formula:
# the coverage test (test_ops_coverage.py) reads this list.
COVERED_OPS = ["_random_uniform", "_random_normal", "_random_randint", "_random_exponential",
               "_random_gamma", "_random_poisson", "_sample_uniform", "_sample_normal", "_shuffle"]


def _moments(x):
    x = x.asnumpy().astype(np.float64)
    return x.mean(), x.std()


def test_uniform_range_and_moments():
    x = mx.nd.random.uniform(-2, 4, shape=(N,))
    assert x.shape == (N,) and x.dtype == np.float32
    a = x.asnumpy()
    assert a.min() >= -2 and a.max() < 4
    mean, std = _moments(x)
    assert abs(mean - 1.0) < 0.05 and abs(std - 6 / np.sqrt(12)) < 0.05


def test_normal_moments_and_dtype():
    x = mx.nd.random.normal(loc=3, scale=2, shape=(100, 200), dtype="float64")
    assert x.shape == (100, 200) and x.dtype == np.float64
    mean, std = _moments(x)
    assert abs(mean - 3) < 0.05 and abs(std - 2) < 0.05


def test_randint():
    x = mx.nd.random.randint(-3, 5, shape=(N,))
    assert x.dtype == np.int32
    values = np.unique(x.asnumpy())
    np.testing.assert_array_equal(values, np.arange(-3, 5))
    assert mx.nd.random.randint(0, 2, shape=(3,), dtype="int64").dtype == np.int64


@pytest.mark.parametrize("fn,kwargs,mean,var", [
    ("exponential", {"scale": 2.0}, 2.0, 4.0),
    ("gamma", {"alpha": 3.0, "beta": 0.5}, 1.5, 0.75),
    ("poisson", {"lam": 4.0}, 4.0, 4.0),
])
def test_other_distributions(fn, kwargs, mean, var):
    x = getattr(mx.nd.random, fn)(shape=(N,), **kwargs).asnumpy().astype(np.float64)
    assert abs(x.mean() - mean) < 0.1 and abs(x.var() - var) < 0.25


def test_default_shape_is_one_sample():
    assert mx.nd.random.uniform().shape == (1,)
    assert mx.nd.random.normal().shape == (1,)
    with pytest.raises(mx.MXNetError, match="_random_uniform: parameter 'shape' is missing"):
        mx.nd.random_uniform()


def test_seed_reproduces():
    mx.random.seed(7)
    a = mx.nd.random.uniform(shape=(5,)).asnumpy()
    b = mx.nd.random.normal(shape=(5,)).asnumpy()
    mx.random.seed(7)
    np.testing.assert_array_equal(mx.nd.random.uniform(shape=(5,)).asnumpy(), a)
    np.testing.assert_array_equal(mx.random.normal(shape=(5,)).asnumpy(), b)
    mx.random.seed(8)
    assert not np.array_equal(mx.nd.random.uniform(shape=(5,)).asnumpy(), a)
    mx.random.seed(7, ctx=mx.cpu())
    np.testing.assert_array_equal(mx.nd.random.uniform(shape=(5,)).asnumpy(), a)


def test_seed_errors():
    with pytest.raises(ValueError, match="seed_state must be int"):
        mx.random.seed("a")
    with pytest.raises(mx.MXNetError, match="random.seed: ctx"):
        mx.random.seed(1, ctx="gpu")


def test_generator_is_per_device():
    from pybridge import random as r
    assert r.generator(mx.cpu()) is r.generator(mx.cpu(0))
    assert r.generator(mx.cpu()) is r.generator_for(np) is r.generator(np)
    with pytest.raises(mx.MXNetError, match="random.generator: ctx must be a Context"):
        r.generator("cpu")


def test_generator_api_is_seeded():
    from pybridge import random as r
    mx.random.seed(3)
    g = r.generator(mx.cpu())
    draws = [g.uniform(0, 1, (4,)), g.uniform(0, 1, size=(2,)), g.normal(0, 1, (3,), "float64"),
             g.randint(0, 9, (5,)), g.permutation(6), g.random((2,))]
    assert [d.shape for d in draws] == [(4,), (2,), (3,), (5,), (6,), (2,)]
    assert draws[0].dtype == np.float32 and draws[2].dtype == np.float64
    mx.random.seed(3)
    g = r.generator(mx.cpu())
    np.testing.assert_array_equal(g.uniform(0, 1, (4,)), draws[0])


def test_randn():
    x = mx.nd.random.randn(2, 3, loc=1.0)
    assert x.shape == (2, 3) and x.dtype == np.float32


def test_array_parameters():
    low = mx.nd.array([0, 10, 100])
    high = mx.nd.array([1, 11, 101])
    x = mx.nd.random.uniform(low, high, shape=(1000,))
    assert x.shape == (3, 1000)
    a = x.asnumpy()
    assert (a >= low.asnumpy()[:, None]).all() and (a < high.asnumpy()[:, None]).all()
    y = mx.nd.random.normal(mx.nd.array([0.0, 5.0]), mx.nd.array([1.0, 0.1]), shape=(4000,)).asnumpy()
    np.testing.assert_allclose(y.mean(axis=1), [0, 5], atol=0.1)
    np.testing.assert_allclose(y.std(axis=1), [1, 0.1], rtol=0.1)
    with pytest.raises(mx.MXNetError, match="random.uniform: distribution parameters"):
        mx.nd.random.uniform(0, mx.nd.array([1]))


def test_operator_forms_and_params():
    x = mx.nd.random_uniform(low="2", high="3", shape="(2, 3)", ctx="cpu(0)", dtype="float64")
    assert x.shape == (2, 3) and x.dtype == np.float64 and x.context == mx.cpu()
    assert ((x.asnumpy() >= 2) & (x.asnumpy() < 3)).all()
    assert mx.nd.uniform(shape=(2,)).shape == (2,)
    assert mx.nd.random_normal(shape=(2,)).shape == (2,)
    with pytest.raises(mx.MXNetError, match="_random_uniform: 'low'"):
        mx.nd.random.uniform(2, 1, shape=(2,))
    with pytest.raises(mx.MXNetError, match="_random_randint: required parameter 'low'"):
        mx.nd.random_randint(high=3, shape=(2,))
    with pytest.raises(mx.MXNetError, match="_random_uniform: invalid value for parameter 'dtype'"):
        mx.nd.random.uniform(shape=(2,), dtype="int32")
    op = get_op("_random_normal")
    attrs = op.parse_attrs({"shape": "(4, 5)", "dtype": "float16"})
    assert op.infer_shape(attrs, [])[1] == [(4, 5)]
    assert str(op.infer_type(attrs, [])[1][0]) == "float16"


def test_out_argument():
    out = mx.nd.zeros((3, 4))
    res = mx.nd.random.uniform(shape=(3, 4), out=out)
    assert res is out and (out.asnumpy() != 0).any()


def test_shuffle_is_permutation_of_rows():
    x = mx.nd.array(np.arange(20).reshape(10, 2))
    y = mx.nd.random.shuffle(x).asnumpy()
    assert sorted(map(tuple, y)) == sorted(map(tuple, x.asnumpy()))
    assert mx.nd.shuffle(x).shape == (10, 2)
