"""Random numbers for Dropout and RReLU, drawn from the engine's generator.

``pybridge.random`` owns the generator that ``mx.random.seed`` sets.  When it offers a
``generator(xp)`` function we draw from it; otherwise (or before it exists) from the array
module's global generator, which ``mx.random.seed`` is expected to seed as well.
"""


def _engine_generator(xp):
    try:
        from .. import random as engine_random
    except ImportError:
        return None
    get = getattr(engine_random, "generator", None)
    if get is None:
        return None
    try:
        return get(xp)
    except Exception:   # an engine generator that cannot serve this device
        return None


def uniform(xp, low, high, shape, dtype):
    """Uniform samples in [low, high) of ``shape``, in ``dtype``."""
    gen = _engine_generator(xp)
    if gen is not None and hasattr(gen, "uniform"):
        sample = gen.uniform(low, high, size=shape)
    else:
        sample = xp.random.uniform(low, high, size=shape)
    return xp.asarray(sample).astype(dtype, copy=False)
