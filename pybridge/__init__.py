"""pybridge: the MXNet 1.x Python API on Chainer (NumPy on CPU, CuPy on GPU).

    import pybridge as mx
    a = mx.nd.ones((2, 3)); b = a * 2 + 1
"""
from . import _compat  # noqa: F401  (first: adapts Chainer to NumPy 2)
from . import ndarray
from . import ndarray as nd
from .base import MXNetError
from .context import Context, cpu, current_context, gpu, num_gpus

__version__ = "0.1.0"
__all__ = ["nd", "ndarray", "MXNetError", "Context", "cpu", "gpu", "current_context", "num_gpus"]
