"""The one place where the engine adapts its dependencies to each other.

Chainer 7.8.1 (its last release, 2020) reads ``numpy.sctypes`` at import time; NumPy 2.0
removed that attribute.  Nothing else Chainer does for us needs NumPy 1.x, so we restore the
attribute, with NumPy 1.x's contents, before Chainer is imported.  Every module of the engine
imports Chainer through ``pybridge._compat.chainer`` so that this runs first.  (Python 3.12's
break of Chainer's environment check is handled below; CuPy's breaks are in ``_gpu``.)
"""
import sys
import types

import numpy as np

if not hasattr(np, "sctypes"):
    np.sctypes = {
        "int": [np.int8, np.int16, np.int32, np.int64],
        "uint": [np.uint8, np.uint16, np.uint32, np.uint64],
        "float": [np.float16, np.float32, np.float64],
        "complex": [np.complex64, np.complex128],
        "others": [bool, object, bytes, str, np.void],
    }

# Chainer's import-time ``chainer._environment_check`` imports ``numpy.distutils`` (removed
# for Python >= 3.12) and ``pkg_resources`` (removed in setuptools >= 81), so on Python 3.12
# ``import chainer`` fails.  All the check does is warn about Python 3.5.0, about macOS
# Accelerate, and about CuPy 7.x / iDeep version mismatches -- none of which applies here --
# so a module with a ``check()`` that does nothing stands in for it.
if "chainer" not in sys.modules:
    _check = types.ModuleType("chainer._environment_check")
    _check.check = lambda: None
    sys.modules.setdefault("chainer._environment_check", _check)

from . import _gpu  # noqa: E402  (CuPy adaptations; imports no CuPy itself)

with _gpu.before_chainer_import():
    import chainer  # noqa: E402  (must follow the shims above)
    import chainer.functions as F  # noqa: E402

__all__ = ["chainer", "F", "np"]
