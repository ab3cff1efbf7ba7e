"""The one place where the engine adapts its dependencies to each other.

Chainer 7.8.1 (its last release, 2020) reads ``numpy.sctypes`` at import time; NumPy 2.0
removed that attribute.  Nothing else Chainer does for us needs NumPy 1.x, so we restore the
attribute, with NumPy 1.x's contents, before Chainer is imported.  Every module of the engine
imports Chainer through ``pybridge._compat.chainer`` so that this runs first.
"""
import numpy as np

if not hasattr(np, "sctypes"):
    np.sctypes = {
        "int": [np.int8, np.int16, np.int32, np.int64],
        "uint": [np.uint8, np.uint16, np.uint32, np.uint64],
        "float": [np.float16, np.float32, np.float64],
        "complex": [np.complex64, np.complex128],
        "others": [bool, object, bytes, str, np.void],
    }

import chainer  # noqa: E402  (must follow the shim above)
import chainer.functions as F  # noqa: E402

__all__ = ["chainer", "F", "np"]
