"""log-Gamma as a Chainer function that needs no SciPy (Chainer's ``lgamma`` does on CPU).

Forward: ``math.lgamma`` per element on CPU, ``cupyx.scipy.special.gammaln`` on GPU.
Backward: the digamma function, by recurrence up to x >= 6 and then its asymptotic series.
"""
import math

import numpy as np

from .._compat import chainer
from ._util import raw

_lgamma_cpu = np.vectorize(math.lgamma, otypes=[np.float64])


def digamma(xp, x):
    """psi(x) = d/dx log Gamma(x), elementwise, float64 inside; reflection for x < 0.5."""
    x = x.astype(np.float64)
    reflect = x < 0.5
    y = xp.where(reflect, 1.0 - x, x)
    acc = xp.zeros_like(y)
    for _ in range(6):       # psi(y) = psi(y + 1) - 1/y, until y >= 6
        small = y < 6.0
        acc = acc - xp.where(small, 1.0 / y, 0.0)
        y = xp.where(small, y + 1.0, y)
    inv2 = 1.0 / (y * y)
    series = xp.log(y) - 0.5 / y - inv2 * (1.0 / 12 - inv2 * (1.0 / 120 - inv2 * (
        1.0 / 252 - inv2 * (1.0 / 240 - inv2 / 132))))
    psi = acc + series
    # psi(1 - x) - psi(x) = pi cot(pi x)
    return xp.where(reflect, psi - np.pi / xp.tan(np.pi * x), psi)


def _lgamma(xp, x):
    if xp is np:
        return _lgamma_cpu(x).astype(x.dtype)
    import cupyx.scipy.special
    return cupyx.scipy.special.gammaln(x).astype(x.dtype)


class LogGamma(chainer.function_node.FunctionNode):
    def forward(self, inputs):
        self.retain_inputs((0,))
        x, = inputs
        return chainer.backend.get_array_module(x).asarray(_lgamma(chainer.backend.get_array_module(x), x)),

    def backward(self, indexes, grad_outputs):
        x, = self.get_retained_inputs()
        xp = chainer.backend.get_array_module(x.array)
        psi = digamma(xp, x.array).astype(x.dtype)
        return grad_outputs[0] * chainer.Variable(psi, requires_grad=False),


def gammaln(x):
    """log |Gamma(x)|: a Variable for a Variable, an array for an array."""
    if isinstance(x, chainer.Variable):
        return LogGamma().apply((x,))[0]
    xp = chainer.backend.get_array_module(raw(x))
    return _lgamma(xp, x)
