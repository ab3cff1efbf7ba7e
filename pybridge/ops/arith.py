"""Arithmetic and comparison operators: elementwise, broadcast and with a scalar.

Each row of the tables below is one operator; its computation is the function in the row.
Arithmetic is differentiable (it runs on Chainer Variables in a graph); comparisons give
0/1 in the input's dtype and no gradient, as in MXNet.
"""
import numbers

from ..registry import Kind, Param, register
from ._util import (broadcast_pair, constant, infer_broadcast, infer_same_as_first,
                    keep_dtype, raw)


def _mod(call, a, b):
    # MXNet's mod follows the sign of the divisor, like Python's %; d/da = 1, d/db = -floor(a/b)
    return a - constant(call, call.xp.floor(raw(a) / raw(b)), a) * b


_ARITH = {   # name: (function of two operands, broadcast name, scalar, reversed-scalar)
    "add": (lambda c, a, b: a + b, "broadcast_add", "_plus_scalar", None),
    "sub": (lambda c, a, b: a - b, "broadcast_sub", "_minus_scalar", "_rminus_scalar"),
    "mul": (lambda c, a, b: a * b, "broadcast_mul", "_mul_scalar", None),
    "div": (lambda c, a, b: a / b, "broadcast_div", "_div_scalar", "_rdiv_scalar"),
    "mod": (_mod, "broadcast_mod", "_mod_scalar", "_rmod_scalar"),
    "power": (lambda c, a, b: a ** b, "broadcast_power", "_power_scalar", "_rpower_scalar"),
    "maximum": (lambda c, a, b: c.F.maximum(*_both_arrays(c, a, b)), "broadcast_maximum",
                "_maximum_scalar", None),
    "minimum": (lambda c, a, b: c.F.minimum(*_both_arrays(c, a, b)), "broadcast_minimum",
                "_minimum_scalar", None),
    "hypot": (lambda c, a, b: (a * a + b * b) ** 0.5, "broadcast_hypot", "_hypot_scalar", None),
}
_ELEMWISE_NAMES = {"add": ("elemwise_add", ("_plus", "_add")),
                   "sub": ("elemwise_sub", ("_minus", "_sub")),
                   "mul": ("elemwise_mul", ("_mul",)),
                   "div": ("elemwise_div", ("_div",)),
                   "mod": ("_mod", ()), "power": ("_power", ()),
                   "maximum": ("_maximum", ()), "minimum": ("_minimum", ()),
                   "hypot": ("_hypot", ())}
_COMPARE = {
    "equal": lambda a, b: a == b, "not_equal": lambda a, b: a != b,
    "greater": lambda a, b: a > b, "greater_equal": lambda a, b: a >= b,
    "lesser": lambda a, b: a < b, "lesser_equal": lambda a, b: a <= b,
    "logical_and": lambda a, b: (a != 0) & (b != 0), "logical_or": lambda a, b: (a != 0) | (b != 0),
    "logical_xor": lambda a, b: (a != 0) ^ (b != 0),
}
_SCALAR = [Param("scalar", Kind.float, 1.0, doc="the scalar operand")]


def _define_arith(key, fn, bname, sname, rname):
    def elementwise(call, lhs, rhs):
        if lhs.shape != rhs.shape:
            from ..base import MXNetError
            raise MXNetError(f"shapes {lhs.shape} and {rhs.shape} must be equal")
        return keep_dtype(fn(call, lhs, rhs), lhs)

    def broadcast(call, lhs, rhs):
        a, b = broadcast_pair(call, bname, lhs, rhs)
        return keep_dtype(fn(call, a, b), lhs)

    def scalar(call, data):
        return keep_dtype(fn(call, data, _scalar_like(call, data)), data)

    def rscalar(call, data):
        return keep_dtype(fn(call, _scalar_like(call, data), data), data)

    ename, ealiases = _ELEMWISE_NAMES[key]
    elementwise.__doc__ = f"Elementwise {key} of two arrays of the same shape."
    broadcast.__doc__ = f"Elementwise {key} of two arrays with broadcasting."
    scalar.__doc__ = f"Elementwise {key} of an array and a scalar."
    rscalar.__doc__ = f"Elementwise {key} of a scalar and an array."
    register(ename, inputs=("lhs", "rhs"), aliases=ealiases)(elementwise)
    register(bname, inputs=("lhs", "rhs"), infer_shape=infer_broadcast(bname))(broadcast)
    register(sname, params=_SCALAR)(scalar)
    if rname:
        register(rname, params=_SCALAR)(rscalar)


def _both_arrays(call, a, b):
    """F.maximum/minimum need two arrays (Chainer's graph refuses an array and a scalar)."""
    if isinstance(b, numbers.Number):
        b = call.xp.full(raw(a).shape, b, raw(a).dtype)
    return a, b


def _scalar_like(call, data):
    """The scalar parameter as a value Chainer and NumPy combine with ``data`` in its dtype."""
    return raw(data).dtype.type(call.attrs.scalar) if raw(data).dtype.kind == "f" else call.attrs.scalar


def _define_compare(key, fn):
    def elementwise(call, lhs, rhs):
        return constant(call, fn(raw(lhs), raw(rhs)), lhs)

    def broadcast(call, lhs, rhs):
        return constant(call, fn(raw(lhs), raw(rhs)), lhs)

    def scalar(call, data):
        return constant(call, fn(raw(data), call.attrs.scalar), data)

    elementwise.__doc__ = f"Elementwise '{key}' of two arrays: 1 where true, 0 where false."
    broadcast.__doc__ = f"Elementwise '{key}' of two arrays with broadcasting: 1 or 0."
    scalar.__doc__ = f"Elementwise '{key}' of an array and a scalar: 1 or 0."
    register(f"_{key}", inputs=("lhs", "rhs"))(elementwise)
    register(f"broadcast_{key}", inputs=("lhs", "rhs"), infer_shape=infer_broadcast(key))(broadcast)
    register(f"_{key}_scalar", params=_SCALAR)(scalar)


for _key, _row in _ARITH.items():
    _define_arith(_key, *_row)
for _key, _fn in _COMPARE.items():
    _define_compare(_key, _fn)


@register("negative", infer_shape=infer_same_as_first)
def negative(call, data):
    """Numerical negative, elementwise."""
    return -data


@register("abs", infer_shape=infer_same_as_first)
def absolute(call, data):
    """Absolute value, elementwise."""
    return call.F.absolute(data)
