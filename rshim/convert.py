"""Conversion between R values and engine values.

The dimension rule (DESIGN.md): an R array with ``dim = c(d1, ..., dk)`` (column-major) is
the engine array of shape ``(dk, ..., d1)`` (row-major) over the same memory, so neither
direction transposes: R -> engine reads the R vector's buffer in place and converts it to
float32 in one pass; engine -> R allocates an R double vector and fills it in one pass.
MXNet R turned NA into NaN in float32; so do we (doubles carry NaN already, integer and
logical NA are mapped explicitly).
"""
import numpy as np

from . import _rapi as R
from . import handles

# engine class name (any class in the MRO) -> the R class of its handle
R_CLASSES = {
    "NDArray": "MXNDArray", "Symbol": "MXSymbol", "Executor": "MXExecutor",
    "DataIter": "MXDataIter", "FeedForward": "MXFeedForwardModel", "KVStore": "MXKVStore",
}


class ConversionError(TypeError):
    pass


def _engine():
    import pybridge
    return pybridge


# ------------------------------------------------------------------ arrays
def r_array_to_numpy(x, dtype=np.float32):
    """An R double/integer/logical vector or array -> NumPy array in engine order (a copy)."""
    t = R.typeof(x)
    if t not in (R.REALSXP, R.INTSXP, R.LGLSXP):
        raise ConversionError(f"expected a numeric, integer or logical array, got an R {_r_type_name(x)}")
    view = R.numeric_view(x)
    with np.errstate(invalid="ignore", over="ignore"):   # NA/NaN/Inf and float32 overflow
        out = view.astype(dtype)
    if t != R.REALSXP and np.dtype(dtype).kind == "f":
        na = view == R.NA_INTEGER
        if na.any():
            out[na] = np.nan
    dims = R.attr(x, "dim")
    if R.typeof(dims) in (R.INTSXP, R.REALSXP):
        shape = tuple(int(d) for d in R.numeric_view(dims)[::-1])
        out = out.reshape(shape)
    return out


def numpy_to_r(arr, prot):
    """A NumPy (or CuPy) array -> a protected R double vector; dim = reversed shape if ndim > 1."""
    if not isinstance(arr, np.ndarray):
        arr = arr.get() if hasattr(arr, "get") else np.asarray(arr)
    n = int(arr.size)
    v = prot(R.alloc(R.REALSXP, n))
    if n:
        dest = np.frombuffer(R.ffi.buffer(R.rlib.REAL(v), n * 8), dtype=np.float64)
        np.copyto(dest.reshape(arr.shape), arr, casting="unsafe")
    if arr.ndim > 1:
        R.set_attr(v, "dim", R.int_vector(arr.shape[::-1], prot))
    return v


def ndarray_to_r(nd, prot):
    return numpy_to_r(nd.handle, prot)


# ------------------------------------------------------------------ handles and contexts
def handle_id(x):
    """The handle id held by an R MX object (see ``new_handle``), or None."""
    if x.sxpinfo.type != R.EXTPTRSXP:
        return None
    return R.handle_of(x)


# R's garbage collector sees only the small external pointer of an NDArray, not the engine
# memory behind it, so on its own it may let gigabytes of dropped arrays pile up before it
# runs.  Every GC_BYTES of array memory handed to R, the bridge runs a full collection first
# (at a point where R may collect anyway: a new R object is about to be allocated).
GC_BYTES = 256 << 20
_pressure = {"bytes": 0}


def _r_gc_with_gil():
    """R_gc through ctypes.PyDLL, which keeps the GIL held: R runs pending finalizers in
    R_gc, and reticulate's finalizers touch Python objects (cffi would release the GIL)."""
    import ctypes
    import os
    for path in (None, os.path.join(os.environ.get("R_HOME", ""), "lib", "libR.so")):
        try:
            fn = ctypes.PyDLL(path).R_gc
        except (OSError, AttributeError):
            continue
        fn.restype, fn.argtypes = None, []
        return fn
    return None


_r_gc = _r_gc_with_gil()


def new_handle(obj, cls="MXNDArray"):
    """A new R object (unprotected) holding ``obj``; R's garbage collector releases it."""
    try:
        nbytes = obj._data.nbytes                    # NDArray
    except AttributeError:
        nbytes = 0
    if nbytes:
        _pressure["bytes"] += nbytes
        if _pressure["bytes"] > GC_BYTES and _r_gc is not None:
            _pressure["bytes"] = 0
            _r_gc()
    return R.handle_sexp(handles.register(obj), cls, handles.c_finalizer)


def r_object(x):
    """The engine object behind an R MX object (LookupError if none)."""
    obj = handles.lookup(x)
    if obj is not None:
        return obj
    hid = handle_id(x)
    if hid is None:
        raise ConversionError(f"expected an mxnet object, got an R {_r_type_name(x)}")
    return handles.get(hid)


def is_context(x):
    return R.typeof(x) == R.VECSXP and "MXContext" in R.class_names(x)


def r_context(x):
    """An R MXContext (list: device, device_id) -> engine Context."""
    mx = _engine()
    items = dict(zip(R.names(x) or [], R.list_items(x)))
    try:
        device = R.scalar(items["device"])
        dev_id = int(R.scalar(items["device_id"]))
    except (KeyError, TypeError, ValueError):
        raise ConversionError("malformed MXContext: expected list(device, device_id)") from None
    return mx.Context(device, dev_id)


def context_to_r(ctx, prot):
    v = prot(R.alloc(R.VECSXP, 3))
    R.rlib.SET_VECTOR_ELT(v, 0, R.mk_str(ctx.device_type))
    R.rlib.SET_VECTOR_ELT(v, 1, R.mk_int(ctx.device_id))
    R.rlib.SET_VECTOR_ELT(v, 2, R.mk_int(ctx.device_typeid))
    R.set_attr(v, "names", R.str_vector(["device", "device_id", "device_typeid"], prot))
    R.set_attr(v, "class", R.mk_str("MXContext"))
    return v


def r_class_of(obj):
    for klass in type(obj).__mro__:
        cls = R_CLASSES.get(klass.__name__)
        if cls:
            return cls
    return "MXObject"


def handle_marker(obj, prot):
    """The R object for an engine object: a handle of its R class."""
    return prot(new_handle(obj, r_class_of(obj)))


# ------------------------------------------------------------------ generic values
def _r_type_name(x):
    cls = R.class_names(x)
    if cls:
        return f"object of class {cls[0]}"
    return {R.NILSXP: "NULL", R.LGLSXP: "logical vector", R.INTSXP: "integer vector",
            R.REALSXP: "numeric vector", R.STRSXP: "character vector", R.VECSXP: "list",
            R.CLOSXP: "function", R.ENVSXP: "environment"}.get(R.typeof(x), f"value of type {R.typeof(x)}")


def from_r(x):
    """Any R value -> a Python value (the generic rule for ``mx.internal.call``).

    NULL -> None; MX objects (handles) -> engine objects; MXContext -> Context; an atomic vector with
    a dim attribute -> float32 NumPy array (dimension rule); other atomic vectors: length 1
    -> scalar, else a list; a list -> list, or dict when every element is named; a function
    -> a Python callable that calls it (see ``callbacks``).
    """
    t = R.typeof(x)
    if t == R.NILSXP:
        return None
    if t == R.EXTPTRSXP:
        return r_object(x)
    if t in (R.REALSXP, R.INTSXP, R.LGLSXP, R.STRSXP):
        if t != R.STRSXP and not R.is_null(R.attr(x, "dim")):
            return r_array_to_numpy(x)
        n = R.length(x)
        if t == R.STRSXP:
            return R.string(x, 0) if n == 1 else R.strings(x)
        if n == 1:
            return R.scalar(x)
        view = R.numeric_view(x)
        if t == R.REALSXP:
            return [float(v) for v in view]
        if t == R.INTSXP:
            return [None if v == R.NA_INTEGER else int(v) for v in view]
        return [None if v == R.NA_INTEGER else bool(v) for v in view]
    if t == R.VECSXP:
        if is_context(x):
            return r_context(x)
        items = [from_r(e) for e in R.list_items(x)]
        nms = R.names(x)
        if nms and all(nms):
            return dict(zip(nms, items))
        return items
    if t in (R.CLOSXP, R.BUILTINSXP, R.SPECIALSXP):
        from .callbacks import RFunction
        return RFunction(x)
    raise ConversionError(f"cannot pass an R {_r_type_name(x)} to the engine")


def to_r(value, prot):
    """Any Python value -> a protected R value (engine objects become handles)."""
    mx = _engine()
    if value is None:
        return R.rlib.R_NilValue
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return prot(R.mk_lgl(bool(value)))
    if isinstance(value, (int, np.integer)):
        return prot(R.mk_int(value) if -2 ** 31 < int(value) < 2 ** 31 else R.mk_real(value))
    if isinstance(value, (float, np.floating)):
        return prot(R.mk_real(value))
    if isinstance(value, str):
        return prot(R.mk_str(value))
    if isinstance(value, mx.Context):
        return context_to_r(value, prot)
    if isinstance(value, np.ndarray):
        return numpy_to_r(value, prot)
    if isinstance(value, dict):
        v = prot(R.alloc(R.VECSXP, len(value)))
        for i, item in enumerate(value.values()):
            R.rlib.SET_VECTOR_ELT(v, i, to_r(item, prot))
        R.set_attr(v, "names", R.str_vector([str(k) for k in value], prot))
        return v
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(e, (int, float, np.integer, np.floating)) and
                         not isinstance(e, (bool, np.bool_)) for e in value):
            if all(isinstance(e, (int, np.integer)) for e in value):
                return R.int_vector(list(value), prot)
            return R.real_vector(list(value), prot)
        if value and all(isinstance(e, str) for e in value):
            return R.str_vector(list(value), prot)
        v = prot(R.alloc(R.VECSXP, len(value)))
        for i, item in enumerate(value):
            R.rlib.SET_VECTOR_ELT(v, i, to_r(item, prot))
        return v
    if hasattr(value, "_sexpobject"):          # an rpy2 object (e.g. an R callback's result)
        return prot(value.__sexp__._cdata)
    return handle_marker(value, prot)


# ------------------------------------------------------------------ operator parameters
def op_param(key, x):
    """An R value given to an operator parameter -> the value handed to the registry.

    As the real package did: a vector whose length is not 1, or any value of a parameter
    whose name ends in ``shape``, is a shape and is reversed (R order -> engine order);
    single values pass through (so ``axis``/``dim`` are in engine order).
    """
    t = R.typeof(x)
    if t == R.VECSXP and is_context(x):
        return r_context(x)
    if t in (R.REALSXP, R.INTSXP, R.LGLSXP):
        n = R.length(x)
        if n != 1 or key.endswith("shape"):
            view = R.numeric_view(x)[::-1]
            if t == R.REALSXP:
                return tuple(int(v) if float(v).is_integer() else float(v) for v in view)
            return tuple(int(v) for v in view)
        v = R.scalar(x)
        if t == R.REALSXP and float(v).is_integer():
            return int(v) if abs(v) < 2 ** 53 else v
        return v
    if t == R.STRSXP:
        if R.length(x) != 1:
            raise ConversionError(f"parameter '{key}' must be a single string")
        return R.string(x, 0)
    raise ConversionError(f"parameter '{key}': only numeric, logical or character values "
                          f"are accepted, got an R {_r_type_name(x)}")
