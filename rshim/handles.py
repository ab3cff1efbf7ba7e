"""The handle table: engine objects that R holds, by integer id.

R never sees a Python object: it holds an external pointer whose address is the id, with
the object's R class (MXNDArray, MXSymbol, ...) and a C finalizer (``c_finalizer``) that
releases the id when R's garbage collector frees the pointer.  The table owns the object
until then, so R's GC decides when engine memory is freed.  (rpy2's own
``SexpExtPtr.from_pyobject`` never releases its Python object; this table does.)
"""
import itertools

_objects = {}
_state = {"ids": itertools.count(1)}


def register(obj):
    """Keep ``obj`` alive for R; its new id."""
    hid = next(_state["ids"])
    if hid >= 2 ** 31 - 1:          # R integers are 32-bit: start over, skipping live ids
        _state["ids"] = itertools.count(1)
        hid = next(_state["ids"])
        while hid in _objects:
            hid = next(_state["ids"])
    _objects[hid] = obj
    return hid


def get(hid):
    try:
        return _objects[hid]
    except KeyError:
        raise LookupError(f"handle {hid} is not valid (released, or from another session)") from None


def release(hid):
    _objects.pop(hid, None)


def count():
    """How many engine objects R currently holds."""
    return len(_objects)


def clear():
    _objects.clear()


def _make_c_finalizer():
    from ._rapi import ffi, rlib
    addr_of = rlib.R_ExternalPtrAddr
    cast = ffi.cast
    pop = _objects.pop

    def finalize(sexp):
        try:
            pop(int(cast("intptr_t", addr_of(sexp))), None)
        except BaseException:      # noqa: B036  (nothing may unwind into R's GC)
            pass
    return ffi.callback("void (SEXP)", finalize)


c_finalizer = _make_c_finalizer()
