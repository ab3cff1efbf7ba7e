"""``mx.nd.random``: sampling functions with MXNet 1.x's Python signatures.

Scalar distribution parameters call the ``_random_*`` operators; NDArray parameters call
``_sample_*`` (one distribution per element; output shape ``param.shape + shape``).
Without ``shape`` (and without ``out``) one sample is drawn, shape (1,), as in MXNet.
"""
import numbers as _numbers

from ..base import MXNetError as _MXNetError
from ..registry import get_op as _get_op
from .ndarray import NDArray as _NDArray, run_op as _run_op

__all__ = ["uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson", "shuffle"]


class _NullType:
    """MXNet's marker for 'argument not given'."""
    def __repr__(self):
        return "_Null"


_Null = _NullType()


def _call(op_name, params, ctx, shape, dtype, out, kwargs, inputs=()):
    params = dict(params, **kwargs)
    if out is not None and not isinstance(out, _NDArray):
        raise _MXNetError(f"{op_name}: out must be an NDArray, got {type(out).__name__}")
    if shape is _Null:
        shape = out.shape if out is not None else ((1,) if not inputs else ())
    params["shape"] = shape
    if dtype is not _Null and dtype is not None:
        params["dtype"] = dtype
    if ctx is not None and not inputs:
        params["ctx"] = ctx
    op = _get_op(op_name)
    return _run_op(op, op.parse_attrs(params), list(inputs), out)


def _helper(where, scalar_op, array_op, p1, p2, names, shape, dtype, ctx, out, kwargs):
    if isinstance(p1, _NDArray) and isinstance(p2, _NDArray):
        return _call(array_op, {}, None, shape, dtype, out, kwargs, (p1, p2))
    if isinstance(p1, _NDArray) or isinstance(p2, _NDArray):
        raise _MXNetError(f"random.{where}: distribution parameters must all have the same type, "
                         f"got {type(p1).__name__} and {type(p2).__name__}")
    for name, value in zip(names, (p1, p2)):
        if isinstance(value, bool) or not isinstance(value, _numbers.Real):
            raise _MXNetError(f"random.{where}: '{name}' must be a number or an NDArray, got {value!r}")
    return _call(scalar_op, dict(zip(names, (p1, p2))), ctx, shape, dtype, out, kwargs)


def uniform(low=0, high=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the uniform distribution on [low, high)."""
    return _helper("uniform", "_random_uniform", "_sample_uniform", low, high, ("low", "high"),
                   shape, dtype, ctx, out, kwargs)


def normal(loc=0, scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the normal distribution N(loc, scale^2)."""
    return _helper("normal", "_random_normal", "_sample_normal", loc, scale, ("loc", "scale"),
                   shape, dtype, ctx, out, kwargs)


def randn(*shape, **kwargs):
    """Standard normal samples of the given shape: randn(2, 3, loc=0, scale=1)."""
    loc, scale = kwargs.pop("loc", 0), kwargs.pop("scale", 1)
    return normal(loc, scale, shape or _Null, **kwargs)


def randint(low, high, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples integers uniformly from [low, high)."""
    for name, value in (("low", low), ("high", high)):
        if isinstance(value, bool) or not isinstance(value, _numbers.Integral):
            raise _MXNetError(f"random.randint: '{name}' must be an integer, got {value!r}")
    return _call("_random_randint", {"low": low, "high": high}, ctx, shape, dtype, out, kwargs)


def exponential(scale=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the exponential distribution with the given scale (1 / rate)."""
    if isinstance(scale, bool) or not isinstance(scale, _numbers.Real) or scale <= 0:
        raise _MXNetError(f"random.exponential: 'scale' must be a positive number, got {scale!r}")
    return _call("_random_exponential", {"lam": 1.0 / scale}, ctx, shape, dtype, out, kwargs)


def gamma(alpha=1, beta=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the gamma distribution (shape alpha, scale beta)."""
    return _call("_random_gamma", {"alpha": alpha, "beta": beta}, ctx, shape, dtype, out, kwargs)


def poisson(lam=1, shape=_Null, dtype=_Null, ctx=None, out=None, **kwargs):
    """Samples from the Poisson distribution with rate lam."""
    return _call("_random_poisson", {"lam": lam}, ctx, shape, dtype, out, kwargs)


def shuffle(data, **kwargs):
    """A random permutation of ``data`` along its first axis."""
    out = kwargs.pop("out", None)
    if not isinstance(data, _NDArray):
        raise _MXNetError(f"random.shuffle: data must be an NDArray, got {type(data).__name__}")
    return _run_op(_get_op("_shuffle"), _get_op("_shuffle").parse_attrs(kwargs), [data], out)
