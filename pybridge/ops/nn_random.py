"""Random numbers for Dropout and RReLU, drawn from the engine's generator.

``pybridge.random.generator(xp)`` is the generator that ``mx.random.seed`` sets (one per
device), so a seeded script drops the same units every run.
"""
from .. import random as engine_random


def uniform(xp, low, high, shape, dtype):
    """Uniform samples in [low, high) of ``shape``, in ``dtype``, on the device of ``xp``."""
    gen = engine_random.generator(xp)
    work = "float64" if str(dtype) == "float64" else "float32"
    return gen.uniform(low, high, tuple(shape), dtype=work).astype(dtype, copy=False)
