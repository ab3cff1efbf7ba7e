"""``mx.sym``: symbols, ``Variable``/``var``, ``Group``, ``load``/``load_json`` and one function
per registry operator (``mx.sym.FullyConnected``...)."""
from .. import ops as _ops  # noqa: F401  (registers every operator)
from .creation import arange, full, ones, zeros
from .naming import AttrScope, NameManager, Prefix
from .op_functions import generate as _generate
from .symbol import Group, Symbol, Variable, load, load_json, var

_NAMESPACE = None


def op_namespace():
    """{name: mx.sym function} for every symbolic operator (built once)."""
    global _NAMESPACE
    if _NAMESPACE is None:
        _NAMESPACE = _generate()
    return _NAMESPACE


globals().update({k: v for k, v in op_namespace().items() if k not in globals()})
