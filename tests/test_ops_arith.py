"""Arithmetic and comparison operators (pybridge/ops/arith.py) against NumPy: elementwise,
broadcast, scalar and reversed-scalar forms."""
import numpy as np
import pytest

import pybridge as mx
from _opcheck import Case, check, normal, positive

F_I = ("float32", "float64", "int32")
F = ("float32", "float64")

# key: (NumPy function, dtypes, left input, right input)
_ARITH = {
    "add": (np.add, F_I, normal, normal), "sub": (np.subtract, F_I, normal, normal),
    "mul": (np.multiply, F_I, normal, normal), "div": (np.divide, F, normal, positive),
    "mod": (np.mod, F, normal, positive), "power": (np.power, F, positive, normal),
    "maximum": (np.maximum, F_I, normal, normal), "minimum": (np.minimum, F_I, normal, normal),
    "hypot": (np.hypot, F, normal, normal),
}
_ELEMWISE = {"add": ["elemwise_add", "_plus", "_add"], "sub": ["elemwise_sub", "_minus", "_sub"],
             "mul": ["elemwise_mul", "_mul"], "div": ["elemwise_div", "_div"], "mod": ["_mod"],
             "power": ["_power"], "maximum": ["_maximum"], "minimum": ["_minimum"], "hypot": ["_hypot"]}
_SCALAR = {"add": "_plus_scalar", "sub": "_minus_scalar", "mul": "_mul_scalar", "div": "_div_scalar",
           "mod": "_mod_scalar", "power": "_power_scalar", "maximum": "_maximum_scalar",
           "minimum": "_minimum_scalar", "hypot": "_hypot_scalar"}
_RSCALAR = {"sub": "_rminus_scalar", "div": "_rdiv_scalar", "mod": "_rmod_scalar", "power": "_rpower_scalar"}
_COMPARE = {"equal": np.equal, "not_equal": np.not_equal, "greater": np.greater,
            "greater_equal": np.greater_equal, "lesser": np.less, "lesser_equal": np.less_equal,
            "logical_and": lambda a, b: (a != 0) & (b != 0), "logical_or": lambda a, b: (a != 0) | (b != 0),
            "logical_xor": lambda a, b: (a != 0) ^ (b != 0)}


def binary(fn):
    return lambda a, b: np.asarray(fn(a.astype(np.float64), b.astype(np.float64))).astype(a.dtype)


def with_scalar(fn, reverse=False):
    def ref(x, scalar):
        x64 = x.astype(np.float64)
        return np.asarray(fn(scalar, x64) if reverse else fn(x64, scalar)).astype(x.dtype)
    return ref


def rounded(make):
    """Inputs with repeated values so that equality comparisons are exercised."""
    return lambda rng, dt: np.round(make(rng, dt)).astype(dt)


CASES = []
for key, (fn, dts, left, right) in _ARITH.items():
    for name in _ELEMWISE[key]:
        CASES.append(Case(name, binary(fn), [left(3, 4), right(3, 4)], dtypes=dts))
    CASES.append(Case(f"broadcast_{key}", binary(fn), [left(3, 1), right(1, 4)], dtypes=dts))
    scalar = 3.0 if key != "power" else 1.5
    CASES.append(Case(_SCALAR[key], with_scalar(fn), [left(2, 3)], {"scalar": scalar}, dtypes=dts))
    if key in _RSCALAR:
        CASES.append(Case(_RSCALAR[key], with_scalar(fn, True), [right(2, 3) if key != "power" else normal(2, 3)],
                          {"scalar": 2.5}, dtypes=F))
for key, fn in _COMPARE.items():
    CASES.append(Case(f"_{key}", binary(fn), [rounded(normal(3, 4)), rounded(normal(3, 4))], dtypes=F_I))
    CASES.append(Case(f"broadcast_{key}", binary(fn), [rounded(normal(3, 1)), rounded(normal(1, 4))], dtypes=F_I))
    CASES.append(Case(f"_{key}_scalar", with_scalar(fn), [rounded(normal(3, 4))], {"scalar": 0.0}, dtypes=F_I))
CASES += [Case("negative", lambda x: -x, [normal(3, 4)], dtypes=F_I),
          Case("abs", lambda x: np.abs(x), [normal(3, 4)], dtypes=F_I)]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_against_numpy(case):
    check(case)


def test_elementwise_needs_equal_shapes():
    with pytest.raises(mx.MXNetError, match="elemwise_add: shapes"):
        mx.nd.elemwise_add(mx.nd.ones((2, 3)), mx.nd.ones((3, 2)))
    with pytest.raises(mx.MXNetError, match="broadcast_add: operands could not be broadcast"):
        mx.nd.broadcast_add(mx.nd.ones((2, 3)), mx.nd.ones((3, 2)))
