"""Everything the engine needs to compute on CuPy (``mx.gpu(i)``), in one place.

Nothing here imports CuPy at module import time.  ``pybridge._compat`` calls
``before_chainer_import()`` just before it imports Chainer (a no-op, costing one
``importlib.util.find_spec``, where CuPy is not installed); ``pybridge.context`` calls
``array_module(device_id)`` when a GPU context is asked for its array module.

What breaks when a modern CuPy is importable next to Chainer 7.8.1 (2020, written for
CuPy 7.x), found with cupy-cuda13x 14.2.0 (and NumPy 2.4/2.5, Python 3.11/3.12, no GPU):

1. cuDNN.  CuPy 14 removed all cuDNN support: ``cupy.cuda.cudnn`` and ``cupy.cudnn`` no
   longer exist.  ``chainer.backends.cuda`` catches the ImportError and sets
   ``cudnn_enabled = False``, but then ``check_cuda_available()`` warns "cuDNN is not
   enabled. Please reinstall CuPy ..." -- and ``chainer.functions`` calls it at import time
   (``cuda.elementwise`` in ``relu.py``), so every ``import pybridge`` would print it.
   CuPy 9-13 still ship ``cupy.cudnn``, but Chainer 7.8.1 calls it with the CuPy 7/8 API,
   which nobody has checked against those versions.  So cuDNN is off by default:
   ``CHAINER_CUDNN=0`` (Chainer's own switch, read when ``chainer.backends.cuda`` is
   imported) unless the user has set ``CHAINER_CUDNN`` themselves.  Without cuDNN Chainer
   computes convolution with its own im2col CUDA kernel + a cuBLAS GEMM (``tensordot``),
   pooling, softmax, batch normalization and activations with its own CUDA kernels.
2. NCCL.  ``import chainer`` imports ``chainer.training``, whose multi-process updater
   imports ``cupy.cuda.nccl``; CuPy 13+ warns (a UserWarning naming ``libnccl.so.2``) when
   NCCL is not installed.  The engine never uses NCCL (one device per executor), so that
   warning -- and CuPy's other "... library could not be loaded" preload warnings -- are
   silenced during Chainer's import only.
3. Renamed modules.  ``cupy.util`` became ``cupy._util`` and ``cupy.core`` became
   ``cupy._core`` (CuPy 9).  Chainer 7.8.1 already tries ``cupy._util`` first and never
   names ``cupy.core``; every other ``cupy.*`` name Chainer 7.8.1 uses still resolves in
   CuPy 14.2 (checked name by name, ``tests/test_gpu.py::test_chainer_cupy_names``), so no
   alias is installed.
4. CUDA libraries.  CuPy 14 loads libcublas, libnvrtc, ... through ``cuda-pathfinder``
   (``nvidia-*`` wheels via ``pip install cupy-cuda13x[ctk]``, or a CUDA toolkit).  When
   libcublas is missing, ``import cupy`` still works but Chainer's
   ``from cupy.cuda import cublas`` fails, ``chainer.backends.cuda.available`` is False and
   Chainer's GPU code would fail deep inside.  ``array_module`` reports that case as
   ``no GPU available: Chainer cannot use CuPy (...)`` with the reason.
5. (Not CuPy's fault, but it stops ``import chainer`` on the GPU image:) Chainer's import-time
   environment check imports ``numpy.distutils`` (gone for Python >= 3.12) and
   ``pkg_resources`` (gone in setuptools >= 81); that is handled in ``pybridge._compat``
   because it breaks CPU-only installs on Python 3.12 too.

Async, as MXNet: CuPy queues kernels on the device's current stream and returns at once,
so GPU operators return before their result is computed.  ``NDArray.asnumpy`` (a
device-to-host copy), ``NDArray.wait_to_read`` and ``mx.nd.waitall`` synchronize.
"""
import contextlib
import importlib.util
import os
import warnings

from .base import MXNetError

_HINT = ("install the 'gpu' extra (pip install .[gpu] for CUDA 12, .[gpu13] for CUDA 13) "
         "on a machine with an NVIDIA driver")

_installed = None   # is a 'cupy' package installed (without importing it)
_ready = {}         # device_id -> cupy, for devices that have worked once


def cupy_installed():
    global _installed
    if _installed is None:
        try:
            _installed = importlib.util.find_spec("cupy") is not None
        except (ImportError, ValueError):
            _installed = False
    return _installed


@contextlib.contextmanager
def before_chainer_import():
    """Around ``import chainer``: items 1 and 2 of the module docstring."""
    if not cupy_installed():
        yield
        return
    os.environ.setdefault("CHAINER_CUDNN", "0")
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"(?s)\s*\S+ library could not be loaded",
                                category=UserWarning)
        yield


def _chainer_cuda():
    from ._compat import chainer   # noqa: F401  (the patched import)
    from chainer.backends import cuda
    return cuda


def array_module(device_id):
    """CuPy, ready to compute on GPU ``device_id`` (made the current device); else MXNetError."""
    cupy = _ready.get(device_id)
    if cupy is None:
        cupy = _check(device_id)
        _ready[device_id] = cupy
    if device_id or len(_ready) > 1:
        cupy.cuda.runtime.setDevice(device_id)
    return cupy


def _check(device_id):
    if not cupy_installed():
        raise MXNetError(f"no GPU available: CuPy is not installed; {_HINT}")
    try:
        import cupy
    except Exception as exc:  # ImportError, or CUDA libraries missing
        raise MXNetError(f"no GPU available: CuPy cannot be imported ({exc}); {_HINT}") from None
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:   # no driver, driver too old, no device
        raise MXNetError(f"no GPU available: CUDA reports {exc}") from None
    if count == 0:
        raise MXNetError("no GPU available: CUDA finds no device")
    if device_id >= count:
        raise MXNetError(f"no GPU available: gpu({device_id}) requested, {count} device(s) "
                         f"present (gpu(0) to gpu({count - 1}))")
    cuda = _chainer_cuda()
    if not cuda.available:
        reason = getattr(cuda, "_resolution_error", "unknown reason")
        raise MXNetError(f"no GPU available: Chainer cannot use CuPy ({' '.join(str(reason).split())}); "
                         "install CuPy's CUDA libraries (CuPy 14: pip install 'cupy-cuda13x[ctk]' "
                         "or 'cupy-cuda12x[ctk]'; older CuPy: a CUDA toolkit)") from None
    return cupy


def num_gpus():
    if not cupy_installed():
        return 0
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:
        return 0


def device_scope(ctx):
    """``with device_scope(ctx):`` makes ctx's GPU current (nothing for a CPU context)."""
    if ctx.device_type != "gpu":
        return contextlib.nullcontext()
    return ctx.xp.cuda.Device(ctx.device_id)


def synchronize(device_id=None):
    """Wait for the work queued on one GPU (``device_id``) or on every GPU used so far."""
    ids = list(_ready) if device_id is None else [device_id]
    for i in ids:
        cupy = _ready.get(i)
        if cupy is not None:
            cupy.cuda.Device(i).synchronize()   # every stream of that device


def describe():
    """A dict of facts about the GPU setup, for benchmarks/gpu_check.py and bug reports."""
    info = {"cupy_installed": cupy_installed()}
    if not info["cupy_installed"]:
        return info
    try:
        import cupy
        info["cupy"] = cupy.__version__
        info["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
        info["cuda_driver"] = cupy.cuda.runtime.driverGetVersion()
        info["devices"] = cupy.cuda.runtime.getDeviceCount()
        if info["devices"]:
            props = cupy.cuda.runtime.getDeviceProperties(0)
            name = props["name"]
            info["device0"] = name.decode() if isinstance(name, bytes) else str(name)
            info["device0_memory_gib"] = round(props["totalGlobalMem"] / 2 ** 30, 1)
    except Exception as exc:
        info["error"] = f"{type(exc).__name__}: {exc}"
    try:
        cuda = _chainer_cuda()
        info["chainer_cuda_available"] = bool(cuda.available)
        info["chainer_cudnn_enabled"] = bool(cuda.cudnn_enabled)
        if not cuda.available:
            info["chainer_cuda_error"] = str(getattr(cuda, "_resolution_error", ""))
    except Exception as exc:
        info["chainer_error"] = f"{type(exc).__name__}: {exc}"
    return info
