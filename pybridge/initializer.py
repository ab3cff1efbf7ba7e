"""``mx.init``: parameter initializers with MXNet 1.x's names, defaults and naming rules.

An initializer is called as ``init(InitDesc(name, attrs), arr)`` (or, the legacy form,
``init(name, arr)``) and fills ``arr`` in place.  The rule is chosen from the name's suffix:
``weight`` -> the initializer's own weight rule, ``bias``/``beta``/``moving_mean``/
``moving_inv_var``/``moving_avg``/``min`` -> 0, ``gamma``/``moving_var``/``max`` -> 1.
A variable attribute ``__init__`` (a JSON ``["name", {kwargs}]``) overrides the rule.
Random draws use ``mx.nd.random`` (seeded by ``mx.random.seed``), as MXNet does.
"""
import json
import logging
import re

import numpy as np

from .base import MXNetError
from .ndarray.ndarray import NDArray

_REGISTRY = {}


def _register(klass, name=None):
    _REGISTRY[(name or klass.__name__).lower()] = klass
    return klass


def register(klass):
    """Register a custom initializer class so ``create`` finds it by lower-case name."""
    if not (isinstance(klass, type) and issubclass(klass, Initializer)):
        raise MXNetError("initializer.register: expected a subclass of Initializer")
    return _register(klass)


def alias(*aliases):
    def reg(klass):
        for name in aliases:
            _register(klass, name)
        return klass
    return reg


def create(init=None, /, **kwargs):
    """An initializer from an instance, a name, or a JSON string ``'["name", {...}]'``.

    ``init`` is positional only, as in MXNet's registry: an initializer may have its own
    ``init`` keyword (FusedRNN); by keyword, the name is ``initializer=``."""
    if init is None:
        if "initializer" not in kwargs:
            raise MXNetError("initializer.create: the initializer (a name, a JSON string or "
                             "an Initializer) is required")
        init = kwargs.pop("initializer")
    if isinstance(init, Initializer):
        return init
    if isinstance(init, dict):
        config = dict(init)
        if "initializer" not in config:
            raise MXNetError("initializer.create: a config dict needs an 'initializer' key")
        return create(config.pop("initializer"), **config)
    if not isinstance(init, str):
        raise MXNetError(f"initializer.create: 'init' must be a name or an Initializer, "
                         f"got {type(init).__name__}")
    if init.startswith("["):
        name, kw = json.loads(init)
        return create(name, **kw)
    if init.startswith("{"):
        return create(json.loads(init))
    klass = _REGISTRY.get(init.lower())
    if klass is None:
        raise MXNetError(f"initializer.create: unknown initializer '{init}'; known: "
                         f"{', '.join(sorted(_REGISTRY))}")
    return klass(**kwargs)


class InitDesc(str):
    """A parameter name carrying the variable's attributes and the global initializer."""

    def __new__(cls, name, attrs=None, global_init=None):
        ret = super().__new__(cls, name)
        ret.attrs = attrs or {}
        ret.global_init = global_init
        return ret


def _number(where, name, value):
    """A finite real number, or MXNetError naming the argument."""
    import math
    import numbers
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not math.isfinite(float(value)):
        raise MXNetError(f"{where}: '{name}' must be a finite number, got {value!r}")
    return float(value)


def _fill(arr, value):
    arr[:] = value


def _random(kind, a, b, arr):
    """Fill ``arr`` with uniform(a, b) or normal(a, b) draws from the engine's generator."""
    from .ndarray import random as ndrandom
    func = getattr(ndrandom, kind, None)
    if func is None:
        raise MXNetError(f"initializer: mx.nd.random.{kind} is not available")
    func(a, b, shape=arr.shape, ctx=arr.context, dtype=arr.dtype, out=arr)


_ZERO_SUFFIXES = ("moving_mean", "moving_inv_var", "moving_avg")


class Initializer:
    """Base class.  Subclasses define ``_init_weight``; other suffixes have fixed rules."""

    def __init__(self, **kwargs):
        self._kwargs = kwargs
        self._verbose = False
        self._print_func = None

    def set_verbosity(self, verbose=False, print_func=None):
        self._verbose = verbose
        if print_func is None:
            def print_func(x):
                return str(float(np.linalg.norm(x.asnumpy()) / np.sqrt(x.size)))
        self._print_func = print_func
        return self

    def _verbose_print(self, desc, init, arr):
        if self._verbose and self._print_func:
            logging.info("Initialized %s as %s: %s", desc, init, self._print_func(arr))

    def dumps(self):
        """``'["name", {kwargs}]'``, which ``create`` reads back."""
        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __call__(self, desc, arr):
        if not isinstance(arr, NDArray):
            raise MXNetError(f"{type(self).__name__}: 'arr' must be an NDArray, "
                             f"got {type(arr).__name__}")
        if not isinstance(desc, str):
            raise MXNetError(f"{type(self).__name__}: the name must be a string, "
                             f"got {type(desc).__name__}")
        if not isinstance(desc, InitDesc):
            desc = InitDesc(desc)
        if desc.global_init is None:
            desc.global_init = self
        init = desc.attrs.get("__init__", "")
        if init:
            create(init)._init_weight(desc, arr)
            self._verbose_print(desc, init, arr)
            return
        for suffix, rule in self._rules():
            if desc.endswith(suffix):
                rule(desc, arr)
                self._verbose_print(desc, suffix, arr)
                return
        self._init_default(desc, arr)

    def _rules(self):
        # checked in order: the longer suffixes first where one ends another
        return [("weight", self._init_weight), ("bias", self._init_bias),
                ("gamma", self._init_gamma), ("beta", self._init_beta),
                ("moving_var", self._init_one)] + \
               [(s, self._init_zero) for s in _ZERO_SUFFIXES] + \
               [("min", self._init_zero), ("max", self._init_one)]

    def _init_zero(self, _, arr):
        _fill(arr, 0.0)

    def _init_one(self, _, arr):
        _fill(arr, 1.0)

    def _init_bias(self, _, arr):
        _fill(arr, 0.0)

    def _init_gamma(self, _, arr):
        _fill(arr, 1.0)

    def _init_beta(self, _, arr):
        _fill(arr, 0.0)

    def _init_weight(self, name, arr):
        raise NotImplementedError(f"{type(self).__name__} must define _init_weight")

    def _init_default(self, name, _):
        raise MXNetError(
            f"Unknown initialization pattern for {name}. Default initialization is now limited "
            f"to \"weight\", \"bias\", \"gamma\" (1.0), and \"beta\" (0.0). Please use "
            f"mx.sym.Variable(init=mx.init.*) to set initialization pattern")

    def __eq__(self, other):
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and self._kwargs == other._kwargs

    __hash__ = object.__hash__

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())})"


@_register
@alias("zeros")
class Zero(Initializer):
    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        _fill(arr, 0)


@_register
@alias("ones")
class One(Initializer):
    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        _fill(arr, 1)


@_register
class Constant(Initializer):
    """Weights set to ``value`` (a scalar or an array of the weight's shape)."""

    def __init__(self, value):
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, _, arr):
        _fill(arr, self.value)

    def dumps(self):
        kwargs = dict(self._kwargs)
        val = kwargs["value"]
        if not np.isscalar(val):
            kwargs["value"] = val.tolist() if isinstance(val, np.ndarray) else val.asnumpy().tolist()
        return json.dumps([type(self).__name__.lower(), kwargs])


@_register
class Uniform(Initializer):
    """Weights drawn uniformly from ``[-scale, scale]`` (default 0.07)."""

    def __init__(self, scale=0.07):
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, _, arr):
        _random("uniform", -self.scale, self.scale, arr)


@_register
class Normal(Initializer):
    """Weights drawn from N(0, sigma^2) (default sigma 0.01)."""

    def __init__(self, sigma=0.01):
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, _, arr):
        _random("normal", 0, self.sigma, arr)


@_register
class Xavier(Initializer):
    """Glorot initialization: scale ``sqrt(magnitude / factor)``, factor from the fans.

    ``fan_in = shape[1] * prod(shape[2:])``, ``fan_out = shape[0] * prod(shape[2:])``;
    ``factor_type`` 'avg' uses their mean, 'in' / 'out' one of them; ``rnd_type``
    'uniform' draws from ``[-scale, scale]``, 'gaussian' from N(0, scale^2).
    """

    def __init__(self, rnd_type="uniform", factor_type="avg", magnitude=3):
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        magnitude = _number("Xavier", "magnitude", magnitude)
        if not isinstance(rnd_type, str) or rnd_type not in ("uniform", "gaussian"):
            raise MXNetError(f"Xavier: unknown rnd_type '{rnd_type}'; expected 'uniform' or "
                             f"'gaussian'")
        if not isinstance(factor_type, str) or factor_type not in ("avg", "in", "out"):
            raise MXNetError(f"Xavier: incorrect factor_type '{factor_type}'; expected 'avg', "
                             f"'in' or 'out'")
        self.rnd_type = rnd_type
        self.factor_type = factor_type
        self.magnitude = float(magnitude)

    def _init_weight(self, name, arr):
        shape = arr.shape
        if len(shape) < 2:
            raise MXNetError(f"Xavier initializer cannot be applied to vector {name}. "
                             f"It requires at least 2D.")
        hw_scale = float(np.prod(shape[2:])) if len(shape) > 2 else 1.
        fan_in, fan_out = shape[1] * hw_scale, shape[0] * hw_scale
        factor = {"avg": (fan_in + fan_out) / 2.0, "in": fan_in, "out": fan_out}[self.factor_type]
        scale = float(np.sqrt(self.magnitude / factor))
        if self.rnd_type == "uniform":
            _random("uniform", -scale, scale, arr)
        else:
            _random("normal", 0, scale, arr)


@_register
class MSRAPrelu(Xavier):
    """He initialization: Gaussian Xavier with magnitude ``2 / (1 + slope**2)``."""

    def __init__(self, factor_type="avg", slope=0.25):
        slope = _number("MSRAPrelu", "slope", slope)
        super().__init__("gaussian", factor_type, 2. / (1 + slope ** 2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@_register
class Orthogonal(Initializer):
    """An orthogonal matrix (from the SVD of a random one) times ``scale``."""

    def __init__(self, scale=1.414, rand_type="uniform"):
        super().__init__(scale=scale, rand_type=rand_type)
        if rand_type not in ("uniform", "normal"):
            raise MXNetError(f"Orthogonal: unknown rand_type '{rand_type}'")
        self.scale = scale
        self.rand_type = rand_type

    def _init_weight(self, _, arr):
        nout, nin = arr.shape[0], int(np.prod(arr.shape[1:]))
        from .ndarray.ndarray import zeros
        tmp = zeros((nout, nin), ctx=arr.context)
        if self.rand_type == "uniform":
            _random("uniform", -1.0, 1.0, tmp)
        else:
            _random("normal", 0.0, 1.0, tmp)
        tmp = tmp.asnumpy()
        u, _, v = np.linalg.svd(tmp, full_matrices=False)
        res = u if u.shape == tmp.shape else v
        _fill(arr, (self.scale * res).reshape(arr.shape))


@_register
class Bilinear(Initializer):
    """Bilinear up-sampling kernels (for Deconvolution weights)."""

    def __init__(self):
        super().__init__()

    def _init_weight(self, _, arr):
        shape = arr.shape
        f = np.ceil(shape[3] / 2.)
        c = (2 * f - 1 - f % 2) / (2. * f)
        idx = np.arange(int(np.prod(shape)))
        x, y = idx % shape[3], (idx // shape[3]) % shape[2]
        weight = (1 - np.abs(x / f - c)) * (1 - np.abs(y / f - c))
        _fill(arr, weight.astype(np.float32).reshape(shape))


class Load:
    """Initialize from a dict (or a file) of arrays; names lose an ``arg:``/``aux:`` prefix."""

    def __init__(self, param, default_init=None, verbose=False):
        if isinstance(param, str):
            from .ndarray import load
            param = load(param)
        if not isinstance(param, dict):
            raise MXNetError("Load: 'param' must be a dict of name -> NDArray or a file name")
        self.param = {}
        for name, arr in param.items():
            self.param[name[4:] if name.startswith(("arg:", "aux:")) else name] = arr
        self.default_init = default_init
        self.verbose = verbose

    def __call__(self, name, arr):
        if name in self.param:
            src = self.param[name]
            if tuple(arr.shape) != tuple(src.shape):
                raise MXNetError(f"Load: parameter {name} cannot be initialized from loading. "
                                 f"Shape mismatch, target {arr.shape} vs loaded {src.shape}")
            _fill(arr, src)
            if self.verbose:
                logging.info("Initialized %s by loading", name)
        else:
            if self.default_init is None:
                raise MXNetError(f"Load: cannot initialize {name}. Not found in loaded param "
                                 f"and no default Initializer is provided.")
            self.default_init(name, arr)
            if self.verbose:
                logging.info("Initialized %s by default", name)


class Mixed:
    """Initializers chosen by the first regular expression that matches the name."""

    def __init__(self, patterns, initializers):
        if len(patterns) != len(initializers):
            raise MXNetError("Mixed: patterns and initializers must have the same length")
        self.map = list(zip([re.compile(p) for p in patterns], initializers))

    def __call__(self, name, arr):
        for prog, init in self.map:
            if prog.match(name):
                init(name, arr)
                return
        raise MXNetError(f"Mixed: parameter name {name} did not match any pattern. Consider "
                         f"adding a \".*\" pattern at the end with a default Initializer.")
