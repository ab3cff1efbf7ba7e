"""Random sampling operators: ``_random_uniform``, ``_random_normal``, ``_random_randint``,
``_random_exponential``, ``_random_gamma``, ``_random_poisson`` (no inputs: ``shape``,
``ctx`` and ``dtype`` parameters), ``_sample_uniform``/``_sample_normal`` (distribution
parameters given as arrays) and ``_shuffle``.

Draws come from ``pybridge.random``'s generator of the computing device, so
``mx.random.seed`` makes them reproducible.  Samples are constants (no gradient).
"""
import numpy as np

from ..base import MXNetError
from ..context import Context
from ..random import generator_for
from ..registry import Kind, Param, register
from ._util import raw


def _context(value):
    """A Context from a Context or MXNet's text form 'cpu(0)' / 'gpu(1)'; '' is None."""
    if value is None or isinstance(value, Context):
        return value
    text = str(value).strip().strip("'\"")
    if text in ("", "None"):
        return None
    try:
        kind, rest = text.split("(", 1)
        return Context(kind.strip(), int(rest.rstrip(")").strip() or 0))
    except (ValueError, MXNetError):
        raise ValueError(f"expected a context such as 'cpu(0)' or 'gpu(0)', got {value!r}") from None


def _dtype_kind(default, allowed):
    def parse(value):
        if value is None or (isinstance(value, str) and value.strip().strip("'\"") in ("None", "")):
            return default
        name = Kind.dtype(value)
        if name not in allowed:
            raise ValueError(f"expected one of {', '.join(allowed)}, got {value!r}")
        return name
    parse.__name__ = "dtype"
    return parse


_FLOATS = ("float16", "float32", "float64")
_COMMON = [Param("shape", Kind.shape, (), doc="shape of the output"),
           Param("ctx", _context, None, doc="context of the output, e.g. cpu(0)"),
           Param("dtype", _dtype_kind("float32", _FLOATS), "float32", doc="output dtype")]


def _infer_sample(op):
    def infer(attrs, in_shapes):
        if not attrs.shape:
            raise MXNetError(f"{op}: parameter 'shape' is missing; the output shape cannot be inferred")
        return in_shapes, [tuple(attrs.shape)], []
    return infer


def _type_from_attrs(attrs, in_types):
    return in_types, [np.dtype(attrs.dtype)], []


def _define(name, aliases, params, draw, doc, dtype_param=None):
    def compute(call):
        a = call.attrs
        _infer_sample(name)(a, [])
        return draw(generator_for(call.xp), a, tuple(a.shape))
    compute.__doc__ = doc
    register(name, aliases=aliases, inputs=(), infer_shape=_infer_sample(name),
             infer_type=_type_from_attrs,
             params=params + _COMMON[:2] + [dtype_param or _COMMON[2]])(compute)


def _check_range(op, low, high):
    if not low < high:
        raise MXNetError(f"{op}: 'low' ({low}) must be smaller than 'high' ({high})")


def _uniform(gen, a, shape):
    _check_range("_random_uniform", a.low, a.high)
    return gen.uniform(a.low, a.high, shape, a.dtype)


def _normal(gen, a, shape):
    if a.scale < 0:
        raise MXNetError(f"_random_normal: 'scale' must be non-negative, got {a.scale}")
    return gen.normal(a.loc, a.scale, shape, a.dtype)


def _randint(gen, a, shape):
    _check_range("_random_randint", a.low, a.high)
    return gen.randint(a.low, a.high, shape, a.dtype)


def _positive(op, name, value):
    if not value > 0:
        raise MXNetError(f"{op}: '{name}' must be positive, got {value}")


def _exponential(gen, a, shape):
    _positive("_random_exponential", "lam", a.lam)
    return gen.exponential(1.0 / a.lam, shape, a.dtype)


def _gamma(gen, a, shape):
    _positive("_random_gamma", "alpha", a.alpha)
    _positive("_random_gamma", "beta", a.beta)
    return gen.gamma(a.alpha, a.beta, shape, a.dtype)


def _poisson(gen, a, shape):
    if a.lam < 0:
        raise MXNetError(f"_random_poisson: 'lam' must be non-negative, got {a.lam}")
    return gen.poisson(a.lam, shape, a.dtype)


_define("_random_uniform", ("uniform", "random_uniform"),
        [Param("low", Kind.float, 0.0, doc="lower bound"), Param("high", Kind.float, 1.0, doc="upper bound")],
        _uniform, "Samples from the uniform distribution on [low, high).")
_define("_random_normal", ("normal", "random_normal"),
        [Param("loc", Kind.float, 0.0, doc="mean"), Param("scale", Kind.float, 1.0, doc="standard deviation")],
        _normal, "Samples from the normal distribution N(loc, scale^2).")
_define("_random_randint", ("random_randint",),
        [Param("low", Kind.int, doc="lower bound (inclusive)"),
         Param("high", Kind.int, doc="upper bound (exclusive)")],
        _randint, "Samples integers uniformly from [low, high).",
        dtype_param=Param("dtype", _dtype_kind("int32", ("int32", "int64")), "int32", doc="output dtype"))
_define("_random_exponential", ("random_exponential",),
        [Param("lam", Kind.float, 1.0, doc="rate")], _exponential,
        "Samples from the exponential distribution with rate lam.")
_define("_random_gamma", ("random_gamma",),
        [Param("alpha", Kind.float, 1.0, doc="shape"), Param("beta", Kind.float, 1.0, doc="scale")],
        _gamma, "Samples from the gamma distribution Gamma(alpha, scale beta).")
_define("_random_poisson", ("random_poisson",),
        [Param("lam", Kind.float, 1.0, doc="rate")], _poisson,
        "Samples from the Poisson distribution (as floats unless dtype says otherwise).")


# ---------------------------------------------------------------- per-element parameters
_SAMPLE_PARAMS = [Param("shape", Kind.shape, (), doc="samples per distribution"),
                  Param("dtype", _dtype_kind("float32", _FLOATS), "float32", doc="output dtype")]


def _infer_sample_arrays(attrs, in_shapes):
    first = next((s for s in in_shapes if s is not None), None)
    if first is None:
        return in_shapes, [None], []
    return [first] * len(in_shapes), [tuple(first) + tuple(attrs.shape)], []


def _define_sample(name, inputs, draw, doc):
    def compute(call, p1, p2):
        a1, a2 = raw(p1), raw(p2)
        if a1.shape != a2.shape:
            raise MXNetError(f"{name}: '{inputs[0]}' and '{inputs[1]}' must have one shape, "
                             f"got {a1.shape} and {a2.shape}")
        a = call.attrs
        tail = (1,) * len(a.shape)
        shape = a1.shape + tuple(a.shape)
        gen = generator_for(call.xp)
        return draw(gen, a1.reshape(a1.shape + tail), a2.reshape(a2.shape + tail), shape, a.dtype)
    compute.__doc__ = doc
    register(name, inputs=inputs, params=_SAMPLE_PARAMS, infer_shape=_infer_sample_arrays,
             infer_type=_type_from_attrs)(compute)


_define_sample("_sample_uniform", ("low", "high"),
               lambda g, lo, hi, s, dt: (lo + (hi - lo) * g.random(s, "float64")).astype(dt),
               "Uniform samples, one distribution per element of low/high (output: low.shape + shape).")
_define_sample("_sample_normal", ("mu", "sigma"),
               lambda g, mu, sd, s, dt: (mu + sd * g.normal(0.0, 1.0, s, "float64")).astype(dt),
               "Normal samples, one distribution per element of mu/sigma (output: mu.shape + shape).")


@register("_shuffle", aliases=("shuffle",))
def shuffle(call, data):
    """A random permutation of the array along its first axis."""
    x = raw(data)
    if x.ndim == 0 or x.shape[0] <= 1:
        return x.copy()
    return x[generator_for(call.xp).permutation(x.shape[0])]
