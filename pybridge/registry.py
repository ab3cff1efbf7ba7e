"""The operator registry: every operator is defined here once.

An operator definition (``OpDef``) holds its MXNet name, its parameter schema, the names of
its inputs, outputs and auxiliary states, its shape and type inference and its computation.
``mx.nd.<op>``, ``mx.sym.<op>``, the R wrappers and the help pages are all generated from it.

The computation is written once, against a *backend* ``F`` with Chainer's function names:
in a bound executor ``F`` is ``chainer.functions`` itself (so gradients come from Chainer);
for imperative NDArray calls ``F`` is ``pybridge.backend``'s array namespace, which runs the
same names directly on NumPy/CuPy arrays without building a graph (Chainer's per-call
overhead is ~50 us; NDArray calls must be cheap).
"""
import math

from .base import MXNetError, as_dtype, literal

REQUIRED = object()


# ---------------------------------------------------------------- parameter kinds
def _bool(v):
    if isinstance(v, str):
        v = literal(v)
    if isinstance(v, (bool, int)) and v in (0, 1):
        return bool(v)
    raise ValueError(f"expected a boolean, got {v!r}")


def _int(v):
    if isinstance(v, str):
        v = literal(v)
    if (isinstance(v, bool) or not isinstance(v, (int, float))
            or (isinstance(v, float) and not math.isfinite(v)) or int(v) != v):
        raise ValueError(f"expected an integer, got {v!r}")
    return int(v)


def _float(v):
    if isinstance(v, str):
        v = literal(v)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ValueError(f"expected a number, got {v!r}")
    return float(v)


def _shape(v):
    """A tuple of ints: accepts 5, (5, 5), [5, 5], '(5, 5)', '[5,5]', '5' (and R's doubles)."""
    if isinstance(v, str):
        v = literal(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        v = (v,)
    try:
        return tuple(_int(x) for x in v)
    except TypeError:
        raise ValueError(f"expected a shape (tuple of integers), got {v!r}") from None


def _floats(v):
    if isinstance(v, str):
        v = literal(v)
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        v = (v,)
    return tuple(_float(x) for x in v)


def _str(v):
    if not isinstance(v, str):
        raise ValueError(f"expected a string, got {v!r}")
    return v.strip().strip("'\"")


def _optional(kind):
    def parse(v):
        if v is None or (isinstance(v, str) and v.strip() in ("None", "none", "")):
            return None
        return kind(v)
    parse.__name__ = f"optional_{kind.__name__.lstrip('_')}"
    return parse


def _axis(v):
    """None, an int, or a tuple of ints (MXNet's ``Shape`` axis)."""
    if isinstance(v, str):
        v = literal(v)
    if v is None:
        return None
    if isinstance(v, (tuple, list)):
        return tuple(_int(x) for x in v)
    return _int(v)


def _dtype(v):
    return as_dtype(v, "dtype").name


class Kind:
    """Parameter kinds; each is a function from a Python or string value to a clean value."""
    int = staticmethod(_int)
    float = staticmethod(_float)
    bool = staticmethod(_bool)
    str = staticmethod(_str)
    shape = staticmethod(_shape)
    floats = staticmethod(_floats)
    axis = staticmethod(_axis)
    dtype = staticmethod(_dtype)
    opt_int = staticmethod(_optional(_int))
    opt_float = staticmethod(_optional(_float))
    opt_shape = staticmethod(_optional(_shape))


class Param:
    """One operator parameter: name, kind, default (``REQUIRED`` if none), allowed values."""

    def __init__(self, name, kind, default=REQUIRED, choices=None, doc=""):
        self.name, self.kind, self.default = name, kind, default
        self.choices, self.doc = choices, doc

    @property
    def required(self):
        return self.default is REQUIRED

    def parse(self, op_name, value):
        try:
            parsed = self.kind(value)
        except (ValueError, TypeError, MXNetError) as exc:
            raise MXNetError(f"{op_name}: invalid value for parameter '{self.name}': {exc}") from None
        if self.choices is not None and parsed not in self.choices:
            raise MXNetError(f"{op_name}: invalid value '{value}' for parameter '{self.name}'; "
                             f"expected one of {', '.join(map(str, self.choices))}")
        return parsed

    @property
    def type_name(self):
        return getattr(self.kind, "__name__", "any").lstrip("_")


class Attrs(dict):
    """Parsed parameters of one operator call; read them as attributes (``attrs.kernel``)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


def normalize_key(key):
    """MXNet R spells parameters with dots (``pool.type``); the engine with underscores."""
    return key.replace(".", "_")


def _names(spec, attrs):
    return list(spec(attrs) if callable(spec) else spec)


def _same_shape(attrs, in_shapes):
    """Default shape inference: every input and the output share one shape."""
    known = next((s for s in in_shapes if s is not None), None)
    if known is None:
        return in_shapes, [None], []
    for s in in_shapes:
        if s is not None and tuple(s) != tuple(known):
            raise MXNetError(f"shapes {tuple(known)} and {tuple(s)} differ")
    return [known] * len(in_shapes), [known], []


class OpDef:
    """One operator.  See the module docstring; built with ``register``."""

    def __init__(self, name, compute, params=(), inputs=("data",), outputs=("output",),
                 aux=(), infer_shape=None, infer_type=None, aliases=(), doc="",
                 num_args_key=None, symbolic=True, all_inputs=None):
        self.name = name
        self.compute = compute
        self.params = {p.name: p for p in params}
        self.inputs, self.outputs, self.aux = inputs, outputs, aux
        self._infer_shape = infer_shape or _same_shape
        self._infer_type = infer_type
        self.aliases = tuple(aliases)
        self.doc = doc or (compute.__doc__ or "").strip()
        self.num_args_key = num_args_key   # variadic ops (Concat): the count parameter
        self.symbolic = symbolic           # False: only mx.nd (no graph node)
        # inputs that depend on parameters (RNN's state_cell, sequence_length): every input
        # the op can take, in order, for the R wrappers' formals and the help pages
        self.all_inputs = tuple(all_inputs) if all_inputs else None

    # -- parameters
    def parse_attrs(self, kwargs, strict=True):
        """Clean parameters from user values; unknown or missing ones are MXNetErrors."""
        attrs = Attrs()
        for raw_key, value in kwargs.items():
            key = normalize_key(raw_key)
            param = self.params.get(key)
            if param is None:
                if strict:
                    raise MXNetError(f"{self.name}: unknown parameter '{raw_key}'; expected one of "
                                     f"{', '.join(self.params) or '(none)'}")
                continue
            attrs[key] = param.parse(self.name, value)
        for key, param in self.params.items():
            if key not in attrs:
                if param.required:
                    raise MXNetError(f"{self.name}: required parameter '{key}' is missing")
                attrs[key] = param.default
        return attrs

    # -- structure
    def input_names(self, attrs):
        return _names(self.inputs, attrs)

    def output_names(self, attrs):
        return _names(self.outputs, attrs)

    def aux_names(self, attrs):
        return _names(self.aux, attrs)

    # -- inference
    def infer_shape(self, attrs, in_shapes):
        """(completed input shapes, output shapes, aux shapes); unknown shapes are None."""
        try:
            return self._infer_shape(attrs, list(in_shapes))
        except MXNetError as exc:
            msg = str(exc)
            raise MXNetError(msg if msg.startswith(self.name + ":") else f"{self.name}: {msg}") from None

    def infer_type(self, attrs, in_types):
        if self._infer_type is not None:
            return self._infer_type(attrs, list(in_types))
        known = next((t for t in in_types if t is not None), None)
        n_out = len(self.output_names(attrs))
        return [known if t is None else t for t in in_types], [known] * n_out, \
               [known] * len(self.aux_names(attrs))


_REGISTRY = {}


def register(name, **kwargs):
    """Decorator: ``@register("exp", params=[...])`` over ``compute(call, *inputs)``.

    ``call`` carries ``call.F`` (the backend), ``call.xp`` (numpy or cupy), ``call.attrs``,
    ``call.is_train`` and ``call.aux`` (list of auxiliary arrays, updated in place).
    """
    def wrap(compute):
        op = OpDef(name, compute, **kwargs)
        for key in (name,) + op.aliases:
            if key in _REGISTRY:
                raise RuntimeError(f"operator {key} registered twice")
            _REGISTRY[key] = op
        return op
    return wrap


def get_op(name):
    try:
        return _REGISTRY[name]
    except KeyError:
        raise MXNetError(f"unknown operator '{name}'") from None


def all_ops():
    """{name: OpDef} including aliases."""
    return dict(_REGISTRY)


class OpCall:
    """What an operator's computation sees: backend, array module, attributes, mode, aux."""
    __slots__ = ("F", "xp", "attrs", "is_train", "aux")

    def __init__(self, F, xp, attrs, is_train=False, aux=()):
        self.F, self.xp, self.attrs, self.is_train, self.aux = F, xp, attrs, is_train, aux
