"""``mx.sym.<op>``: one function per registry operator (``symbolic=True``), generated.

    mx.sym.FullyConnected(data, num_hidden=10, name="fc1")

Leading positional Symbols (or a list of them, for variadic operators) are the inputs, other
positional values are parameters in the operator's order; keyword Symbols fill named input
slots; ``name=`` and ``attr=`` as in MXNet.  The node's automatic name comes from the function
name lowercased (``fullyconnected0``).
"""
from ..registry import all_ops
from .compose import create


def make_function(op, called):
    hint = called.lower()

    def func(*args, **kwargs):
        return create(op, hint, args, kwargs)
    func.__name__ = called
    func.__doc__ = op.doc
    return func


def generate():
    """{name: function} for every symbolic operator and alias."""
    return {name: make_function(op, name) for name, op in all_ops().items() if op.symbolic}
