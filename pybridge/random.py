"""``mx.random``: seeding, and one random generator per device.

Every random number the engine draws (random operators, initializers, Dropout, shuffling)
comes from ``generator(ctx)``: a NumPy ``Generator`` for CPU contexts, a CuPy
``RandomState`` for each GPU.  ``seed(s)`` reseeds them all (or one device with ``ctx=``),
so a seeded script draws the same numbers every run.  As in MXNet, an unseeded process
starts from a fixed seed too.

The sampling functions of ``mx.nd.random`` (uniform, normal, randint, ...) are also
available here, as in MXNet (``mx.random.uniform``).
"""
import numbers

import numpy as np

from .base import MXNetError
from .context import Context

_DEFAULT_SEED = 0
_generators = {}     # (device_type, device_id) -> Generator
_seeds = {}          # per-device seed set by seed(..., ctx=...)
_global_seed = [_DEFAULT_SEED]


class Generator:
    """Random draws on one device, with one API over NumPy and CuPy."""

    def __init__(self, xp, seed_value):
        self.xp = xp
        if xp is np:
            self._rng = np.random.Generator(np.random.PCG64(seed_value))
        else:
            self._rng = xp.random.RandomState(seed_value)

    @property
    def _cpu(self):
        return self.xp is np

    def random(self, shape, dtype="float32"):
        """Uniform on [0, 1)."""
        dt = np.dtype(dtype)
        work = dt if dt in (np.float32, np.float64) else np.dtype(np.float32)
        out = self._rng.random(shape, dtype=work) if self._cpu else \
            self._rng.random_sample(shape, dtype=work)
        return out.astype(dt, copy=False)

    def uniform(self, low, high, shape=None, dtype="float32", size=None):
        shape = size if shape is None else shape    # size=: NumPy's spelling
        dt = np.dtype(dtype)
        work = np.float64 if dt == np.float64 else np.float32
        out = self.random(shape, work) * work(high - low) + work(low)
        return out.astype(dt, copy=False)

    def normal(self, loc, scale, shape=None, dtype="float32", size=None):
        shape = size if shape is None else shape
        dt = np.dtype(dtype)
        work = np.float64 if dt == np.float64 else np.float32
        out = self._rng.standard_normal(shape, dtype=work)
        return (out * work(scale) + work(loc)).astype(dt, copy=False)

    def randint(self, low, high, shape, dtype="int32"):
        """Integers in [low, high)."""
        if self._cpu:
            return self._rng.integers(low, high, size=shape, dtype=np.dtype(dtype))
        return self._rng.randint(low, high, size=shape, dtype=np.dtype(dtype))

    def exponential(self, scale, shape, dtype="float32"):
        return self._rng.exponential(scale, size=shape).astype(dtype, copy=False)

    def gamma(self, alpha, beta, shape, dtype="float32"):
        return self._rng.gamma(alpha, beta, size=shape).astype(dtype, copy=False)

    def poisson(self, lam, shape, dtype="float32"):
        return self._rng.poisson(lam, size=shape).astype(dtype, copy=False)

    def permutation(self, n):
        return self._rng.permutation(n)


def _key(ctx):
    return (ctx.device_type if ctx.device_type != "cpu_pinned" else "cpu", ctx.device_id)


def generator(ctx=None):
    """The random generator of a context (default: the current context).

    An array module (numpy, cupy) is accepted in place of a context: see ``generator_for``.
    """
    from .context import current_context
    ctx = current_context() if ctx is None else ctx
    if ctx is np or getattr(ctx, "__name__", None) == "cupy":
        return generator_for(ctx)
    if not isinstance(ctx, Context):
        raise MXNetError(f"random.generator: ctx must be a Context, got {ctx!r}")
    key = _key(ctx)
    gen = _generators.get(key)
    if gen is None:
        gen = _generators[key] = Generator(ctx.xp, _seeds.get(key, _global_seed[0]))
    return gen


def generator_for(xp):
    """The generator of the device an array module computes on (CuPy: its current device)."""
    if xp is np:
        return generator(Context("cpu", 0))
    return generator(Context("gpu", xp.cuda.Device().id))


def seed(seed_state, ctx="all"):
    """Seed the random generators: all devices (``ctx='all'``) or one context."""
    if isinstance(seed_state, bool) or not isinstance(seed_state, numbers.Integral):
        raise ValueError("seed_state must be int")
    seed_state = int(seed_state)
    if seed_state < 0:
        raise MXNetError(f"random.seed: seed_state must be non-negative, got {seed_state}")
    if isinstance(ctx, str) and ctx == "all":
        _global_seed[0] = seed_state
        _seeds.clear()
        _generators.clear()
        return
    if not isinstance(ctx, Context):
        raise MXNetError(f"random.seed: ctx must be 'all' or a Context, got {ctx!r}")
    key = _key(ctx)
    _seeds[key] = seed_state
    _generators.pop(key, None)


_SAMPLERS = ("uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson", "shuffle")


def __getattr__(name):
    # mx.random.uniform etc. are mx.nd.random's functions (imported late: no import cycle)
    if name in _SAMPLERS:
        from .ndarray import random as nd_random
        return getattr(nd_random, name)
    raise AttributeError(f"module 'pybridge.random' has no attribute '{name}'")
