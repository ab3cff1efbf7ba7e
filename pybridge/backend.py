"""The array backend: Chainer's function names, run directly on NumPy/CuPy arrays.

Operator computations are written once against ``F`` (see ``registry``).  In a bound
executor ``F`` is ``chainer.functions``.  For imperative NDArray calls ``F`` is an
``ArrayBackend``: the names used by many small operators are implemented here directly with
the array module (microseconds per call); any other name falls through to the Chainer
function of the same name, run without a graph, with its result unwrapped to an array.
Every fast name here must compute exactly what Chainer's function does (tested in
``tests/test_backend.py``).
"""
import math

import numpy as np

from ._compat import F as chainer_functions
from ._compat import chainer


class ArrayBackend:
    def __init__(self, xp):
        self.xp = xp

    def __getattr__(self, name):
        getattr(chainer_functions, name)   # AttributeError for names Chainer lacks

        def run(*args, **kwargs):
            return _run_chainer(name, *args, **kwargs)
        run.__name__ = name
        setattr(self, name, run)  # cache: __getattr__ runs once per name
        return run

    # --- fast paths (same results as chainer.functions) ---
    def exp(self, x): return self.xp.exp(x)
    def log(self, x): return self.xp.log(x)
    def sqrt(self, x): return self.xp.sqrt(x)
    def tanh(self, x): return self.xp.tanh(x)
    def absolute(self, x): return self.xp.abs(x)
    def sin(self, x): return self.xp.sin(x)
    def cos(self, x): return self.xp.cos(x)
    def tan(self, x): return self.xp.tan(x)
    def square(self, x): return self.xp.square(x)
    def reshape(self, x, shape): return x.reshape(shape)
    def transpose(self, x, axes=None): return self.xp.transpose(x, axes)
    def broadcast_to(self, x, shape): return self.xp.broadcast_to(x, shape)
    def matmul(self, a, b, transa=False, transb=False):
        # Chainer's transa/transb swap the last two axes (batched matmul for 3-D inputs)
        return self.xp.matmul(a.swapaxes(-1, -2) if transa else a,
                              b.swapaxes(-1, -2) if transb else b)
    def maximum(self, a, b): return self.xp.maximum(a, b)
    def minimum(self, a, b): return self.xp.minimum(a, b)
    def relu(self, x): return self.xp.maximum(x, x.dtype.type(0))
    def sigmoid(self, x):
        return (self.xp.tanh(x * x.dtype.type(0.5)) * x.dtype.type(0.5) + x.dtype.type(0.5)).astype(x.dtype)
    def concat(self, xs, axis=1): return self.xp.concatenate(xs, axis=axis)
    def stack(self, xs, axis=0): return self.xp.stack(xs, axis=axis)
    def flatten(self, x): return x.reshape(-1)
    def expand_dims(self, x, axis): return self.xp.expand_dims(x, axis)
    def squeeze(self, x, axis=None): return self.xp.squeeze(x, axis)
    def where(self, cond, x, y): return self.xp.where(cond, x, y)
    def sum(self, x, axis=None, keepdims=False): return x.sum(axis=axis, keepdims=keepdims)
    def clip(self, x, lo, hi): return self.xp.clip(x, x.dtype.type(lo), x.dtype.type(hi))
    def log1p(self, x): return self.xp.log1p(x)
    def expm1(self, x): return self.xp.expm1(x)
    def log2(self, x): return self.xp.log2(x)
    def log10(self, x): return self.xp.log10(x)
    def rsqrt(self, x): return self.xp.reciprocal(self.xp.sqrt(x))
    def arcsin(self, x): return self.xp.arcsin(x)
    def arccos(self, x): return self.xp.arccos(x)
    def arctan(self, x): return self.xp.arctan(x)
    def sinh(self, x): return self.xp.sinh(x)
    def cosh(self, x): return self.xp.cosh(x)
    def max(self, x, axis=None, keepdims=False): return x.max(axis=axis, keepdims=keepdims)
    def min(self, x, axis=None, keepdims=False): return x.min(axis=axis, keepdims=keepdims)
    def prod(self, x, axis=None, keepdims=False): return x.prod(axis=axis, keepdims=keepdims)
    def mean(self, x, axis=None, keepdims=False):  # (no 'weights': callers never pass it)
        return x.mean(axis=axis, keepdims=keepdims).astype(x.dtype, copy=False)
    def argmax(self, x, axis=None): return self.xp.argmax(x, axis).astype("int32")
    def argmin(self, x, axis=None): return self.xp.argmin(x, axis).astype("int32")
    def cast(self, x, typ): return x.astype(typ, copy=False)
    def flip(self, x, axis): return self.xp.flip(x, axis)
    def tile(self, x, reps): return self.xp.tile(x, reps)
    def repeat(self, x, repeats, axis=None): return self.xp.repeat(x, repeats, axis)
    def get_item(self, x, slices): return x[slices]
    def swapaxes(self, x, axis1, axis2): return x.swapaxes(axis1, axis2)
    def erf(self, x):
        # Chainer's CPU erf without SciPy is this same per-element math.erf (and warns)
        if self.xp is np:
            return _erf_cpu(x).astype(x.dtype)
        return _run_chainer("erf", x)
    def split_axis(self, x, indices_or_sections, axis, force_tuple=True):
        return tuple(self.xp.split(x, indices_or_sections, axis))
    def softmax(self, x, axis=1):
        e = self.xp.exp(x - x.max(axis=axis, keepdims=True))
        e /= e.sum(axis=axis, keepdims=True)
        return e
    def log_softmax(self, x, axis=1):
        y = x - x.max(axis=axis, keepdims=True)
        y -= self.xp.log(self.xp.exp(y).sum(axis=axis, keepdims=True))
        return y


def _run_chainer(name, *args, **kwargs):
    """chainer.functions.<name> without a graph, its result(s) unwrapped to arrays."""
    with chainer.no_backprop_mode():
        out = getattr(chainer_functions, name)(*args, **kwargs)
    if isinstance(out, (tuple, list)):
        return type(out)(o.array if isinstance(o, chainer.Variable) else o for o in out)
    return out.array if isinstance(out, chainer.Variable) else out


_erf_cpu = np.vectorize(math.erf, otypes=[np.float64])


_BACKENDS = {}


def array_backend(xp):
    """The (cached) ArrayBackend of an array module."""
    backend = _BACKENDS.get(xp)
    if backend is None:
        backend = _BACKENDS[xp] = ArrayBackend(xp)
    return backend
