"""The handle table: engine objects that R holds, by integer id.

R never sees a Python object: it holds an environment with the id (see R/bridge.R), whose
finalizer calls ``release``.  The table owns the object until then, so R's garbage
collector decides when engine memory is freed.
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
