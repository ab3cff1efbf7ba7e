"""Raw access to R's C API through rpy2's compiled cffi interface.

The bridge's entry points are ``.External`` routines implemented in Python: R passes its
arguments as SEXPs and gets a SEXP back, with no per-argument rpy2 object in between (an
rpy2 ``rternalize`` call costs ~25 us, this path ~5 us).  Everything here reads R values
in place and builds results with R's allocator; objects built in several steps are
protected until they are returned.
"""
import ctypes
import platform

import numpy as np
import rpy2.situation
from rpy2.rinterface_lib import openrlib

ffi = openrlib.ffi
rlib = openrlib.rlib

# R code that Python starts must run with the GIL held.  cffi releases the GIL around every C
# call, and R code may run finalizers of reticulate's Python objects (an R callback that calls
# gc() during training did), which call Python without taking the GIL: "Fatal Python error:
# PyThreadState_Get ... the GIL is released".  ctypes.PyDLL keeps the GIL during the call.
_libR_gil = ctypes.PyDLL(rpy2.situation.get_rlib_path(openrlib.R_HOME, platform.system()))
_libR_gil.R_tryEval.restype = ctypes.c_void_p
_libR_gil.R_tryEval.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]

NILSXP, SYMSXP, LISTSXP, CLOSXP, ENVSXP = 0, 1, 2, 3, 4
LGLSXP, INTSXP, REALSXP, STRSXP, VECSXP = 10, 13, 14, 16, 19
BUILTINSXP, SPECIALSXP, EXTPTRSXP = 8, 7, 22
NA_INTEGER = -2147483648

_symbols = {}


def sym(name):
    """An R symbol (cached)."""
    s = _symbols.get(name)
    if s is None:
        s = _symbols[name] = rlib.Rf_install(name.encode())
    return s


def try_eval(call, env):
    """``R_tryEval(call, env)`` with the GIL held: (result SEXP, True when R signalled an error)."""
    failed = ctypes.c_int(0)
    result = _libR_gil.R_tryEval(int(ffi.cast("uintptr_t", call)),
                                 int(ffi.cast("uintptr_t", env)), ctypes.byref(failed))
    return ffi.cast("SEXP", result or 0), bool(failed.value)


def typeof(x):
    return x.sxpinfo.type


def is_null(x):
    return x == rlib.R_NilValue


def length(x):
    return rlib.Rf_xlength(x)


def attr(x, name):
    """An attribute of x (R_NilValue when absent)."""
    return rlib.Rf_getAttrib(x, sym(name))


def string(x, i=0):
    """Element i of a character vector as a Python str (None for NA)."""
    ch = rlib.STRING_ELT(x, i)
    if ch == rlib.R_NaString:
        return None
    return ffi.string(rlib.R_CHAR(ch)).decode("utf-8", "replace")


def strings(x):
    return [string(x, i) for i in range(length(x))]


def class_names(x):
    cls = attr(x, "class")
    return strings(cls) if typeof(cls) == STRSXP else []


def names(x):
    n = attr(x, "names")
    return strings(n) if typeof(n) == STRSXP else None


def list_items(x):
    return [rlib.VECTOR_ELT(x, i) for i in range(length(x))]


def numeric_view(x):
    """A NumPy view (no copy) of an R double, integer or logical vector's memory."""
    n = length(x)
    t = typeof(x)
    if t == REALSXP:
        return np.frombuffer(ffi.buffer(rlib.REAL(x), n * 8), dtype=np.float64) if n else \
            np.zeros(0, np.float64)
    if t in (INTSXP, LGLSXP):
        ptr = rlib.INTEGER(x) if t == INTSXP else rlib.LOGICAL(x)
        return np.frombuffer(ffi.buffer(ptr, n * 4), dtype=np.int32) if n else \
            np.zeros(0, np.int32)
    raise TypeError("not a numeric vector")


def scalar(x):
    """The first element of a length-1 atomic vector as a Python value."""
    t = typeof(x)
    if t == REALSXP:
        return rlib.REAL(x)[0]
    if t == INTSXP:
        v = rlib.INTEGER(x)[0]
        return None if v == NA_INTEGER else v
    if t == LGLSXP:
        v = rlib.LOGICAL(x)[0]
        return None if v == NA_INTEGER else bool(v)
    if t == STRSXP:
        return string(x, 0)
    raise TypeError("not an atomic vector")


# ------------------------------------------------------------------ building results
def mk_int(v):
    return rlib.Rf_ScalarInteger(int(v))


def mk_real(v):
    return rlib.Rf_ScalarReal(float(v))


def mk_lgl(v):
    return rlib.Rf_ScalarLogical(1 if v else 0)


def mk_str(s):
    return rlib.Rf_mkString(s.encode("utf-8"))


class Protect:
    """Context manager counting PROTECTs, unprotected on exit."""
    __slots__ = ("n",)

    def __init__(self):
        self.n = 0

    def __call__(self, x):
        rlib.Rf_protect(x)
        self.n += 1
        return x

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.n:
            rlib.Rf_unprotect(self.n)


def alloc(rtype, n):
    """An unprotected new R vector (protect it before allocating anything else)."""
    return rlib.Rf_allocVector(rtype, n)


def int_vector(values, prot):
    v = prot(alloc(INTSXP, len(values)))
    if len(values):
        np.frombuffer(ffi.buffer(rlib.INTEGER(v), len(values) * 4), dtype=np.int32)[:] = values
    return v


def real_vector(values, prot):
    v = prot(alloc(REALSXP, len(values)))
    if len(values):
        np.frombuffer(ffi.buffer(rlib.REAL(v), len(values) * 8), dtype=np.float64)[:] = values
    return v


def lgl_vector(values, prot):
    v = prot(alloc(LGLSXP, len(values)))
    if len(values):
        np.frombuffer(ffi.buffer(rlib.LOGICAL(v), len(values) * 4), dtype=np.int32)[:] = \
            np.asarray(values, dtype=bool)
    return v


def str_vector(values, prot):
    v = prot(alloc(STRSXP, len(values)))
    for i, s in enumerate(values):
        if s is None:
            rlib.SET_STRING_ELT(v, i, rlib.R_NaString)
        else:
            b = s.encode("utf-8")
            rlib.SET_STRING_ELT(v, i, rlib.Rf_mkCharLenCE(b, len(b), rlib.CE_UTF8))
    return v


def set_attr(x, name, value):
    rlib.Rf_setAttrib(x, sym(name), value)


def env_get(env, name):
    """A variable of an R environment's own frame (R_UnboundValue when absent)."""
    return rlib.Rf_findVarInFrame(env, sym(name))


_class_strings = {}
_const = {}


def constants():
    """(R_NilValue, R_ClassSymbol), read once: reading an R global through cffi costs as much
    as a C call, and neither changes while R runs."""
    c = _const.get("nil_class")
    if c is None:
        c = _const["nil_class"] = (rlib.R_NilValue, rlib.R_ClassSymbol)
    return c


def handle_sexp(key, cls, finalizer):
    """The R object of an engine handle: an external pointer whose address is ``key`` (a
    ``void *`` from ``handles.register``), with class ``cls`` and C finalizer ``finalizer``
    (run when R's GC frees it).  Unprotected.

    No PROTECT of its own: the pointer is only at risk while R allocates, and both calls
    that allocate protect it meanwhile (setAttrib's installAttrib, R_MakeWeakRefC)."""
    klass = _class_strings.get(cls)
    if klass is None:       # one preserved class vector per class, shared (R copies on write)
        klass = _class_strings[cls] = rlib.Rf_mkString(cls.encode())
        rlib.R_PreserveObject(klass)
    nil, class_symbol = _const.get("nil_class") or constants()
    p = rlib.R_MakeExternalPtr(key, nil, nil)
    rlib.Rf_setAttrib(p, class_symbol, klass)
    rlib.R_RegisterCFinalizer(p, finalizer)
    return p


def handle_of(x):
    """The handle id stored in an external pointer made by ``handle_sexp`` (None if not)."""
    addr = int(ffi.cast("intptr_t", rlib.R_ExternalPtrAddr(x)))
    return addr if 0 < addr < 2 ** 31 else None


def native_symbol(callback):
    """An R external pointer usable as ``.External``'s routine (tag "native symbol")."""
    ptr = rlib.R_MakeExternalPtr(ffi.cast("void *", callback), sym("native symbol"),
                                 rlib.R_NilValue)
    rlib.R_PreserveObject(ptr)
    return ptr
