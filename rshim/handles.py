"""The handle table: engine objects that R holds.

R never sees a Python object: it holds an external pointer whose address is a small integer
id, with the object's R class (MXNDArray, MXSymbol, ...) and a C finalizer (``c_finalizer``)
that releases the id when R's garbage collector frees the pointer.  The table owns the object
until then, so R's GC decides when engine memory is freed.  (rpy2's own
``SexpExtPtr.from_pyobject`` never releases its Python object; this table does.)

The table is keyed by the pointer value itself, a cffi ``void *``: the address R hands back
(``R_ExternalPtrAddr``) finds its entry directly, without converting it to a Python int, which
costs more than the rest of a lookup.  Ids are never reused while R may still hold them.
"""
import itertools

from ._rapi import EXTPTRSXP, ffi, rlib

_objects = {}
_state = {"ids": itertools.count(1)}
_VOIDP = ffi.typeof("void *")
_cast = ffi.cast


def register(obj):
    """Keep ``obj`` alive for R; its key (the ``void *`` to store in the external pointer)."""
    hid = next(_state["ids"])
    if hid >= 2 ** 31 - 1:          # ids stay below 2^31 (see _rapi.handle_of): start over,
        _state["ids"] = itertools.count(1)      # skipping live ids
        hid = next(_state["ids"])
        while _cast(_VOIDP, hid) in _objects:
            hid = next(_state["ids"])
    key = _cast(_VOIDP, hid)
    _objects[key] = obj
    return key


def lookup(x):
    """The engine object behind R value ``x``, or None when ``x`` is not a live handle."""
    if x.sxpinfo.type != EXTPTRSXP:
        return None
    return _objects.get(rlib.R_ExternalPtrAddr(x))


def get(hid):
    """The engine object of handle id ``hid`` (an int); LookupError if it is not live."""
    try:
        return _objects[_cast(_VOIDP, hid)]
    except KeyError:
        raise LookupError(f"handle {hid} is not valid (released, or from another session)") \
            from None


def count():
    """How many engine objects R currently holds."""
    return len(_objects)


def _make_c_finalizer():
    addr_of = rlib.R_ExternalPtrAddr
    pop = _objects.pop

    def finalize(sexp):
        try:
            pop(addr_of(sexp), None)
        except BaseException:      # noqa: B036  (nothing may unwind into R's GC)
            pass
    return ffi.callback("void (SEXP)", finalize)


c_finalizer = _make_c_finalizer()
