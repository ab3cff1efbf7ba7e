"""Devices: ``mx.cpu(i)``, ``mx.gpu(i)`` and the current default context.

A CPU context computes with NumPy, a GPU context with CuPy.  Creating ``mx.gpu()`` always
works (a script may name it as a value); computing on it needs CuPy and a CUDA device, and
raises ``MXNetError("no GPU available: ...")`` otherwise.
"""
import threading

import numpy as np

from .base import MXNetError


class Context:
    """An execution device, as ``mxnet.Context``: ``device_type`` 'cpu' or 'gpu', ``device_id``."""
    devtype2str = {1: "cpu", 2: "gpu", 3: "cpu_pinned", 5: "cpu_shared"}
    devstr2type = {v: k for k, v in devtype2str.items()}
    _default = threading.local()

    def __init__(self, device_type, device_id=0):
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in self.devstr2type:
            raise MXNetError(f"Context: unknown device_type '{device_type}'; expected 'cpu' or 'gpu'")
        if isinstance(device_id, bool) or int(device_id) != device_id or device_id < 0:
            raise MXNetError(f"Context: device_id must be a non-negative integer, got {device_id!r}")
        self.device_type, self.device_id = device_type, int(device_id)
        self._old = None

    @property
    def device_typeid(self):
        return self.devstr2type[self.device_type]

    @property
    def xp(self):
        """The array module computing on this device (numpy or cupy)."""
        if self.device_type == "gpu":
            from . import _gpu   # CuPy checks and adaptations (lazy: CPU users never pay)
            return _gpu.array_module(self.device_id)
        return np

    def __eq__(self, other):
        return isinstance(other, Context) and (self.device_type, self.device_id) == \
            (other.device_type, other.device_id)

    def __hash__(self):
        return hash((self.device_type, self.device_id))

    def __repr__(self):
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    def __enter__(self):
        self._old = current_context()
        Context._default.value = self
        return self

    def __exit__(self, *exc):
        Context._default.value = self._old


def cpu(device_id=0):
    return Context("cpu", device_id)


def gpu(device_id=0):
    return Context("gpu", device_id)


def num_gpus():
    from . import _gpu
    return _gpu.num_gpus()


def current_context():
    return getattr(Context._default, "value", None) or Context("cpu", 0)


def context_of_array(arr):
    """The Context that holds a NumPy/CuPy array."""
    if isinstance(arr, np.ndarray) or np.isscalar(arr):
        return cpu(0)
    dev = getattr(arr, "device", None)
    return gpu(getattr(dev, "id", 0))
