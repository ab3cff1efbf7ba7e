"""The array backend's fast paths compute what chainer.functions computes (same shape,
dtype and values), and unknown names fall through to Chainer."""
import numpy as np
import pytest

from pybridge._compat import F, chainer
from pybridge.backend import ArrayBackend, array_backend

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4)).astype(np.float32)
P = (rng.random((3, 4)) + 0.5).astype(np.float32)          # positive
U = (rng.random((3, 4)) * 1.8 - 0.9).astype(np.float32)    # in (-1, 1)
X3 = rng.standard_normal((2, 3, 4)).astype(np.float32)
B3 = rng.standard_normal((2, 4, 5)).astype(np.float32)
B3T = rng.standard_normal((2, 5, 4)).astype(np.float32)
A2 = rng.standard_normal((3, 4)).astype(np.float32)
B2 = rng.standard_normal((4, 5)).astype(np.float32)
B2T = rng.standard_normal((5, 4)).astype(np.float32)
COND = X > 0

# fast-path name: list of (args, kwargs) to compare
CALLS = {
    "exp": [((X,), {})], "log": [((P,), {})], "sqrt": [((P,), {})], "tanh": [((X,), {})],
    "absolute": [((X,), {})], "sin": [((X,), {})], "cos": [((X,), {})], "tan": [((U,), {})],
    "square": [((X,), {})], "reshape": [((X3, (6, 4)), {})],
    "transpose": [((X3,), {}), ((X3, (1, 0, 2)), {})], "broadcast_to": [((X[:1], (3, 4)), {})],
    "matmul": [((A2, B2), {}), ((A2.T.copy(), B2), {"transa": True}), ((A2, B2T), {"transb": True}),
               ((X3, B3), {}), ((X3, B3T), {"transb": True}),
               ((X3.transpose(0, 2, 1).copy(), B3), {"transa": True})],
    "maximum": [((X, P), {})], "minimum": [((X, P), {})], "relu": [((X,), {})],
    "sigmoid": [((X,), {}), ((X.astype(np.float64),), {})],
    "concat": [(([X, P],), {"axis": 0}), (([X, P],), {"axis": 1})],
    "stack": [(([X, P],), {"axis": 1})], "flatten": [((X3,), {})],
    "expand_dims": [((X, 1), {})], "squeeze": [((X[:, :1],), {}), ((X[:1],), {"axis": 0})],
    "where": [((COND, X, P), {})],
    "sum": [((X3,), {}), ((X3,), {"axis": (0, 2), "keepdims": True})],
    "clip": [((X, -0.5, 0.5), {})],
    "log1p": [((P,), {})], "expm1": [((X,), {})], "log2": [((P,), {})], "log10": [((P,), {})],
    "rsqrt": [((P,), {})], "arcsin": [((U,), {})], "arccos": [((U,), {})], "arctan": [((X,), {})],
    "sinh": [((X,), {})], "cosh": [((X,), {})],
    "max": [((X3,), {"axis": 1})], "min": [((X3,), {"axis": (0, 2), "keepdims": True})],
    "prod": [((P,), {"axis": 0})], "mean": [((X3,), {"axis": 2}), ((X3,), {})],
    "argmax": [((X,), {"axis": 1}), ((X,), {})], "argmin": [((X,), {"axis": 0})],
    "cast": [((X, np.float64), {})], "flip": [((X3, 1), {})], "tile": [((X, (2, 1)), {})],
    "repeat": [((X, 2, 1), {})], "get_item": [((X3, (slice(None), np.array([2, 0]))), {}),
                                              ((X3, (0, slice(1, 3))), {})],
    "swapaxes": [((X3, 0, 2), {})], "erf": [((X,), {})],
    "split_axis": [((X3, 2, 2), {}), ((X3, [1, 2], 1), {})],
    "softmax": [((X,), {"axis": 1}), ((X3,), {"axis": 0})],
    "log_softmax": [((X,), {"axis": 1}), ((X3,), {"axis": 2})],
}


def _fast_paths():
    return sorted(name for name, value in vars(ArrayBackend).items()
                  if callable(value) and not name.startswith("_"))


def test_every_fast_path_is_compared():
    assert sorted(CALLS) == _fast_paths()


@pytest.mark.parametrize("name", sorted(CALLS))
def test_fast_path_equals_chainer(name):
    backend = ArrayBackend(np)
    for args, kwargs in CALLS[name]:
        got = getattr(backend, name)(*args, **kwargs)
        with chainer.no_backprop_mode():
            want = getattr(F, name)(*args, **kwargs)
        gots = got if isinstance(got, (tuple, list)) else (got,)
        wants = want if isinstance(want, (tuple, list)) else (want,)
        assert len(gots) == len(wants)
        for g, w in zip(gots, wants):
            w = w.array if isinstance(w, chainer.Variable) else w
            g = np.asarray(g)
            assert g.shape == w.shape, name
            assert g.dtype == w.dtype, name
            np.testing.assert_allclose(g, w, rtol=2e-6, atol=1e-7, err_msg=name)


def test_fallthrough_runs_chainer_without_graph():
    backend = array_backend(np)
    out = backend.softplus(X)          # no fast path: Chainer's function, result unwrapped
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, np.log1p(np.exp(X)), rtol=1e-5)
    with pytest.raises(AttributeError):
        backend.no_such_function
    assert array_backend(np) is backend
