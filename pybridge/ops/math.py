"""Elementwise math: exp, log, trigonometry, rounding, activations, gamma, clip, softmax.

Differentiable functions run through ``call.F`` (Chainer in a graph, the array backend
imperatively).  Rounding and sign have zero gradient in MXNet, so they are constants.
Every result keeps the input's dtype, as MXNet does (``exp`` of int32 is int32).
"""
from .._compat import chainer
from ..base import MXNetError
from ..registry import Kind, Param, register
from ._util import constant, infer_same_as_first, keep_dtype, raw, normalize_axes
from ._special import gammaln

# MXNet name: (aliases, backend function of the same meaning).  All differentiable.
_SMOOTH = {
    "exp": ((), "exp"), "log": ((), "log"), "log1p": ((), "log1p"), "expm1": ((), "expm1"),
    "log2": ((), "log2"), "log10": ((), "log10"),
    "sqrt": ((), "sqrt"), "rsqrt": ((), "rsqrt"), "square": ((), "square"),
    "sin": ((), "sin"), "cos": ((), "cos"), "tan": ((), "tan"),
    "arcsin": ((), "arcsin"), "arccos": ((), "arccos"), "arctan": ((), "arctan"),
    "sinh": ((), "sinh"), "cosh": ((), "cosh"), "tanh": ((), "tanh"),
    "sigmoid": ((), "sigmoid"), "relu": ((), "relu"), "erf": ((), "erf"),
}


def _rint(xp, x):
    # MXNet's rint: halves go down (rint(1.5) = 1, rint(-1.5) = -2), unlike numpy's rint.
    lo = xp.floor(x)
    return xp.where(x - lo <= 0.5, lo, xp.ceil(x))


def _round(xp, x):
    # Halves away from zero (C's round), unlike numpy's round-half-to-even.
    return xp.sign(x) * xp.floor(xp.abs(x) + 0.5)


# MXNet name: function of (xp, array).  Zero gradient.
_STEP = {
    "sign": lambda xp, x: xp.sign(x), "round": _round, "rint": _rint,
    "ceil": lambda xp, x: xp.ceil(x), "floor": lambda xp, x: xp.floor(x),
    "fix": lambda xp, x: xp.trunc(x),
}


def _define_smooth(name, aliases, fname):
    def compute(call, data):
        return keep_dtype(getattr(call.F, fname)(_float(call, data)), data)
    compute.__doc__ = f"Elementwise {name} of the input (differentiable)."
    register(name, aliases=aliases, infer_shape=infer_same_as_first)(compute)


def _define_step(name, fn):
    def compute(call, data):
        return constant(call, fn(call.xp, raw(data)), data)
    compute.__doc__ = f"Elementwise {name} of the input (zero gradient)."
    register(name, infer_shape=infer_same_as_first)(compute)


for _name, (_aliases, _fname) in _SMOOTH.items():
    _define_smooth(_name, _aliases, _fname)
for _name, _fn in _STEP.items():
    _define_step(_name, _fn)


@register("reciprocal", infer_shape=infer_same_as_first)
def reciprocal(call, data):
    """Elementwise 1 / x."""
    return keep_dtype(1.0 / _float(call, data), data)


@register("softsign", infer_shape=infer_same_as_first)
def softsign(call, data):
    """Elementwise x / (1 + |x|)."""
    x = _float(call, data)
    return keep_dtype(x / (call.F.absolute(x) + 1.0), data)


@register("cbrt", infer_shape=infer_same_as_first)
def cbrt(call, data):
    """Elementwise cube root (real, keeps the sign)."""
    x = _float(call, data)
    sign = constant(call, call.xp.sign(raw(x)), x)
    return keep_dtype(sign * call.F.absolute(x) ** (1.0 / 3.0), data)


@register("gammaln", infer_shape=infer_same_as_first)
def gammaln_op(call, data):
    """Elementwise log |Gamma(x)|."""
    return keep_dtype(gammaln(_float(call, data)), data)


@register("gamma", infer_shape=infer_same_as_first)
def gamma(call, data):
    """Elementwise Gamma(x), negative non-integers included."""
    x = _float(call, data)
    xp, rx = call.xp, raw(x)
    # sign of Gamma: + for x > 0, (-1)^(floor(-x) + 1) for negative non-integers
    sign = xp.where(rx > 0, 1.0, 1.0 - 2.0 * (xp.floor(-rx) % 2 == 0)).astype(rx.dtype)
    return keep_dtype(call.F.exp(gammaln(x)) * sign, data)


@register("clip", params=[Param("a_min", Kind.float, doc="minimum value"),
                          Param("a_max", Kind.float, doc="maximum value")],
          infer_shape=infer_same_as_first)
def clip(call, data):
    """Clip values into [a_min, a_max]; the gradient passes only inside the interval."""
    a = call.attrs
    return keep_dtype(call.F.clip(_float(call, data), a.a_min, a.a_max), data)


def _opt_float_dtype(value):
    if value is None or (isinstance(value, str) and value.strip() in ("None", "")):
        return None
    name = Kind.dtype(value)
    if name not in ("float16", "float32", "float64"):
        raise ValueError(f"expected float16, float32 or float64, got {value!r}")
    return name


_SOFTMAX_PARAMS = [Param("axis", Kind.int, -1, doc="the axis to normalize"),
                   Param("temperature", Kind.opt_float, None, doc="divide the input by this"),
                   Param("dtype", _opt_float_dtype, None, doc="output dtype (default: the input's)")]


def _softmax_input(call, data, op):
    a = call.attrs
    normalize_axes(a.axis, raw(data).ndim, op)
    x = _float(call, data)
    if a.dtype is not None and raw(x).dtype.name != a.dtype:
        x = call.F.cast(x, a.dtype)
    if a.temperature == 0:
        raise MXNetError(f"{op}: temperature must not be zero")
    if a.temperature is not None and a.temperature != 1.0:
        x = x * raw(x).dtype.type(1.0 / a.temperature)
    return x


@register("softmax", params=_SOFTMAX_PARAMS, infer_shape=infer_same_as_first)
def softmax(call, data):
    """Softmax along ``axis``: exp(x / T) / sum(exp(x / T))."""
    out = call.F.softmax(_softmax_input(call, data, "softmax"), axis=call.attrs.axis)
    return out if call.attrs.dtype else keep_dtype(out, data)


@register("log_softmax", params=_SOFTMAX_PARAMS, infer_shape=infer_same_as_first)
def log_softmax(call, data):
    """Log of the softmax along ``axis``."""
    out = call.F.log_softmax(_softmax_input(call, data, "log_softmax"), axis=call.attrs.axis)
    return out if call.attrs.dtype else keep_dtype(out, data)


def _float(call, x):
    """Integer arrays are computed in float64 (then cast back, as MXNet keeps int types)."""
    if isinstance(x, chainer.Variable) or x.dtype.kind == "f":
        return x
    return x.astype("float64")


@register("add_n", aliases=("ElementWiseSum",), num_args_key="num_args",
          inputs=lambda attrs: [f"arg{i}" for i in range(attrs.num_args)],
          params=[Param("num_args", Kind.int, doc="number of inputs")],
          infer_shape=lambda attrs, s: _same_shapes("add_n", s))
def add_n(call, *args):
    """Elementwise sum of any number of arrays of one shape."""
    _same_shapes("add_n", [raw(a).shape for a in args])
    out = args[0]
    for a in args[1:]:
        out = out + a
    return keep_dtype(out, args[0]) if len(args) > 1 else out + 0


def _same_shapes(op, shapes):
    known = [tuple(s) for s in shapes if s is not None]
    for s in known[1:]:
        if s != known[0]:
            raise MXNetError(f"{op}: all inputs must have one shape, got {known[0]} and {s}")
    shape = known[0] if known else None
    return [shape] * len(shapes), [shape], []
