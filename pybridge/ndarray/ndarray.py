"""NDArray: an n-dimensional array on a device, with MXNet 1.x Python behaviour.

An NDArray wraps a NumPy (CPU) or CuPy (GPU) array and its Context.  Shapes are row-major
as in MXNet Python.  Operators come from the registry through ``invoke``.
"""
import math
import numbers
import warnings

import numpy as np

from .._compat import F as _chainer_F
from .._compat import chainer
from ..backend import array_backend
from ..base import MXNetError, as_dtype, mx_real_t
from ..context import Context, current_context
from ..registry import Attrs, OpCall, get_op
from .reshape_rule import infer_reshape


class NDArray:
    # _var/_grad/_grad_req are set only by autograd (absent otherwise: nothing to initialise)
    __slots__ = ("_data", "_ctx", "_var", "_grad", "_grad_req", "__weakref__")
    # Make NumPy defer to our reflected operators (np_array + nd -> nd.__radd__).
    __array_priority__ = 1000.0

    def __init__(self, data, ctx=None):
        self._data = data
        self._ctx = ctx if ctx is not None else current_context()

    # ------------------------------------------------------------------ properties
    @property
    def shape(self):
        return tuple(self._data.shape)

    @property
    def size(self):
        return int(self._data.size)

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def dtype(self):
        return self._data.dtype.type

    @property
    def context(self):
        return self._ctx

    ctx = context

    @property
    def stype(self):
        return "default"

    @property
    def T(self):
        if self.ndim > 2:
            raise MXNetError("NDArray.T: only 1-D and 2-D arrays can be transposed with .T; "
                             "use transpose(axes)")
        if _AUTOGRAD.recording and _in_graph(self):
            return _recorded(self, lambda v: _chainer_F.transpose(v))
        return NDArray(self._data.T.copy(), self._ctx)

    @property
    def handle(self):
        return self._data

    # ------------------------------------------------------------------ conversion
    def asnumpy(self):
        data = self._data
        if isinstance(data, np.ndarray):
            return data.copy()
        return data.get()

    def asscalar(self):
        if self.size != 1:
            raise MXNetError(f"NDArray.asscalar: the array must have exactly one element, "
                             f"it has shape {self.shape}")
        return self.asnumpy().reshape(()).item() if self.dtype != np.float16 else \
            self.dtype(self.asnumpy().reshape(()))

    def astype(self, dtype, copy=True):
        dt = as_dtype(dtype, "NDArray.astype")
        if not copy and self._data.dtype == dt:
            return self
        if _AUTOGRAD.recording and _in_graph(self):
            return _recorded(self, lambda v: _chainer_F.cast(v, dt))
        return NDArray(self._data.astype(dt), self._ctx)

    def copy(self):
        if _AUTOGRAD.recording and _in_graph(self):
            return _recorded(self, lambda v: _chainer_F.copy(v, -1) if self._ctx.xp is np
                             else _chainer_F.identity(v))
        return NDArray(self._data.copy(), self._ctx)

    def copyto(self, other):
        """Copy into another NDArray (same shape) or onto a Context: a new NDArray with its
        own memory, also on the array's own context (as MXNet; ``as_in_context`` is the one
        that returns ``self`` there)."""
        if isinstance(other, Context):
            data = _to_device(self._data, other)
            return NDArray(data.copy() if data is self._data else data, other)
        if isinstance(other, NDArray):
            if other._data is self._data:   # MXNet warns and returns False
                warnings.warn("You are attempting to copy an array to itself", RuntimeWarning)
                return False
            if other.shape != self.shape:
                raise MXNetError(f"NDArray.copyto: shape mismatch, source {self.shape} "
                                 f"vs destination {other.shape}")
            src = _to_device(self._data, other._ctx)
            other._data[...] = src.astype(other._data.dtype, copy=False)
            return other
        raise MXNetError(f"NDArray.copyto: 'other' must be an NDArray or a Context, "
                         f"got {type(other).__name__}")

    def as_in_context(self, context):
        if self._ctx == context:
            return self
        return self.copyto(context)

    def reshape(self, *shape, **kwargs):
        reverse = bool(kwargs.pop("reverse", False))
        if "shape" in kwargs:
            shape = kwargs.pop("shape")
        if kwargs:
            raise MXNetError(f"NDArray.reshape: unknown argument(s) {', '.join(kwargs)}")
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        new = infer_reshape(self.shape, shape, reverse, "NDArray.reshape")
        if _AUTOGRAD.recording and _in_graph(self):
            return _recorded(self, lambda v: _chainer_F.reshape(v, new))
        return NDArray(self._data.reshape(new), self._ctx)

    # ------------------------------------------------------------------ autograd
    def attach_grad(self, grad_req="write", stype=None):
        """Allocate a gradient buffer (zeros) and mark the array as an autograd variable."""
        if stype is not None and stype != "default":
            raise MXNetError(f"NDArray.attach_grad: stype '{stype}' is not supported; "
                             "only 'default' (dense) gradients")
        from .. import autograd
        autograd.mark_variables(self, NDArray(self._ctx.xp.zeros_like(self._data), self._ctx),
                                grad_req)

    @property
    def grad(self):
        """The gradient buffer from ``attach_grad`` (None without one)."""
        return getattr(self, "_grad", None)

    def backward(self, out_grad=None, retain_graph=False, train_mode=True):
        """Gradients of this array w.r.t. the marked variables, into their ``grad``."""
        from .. import autograd
        autograd.backward([self], None if out_grad is None else [out_grad],
                          retain_graph=retain_graph, train_mode=train_mode)

    def detach(self):
        """The same values (memory shared) outside any computational graph."""
        return NDArray(self._data, self._ctx)

    def wait_to_read(self):
        """Block until the array's value is computed (GPU work is queued asynchronously)."""
        if not isinstance(self._data, np.ndarray):
            from .. import _gpu
            _gpu.synchronize(self._ctx.device_id)

    def tolist(self):
        return self.asnumpy().tolist()

    def __len__(self):
        return self.shape[0] if self.ndim else 0

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __bool__(self):
        if self.size == 1:
            return bool(self.asscalar())
        raise MXNetError("The truth value of an NDArray with multiple elements is ambiguous.")

    def __repr__(self):
        return f"\n{self.asnumpy()!s}\n<NDArray {'x'.join(map(str, self.shape))} @{self._ctx}>"

    def __array__(self, dtype=None, copy=None):
        arr = self.asnumpy()
        return arr if dtype is None else arr.astype(dtype)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, key):
        key = _index_key(key, "NDArray.__getitem__")
        if _AUTOGRAD.recording and _in_graph(self):
            return _recorded(self, lambda v: _getitem_1d(_chainer_F.get_item(v, key)),
                             "NDArray.__getitem__")
        try:
            out = self._data[key]
        except (IndexError, ValueError, TypeError) as exc:
            raise MXNetError(f"NDArray.__getitem__: {exc} (shape {self.shape})") from None
        if not isinstance(out, self._ctx.xp.ndarray):  # a NumPy scalar from a full index
            out = self._ctx.xp.asarray(out)
        if out.ndim == 0:      # MXNet 1.x has no 0-d arrays: a full index gives shape (1,)
            out = out.reshape(1)
        return NDArray(out, self._ctx)

    def __setitem__(self, key, value):
        if _AUTOGRAD.recording and _in_graph(self):
            raise MXNetError(ASSIGN_IN_GRAPH)
        if _AUTOGRAD.recording and _in_graph(value):
            raise MXNetError(INPLACE_RECORDED)
        key = _index_key(key, "NDArray.__setitem__")
        if isinstance(value, NDArray):
            value = _to_device(value._data, self._ctx)
        elif not isinstance(value, numbers.Number):
            value = self._ctx.xp.asarray(np.asarray(value, dtype=self._data.dtype))
        try:
            self._data[key] = value
        except (ValueError, IndexError, TypeError) as exc:
            raise MXNetError(f"NDArray.__setitem__: {exc} (shape {self.shape})") from None

    # ------------------------------------------------------------------ arithmetic
    def _binary(self, other, array_op, scalar_op, reverse=False, rscalar_op=None):
        # Operators straight from the registry: their schemas are known (no parsing needed).
        if isinstance(other, NDArray):
            a, b = (other, self) if reverse else (self, other)
            return run_op(_cached_op(array_op), _NO_ATTRS, [a, b])
        if isinstance(other, numbers.Number) or (isinstance(other, np.generic) and other.ndim == 0):
            if isinstance(other, (complex, np.complexfloating)):
                raise MXNetError(f"NDArray {scalar_op}: complex scalars are not supported")
            op = (rscalar_op or scalar_op) if reverse else scalar_op
            return run_op(_cached_op(op), Attrs(scalar=float(other)), [self])
        if isinstance(other, np.ndarray):
            other = array(other, ctx=self._ctx, dtype=self.dtype)
            return self._binary(other, array_op, scalar_op, reverse, rscalar_op)
        return NotImplemented

    def __add__(self, o): return self._binary(o, "broadcast_add", "_plus_scalar")
    def __radd__(self, o): return self._binary(o, "broadcast_add", "_plus_scalar", True)
    def __sub__(self, o): return self._binary(o, "broadcast_sub", "_minus_scalar")
    def __rsub__(self, o): return self._binary(o, "broadcast_sub", "_minus_scalar", True, "_rminus_scalar")
    def __mul__(self, o): return self._binary(o, "broadcast_mul", "_mul_scalar")
    def __rmul__(self, o): return self._binary(o, "broadcast_mul", "_mul_scalar", True)
    def __truediv__(self, o): return self._binary(o, "broadcast_div", "_div_scalar")
    def __rtruediv__(self, o): return self._binary(o, "broadcast_div", "_div_scalar", True, "_rdiv_scalar")
    __div__, __rdiv__ = __truediv__, __rtruediv__
    def __mod__(self, o): return self._binary(o, "broadcast_mod", "_mod_scalar")
    def __rmod__(self, o): return self._binary(o, "broadcast_mod", "_mod_scalar", True, "_rmod_scalar")
    def __pow__(self, o): return self._binary(o, "broadcast_power", "_power_scalar")
    def __rpow__(self, o): return self._binary(o, "broadcast_power", "_power_scalar", True, "_rpower_scalar")
    def __eq__(self, o): return self._binary(o, "broadcast_equal", "_equal_scalar")
    def __ne__(self, o): return self._binary(o, "broadcast_not_equal", "_not_equal_scalar")
    def __gt__(self, o): return self._binary(o, "broadcast_greater", "_greater_scalar", False)
    def __ge__(self, o): return self._binary(o, "broadcast_greater_equal", "_greater_equal_scalar")
    def __lt__(self, o): return self._binary(o, "broadcast_lesser", "_lesser_scalar")
    def __le__(self, o): return self._binary(o, "broadcast_lesser_equal", "_lesser_equal_scalar")
    def __neg__(self): return invoke("negative", [self], {})
    def __pos__(self): return self
    def __abs__(self): return invoke("abs", [self], {})
    __hash__ = object.__hash__

    def _inplace(self, result):
        if result is NotImplemented:
            return result
        if result.shape != self.shape:
            raise MXNetError(f"in-place operation: result shape {result.shape} does not match "
                             f"the array's shape {self.shape}")
        if _in_graph(result):   # recorded: MXNet refuses an in-place update in a graph
            raise MXNetError(ASSIGN_IN_GRAPH if _in_graph(self) else INPLACE_RECORDED)
        self._data[...] = result._data.astype(self._data.dtype, copy=False)
        return self

    def __iadd__(self, o): return self._inplace(self.__add__(o))
    def __isub__(self, o): return self._inplace(self.__sub__(o))
    def __imul__(self, o): return self._inplace(self.__mul__(o))
    def __itruediv__(self, o): return self._inplace(self.__truediv__(o))
    def __imod__(self, o): return self._inplace(self.__mod__(o))
    def __ipow__(self, o): return self._inplace(self.__pow__(o))
    __idiv__ = __itruediv__

    # Fluent methods (a.exp(), a.sum(axis=1), ...) for every registered op taking 'data'.
    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        from . import ops_namespace
        func = ops_namespace.get(name)
        if func is None:
            raise AttributeError(f"'NDArray' object has no attribute '{name}'")
        return lambda *args, **kwargs: func(self, *args, **kwargs)


def _index_key(key, where):
    if isinstance(key, NDArray):
        return key.asnumpy().astype(np.int64)
    if isinstance(key, tuple):
        return tuple(k.asnumpy().astype(np.int64) if isinstance(k, NDArray) else k for k in key)
    return key


def _to_device(data, ctx):
    """The array ``data`` on the device of ``ctx`` (no copy when already there)."""
    xp = ctx.xp
    if xp is np:
        return data if isinstance(data, np.ndarray) else data.get()
    with xp.cuda.Device(ctx.device_id):
        return xp.asarray(data)


# ---------------------------------------------------------------------- invocation
def invoke(op_name, inputs, kwargs, out=None):
    """Run a registry operator imperatively on NDArrays; NDArray or list of NDArrays back."""
    op = get_op(op_name)
    attrs = op.parse_attrs(kwargs)
    return run_op(op, attrs, inputs, out)


def run_op(op, attrs, inputs, out=None, is_train=None, F=None, values=None):
    """Run ``op`` with parsed ``attrs`` on NDArray ``inputs`` (inputs, then aux states).
    pybridge.autograd passes ``is_train``, and ``F``/``values`` (Chainer functions and the
    inputs as Variables) to record the computation; None: autograd's state decides."""
    if is_train is None:
        if _AUTOGRAD.recording or _AUTOGRAD.training:
            return _AUTOGRAD.run(op, attrs, inputs, out)   # see pybridge.autograd
        is_train = False
    if inputs:
        ctx = inputs[0]._ctx
        for x in inputs:
            if x._ctx is not ctx and x._ctx != ctx:
                raise MXNetError(f"{op.name}: all inputs must be on one context, got {ctx} and {x._ctx}")
    else:
        ctx = attrs.get("ctx") or current_context()
    xp = ctx.xp
    n_in = len(op.inputs) if op.inputs.__class__ is tuple else len(op.input_names(attrs))
    arrays = [x._data for x in inputs]
    if F is None:
        F = _CPU_BACKEND if xp is np else array_backend(xp)
    else:
        arrays[:n_in] = values[:n_in]
    call = OpCall(F, xp, attrs, is_train, arrays[n_in:] if len(arrays) > n_in else ())
    try:
        if xp is np:
            result = op.compute(call, *arrays[:n_in])
        else:
            with xp.cuda.Device(ctx.device_id):
                result = op.compute(call, *arrays[:n_in])
    except MXNetError as exc:
        msg = str(exc)   # every message names the operator
        if msg.startswith(op.name + ":"):
            raise
        raise MXNetError(f"{op.name}: {msg}") from None
    except (ValueError, TypeError, IndexError, ArithmeticError) as exc:
        raise MXNetError(f"{op.name}: {exc}") from None
    except MemoryError as exc:
        raise MXNetError(f"{op.name}: out of memory ({exc})") from None
    if result.__class__ is np.ndarray and out is None:    # the common case, kept short
        return NDArray(result, ctx)
    outs = result if isinstance(result, (tuple, list)) else (result,)
    wrapped = [_wrap(o, xp, ctx, values is not None) for o in outs]
    if out is not None:
        targets = out if isinstance(out, (list, tuple)) else [out]
        for src, dst in zip(wrapped, targets):
            var = getattr(src, "_var", None)
            if var is not None:    # a recorded result written into out=: out joins the graph
                if _in_graph(dst):
                    raise MXNetError(ASSIGN_IN_GRAPH)
                if any(dst is x for x in inputs):
                    raise MXNetError(INPLACE_RECORDED)
                dst._var = var
            if src._data is not dst._data:   # (an op that returned its out= array as is)
                src.copyto(dst)
        return out
    return wrapped[0] if len(wrapped) == 1 else wrapped


def _wrap(value, xp, ctx, record=True):
    """An operator's result as an NDArray; a recorded Variable stays attached to it."""
    if isinstance(value, chainer.Variable):
        nd = NDArray(_as_array(value.array, xp), ctx)
        if record and value.requires_grad:
            nd._var = value
        return nd
    return NDArray(_as_array(value, xp), ctx)


# ---------------------------------------------------------------------- autograd support
class _AutogradState:
    """Recording/training flags of mx.autograd; ``run`` is set by pybridge.autograd."""
    __slots__ = ("recording", "training", "run")

    def __init__(self):
        self.recording = self.training = False
        self.run = None


_AUTOGRAD = _AutogradState()

ASSIGN_IN_GRAPH = (
    "Assigning to NDArrays that are already in a computational graph will cause undefined "
    "behavior when evaluating gradients. Please call backward first to clear the graph or do "
    "this out side of a record section. Also note that you cannot use inplace operations like "
    "+=, *=, relu(x, out=x), y[idx]=x, etc inside a record section.")
INPLACE_RECORDED = ("Inplace operations (+=, -=, x[:]=, etc) are not supported when recording "
                    "with autograd.")


def _in_graph(x):
    return getattr(x, "_var", None) is not None


def _recorded(x, fn, where=None):
    """``fn`` (Chainer functions) applied to ``x``'s Variable, recorded: a new NDArray."""
    try:
        with chainer.using_config("enable_backprop", True):
            var = fn(x._var)
    except (ValueError, TypeError, IndexError) as exc:
        raise MXNetError(f"{where}: {exc} (shape {x.shape})") from None
    return _wrap(var, x._ctx.xp, x._ctx)


def _getitem_1d(var):
    return _chainer_F.reshape(var, (1,)) if var.ndim == 0 else var


_CPU_BACKEND = array_backend(np)
_NO_ATTRS = Attrs()
_OPS = {}


def _cached_op(name):
    op = _OPS.get(name)
    if op is None:
        op = _OPS[name] = get_op(name)
    return op


def _as_array(value, xp):
    if isinstance(value, chainer.Variable):
        value = value.array
    return value if isinstance(value, xp.ndarray) else xp.asarray(value)


# ---------------------------------------------------------------------- creation
def _ctx_or_default(ctx):
    if ctx is None:
        return current_context()
    if not isinstance(ctx, Context):
        raise MXNetError(f"ctx must be a Context such as mx.cpu(), got {ctx!r}")
    return ctx


def _check_shape(shape, where):
    if isinstance(shape, numbers.Integral):
        shape = (shape,)
    try:
        shape = tuple(shape)
    except TypeError:
        raise MXNetError(f"{where}: shape must be an integer or a tuple of integers, got {shape!r}") from None
    for d in shape:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral) or d < 0:
            raise MXNetError(f"{where}: invalid shape {shape}: dimensions must be non-negative integers")
    return tuple(int(d) for d in shape)


def _fill(where, fill, shape, ctx, dtype):
    shape = _check_shape(shape, where)
    ctx = _ctx_or_default(ctx)
    dt = as_dtype(dtype, where)
    try:
        return NDArray(fill(ctx.xp, shape, dt), ctx)
    except MemoryError as exc:
        raise MXNetError(f"{where}: out of memory ({exc})") from None
    except (ValueError, TypeError, OverflowError) as exc:    # e.g. full() with a bad value
        raise MXNetError(f"{where}: {exc}") from None


def zeros(shape, ctx=None, dtype=None, **kwargs):
    return _fill("zeros", lambda xp, s, d: xp.zeros(s, d), shape, ctx, dtype)


def ones(shape, ctx=None, dtype=None, **kwargs):
    return _fill("ones", lambda xp, s, d: xp.ones(s, d), shape, ctx, dtype)


def empty(shape, ctx=None, dtype=None):
    return _fill("empty", lambda xp, s, d: xp.empty(s, d), shape, ctx, dtype)


def full(shape, val, ctx=None, dtype=None, out=None):
    res = _fill("full", lambda xp, s, d: xp.full(s, val, d), shape, ctx, dtype)
    return res.copyto(out) if out is not None else res


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, ctx=None, dtype=None):
    ctx = _ctx_or_default(ctx)
    if stop is None:
        start, stop = 0, start
    for key, value in (("start", start), ("stop", stop), ("step", step), ("repeat", repeat)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not math.isfinite(value):
            raise MXNetError(f"arange: {key} must be a finite number, got {value!r}")
    if step == 0:
        raise MXNetError("arange: step must not be zero")
    if repeat < 1 or repeat != int(repeat):
        raise MXNetError(f"arange: repeat must be a positive integer, got {repeat!r}")
    dt = as_dtype(dtype, "arange")
    try:
        values = np.arange(start, stop, step, dtype=np.float64).astype(dt)
    except ValueError as exc:       # "Maximum allowed size exceeded"
        raise MXNetError(f"arange: cannot make the range ({start}, {stop}, {step}): {exc}") \
            from None
    if repeat != 1:
        values = np.repeat(values, int(repeat))
    return NDArray(ctx.xp.asarray(values), ctx)


def array(source_array, ctx=None, dtype=None):
    """An NDArray from an NDArray, a NumPy array or nested lists (float32 unless dtype)."""
    ctx = _ctx_or_default(ctx)
    if isinstance(source_array, NDArray):
        dt = source_array.dtype if dtype is None else as_dtype(dtype, "array")
        return NDArray(_to_device(source_array._data, ctx).astype(dt), ctx)
    dt = as_dtype(dtype, "array")
    try:
        host = np.asarray(source_array)
        if host.dtype.kind not in "biuf":
            raise TypeError(f"elements of type {host.dtype} are not numbers")
        host = np.array(host, dtype=dt, copy=True)
    except (TypeError, ValueError) as exc:
        raise MXNetError(f"array: source_array must be numeric array-like: {exc}") from None
    return NDArray(ctx.xp.asarray(host) if ctx.xp is not np else host, ctx)


def waitall():
    """Block until all pending work is done (CPU work is synchronous; GPU work is queued)."""
    from .. import _gpu
    _gpu.synchronize()


def concatenate(arrays, axis=0, always_copy=True):
    if not isinstance(arrays, (list, tuple)) or not arrays or \
            not all(isinstance(a, NDArray) for a in arrays):
        raise MXNetError("concatenate: arrays must be a non-empty list of NDArrays")
    return invoke("concat", list(arrays), {"dim": axis, "num_args": len(arrays)})
