"""Table-driven checks of registry operators against NumPy (shared by tests/test_ops_*.py).

A ``Case`` names an operator, how to make its inputs, its parameters and a NumPy reference.
``check`` runs ``mx.nd.<op>`` for each dtype of the case and compares with the reference,
computed independently from the same inputs.
"""
import numpy as np

import pybridge as mx

TOL = {"float16": (1e-2, 1e-2), "float32": (2e-5, 1e-6), "float64": (1e-11, 1e-12)}


def normal(*shape):
    return lambda rng, dt: rng.standard_normal(shape).astype(dt) if np.dtype(dt).kind == "f" \
        else rng.integers(-5, 6, shape).astype(dt)


def positive(*shape):
    return lambda rng, dt: (rng.random(shape) * 4 + 0.5).astype(dt) if np.dtype(dt).kind == "f" \
        else rng.integers(1, 10, shape).astype(dt)


def between(lo, hi, *shape):
    return lambda rng, dt: (lo + (hi - lo) * rng.random(shape)).astype(dt)


def ints(lo, hi, *shape):
    """Integer-valued inputs (indices) in the case's dtype."""
    return lambda rng, dt: rng.integers(lo, hi, shape).astype(dt)


def fixed(values, dtype=None):
    return lambda rng, dt: np.array(values, dtype=dtype or dt)


class Case:
    def __init__(self, op, ref, inputs, params=None, dtypes=("float32", "float64"), tol=None,
                 id=None):
        self.op, self.ref, self.inputs = op, ref, inputs
        self.params = params or {}
        self.dtypes, self.tol = dtypes, tol
        self.id = id or f"{op}-{'-'.join(f'{k}={v}' for k, v in self.params.items())}"

    def __repr__(self):
        return self.id


def check(case, seed=0):
    for dt in case.dtypes:
        rng = np.random.default_rng(seed)
        arrays = [make(rng, dt) for make in case.inputs]
        nd_args = [mx.nd.array(a, dtype=a.dtype) for a in arrays]
        got = getattr(mx.nd, case.op)(*nd_args, **case.params)
        want = case.ref(*[a.copy() for a in arrays], **case.params)
        gots = got if isinstance(got, list) else [got]
        wants = want if isinstance(want, list) else [want]
        assert len(gots) == len(wants), f"{case}: {len(gots)} outputs, expected {len(wants)}"
        for g, w in zip(gots, wants):
            w = np.asarray(w)
            g_np = g.asnumpy()
            assert g_np.shape == w.shape, f"{case} [{dt}]: shape {g_np.shape}, expected {w.shape}"
            assert g_np.dtype == w.dtype, f"{case} [{dt}]: dtype {g_np.dtype}, expected {w.dtype}"
            if w.dtype.kind in "iub":
                np.testing.assert_array_equal(g_np, w, err_msg=f"{case} [{dt}]")
            else:
                rtol, atol = case.tol or TOL[w.dtype.name]
                np.testing.assert_allclose(g_np, w, rtol=rtol, atol=atol, err_msg=f"{case} [{dt}]")
