"""``mx.nd.<op>``: one Python function per registry operator, generated at import.

Calling convention, as MXNet's generated functions: NDArray positional arguments fill the
operator's inputs (then its auxiliary states) in order; further positional arguments fill
its parameters in schema order; keyword arguments name inputs or parameters (``pool.type``
is ``pool_type``); ``out=`` writes into given arrays; ``name=`` is accepted and ignored.
Variadic operators (``concat``) take any number of NDArrays and set their count parameter.
"""
from ..base import MXNetError
from ..registry import all_ops
from .ndarray import NDArray, run_op


def _split_arguments(op, args, kwargs):
    args = list(args)
    arrays = []
    while args and isinstance(args[0], NDArray):
        arrays.append(args.pop(0))
    if args and isinstance(args[0], (list, tuple)) and args[0] and \
            all(isinstance(a, NDArray) for a in args[0]) and not arrays:
        arrays = list(args.pop(0))   # concat([a, b]) as well as concat(a, b)
    params = dict(kwargs)
    for name, value in zip(op.params, args):
        if name in params:
            raise MXNetError(f"{op.name}: parameter '{name}' given twice")
        params[name] = value
    if len(args) > len(op.params):
        raise MXNetError(f"{op.name}: too many positional arguments")
    named_arrays = {k: params.pop(k) for k in list(params) if isinstance(params[k], NDArray)}
    if op.num_args_key and op.num_args_key not in params:
        params[op.num_args_key] = len(arrays) + len(named_arrays)
    return arrays, named_arrays, params


def _default_attrs(op):
    """The op's attributes when called with no parameters, or None if some are required."""
    if op.num_args_key or callable(op.inputs) or any(p.required for p in op.params.values()):
        return None
    return op.parse_attrs({})


def make_function(op):
    fast = []   # [attrs] once known: calls with only the input arrays skip argument parsing

    def func(*args, out=None, name=None, **kwargs):
        if not fast:
            fast.append(_default_attrs(op))
        if not kwargs and out is None and fast[0] is not None and len(args) == len(op.inputs) \
                and all(a.__class__ is NDArray for a in args):
            return run_op(op, fast[0], args)
        arrays, named, params = _split_arguments(op, args, kwargs)
        attrs = op.parse_attrs(params)
        slots = op.input_names(attrs) + op.aux_names(attrs)
        if named:
            filled = dict(zip(slots, arrays))
            for key, value in named.items():
                key = key.replace(".", "_")
                if key not in slots:
                    raise MXNetError(f"{op.name}: unknown input '{key}'; expected one of {', '.join(slots)}")
                filled[key] = value
            arrays = [filled[s] for s in slots if s in filled]
        n_in = len(op.input_names(attrs))
        if len(arrays) < n_in and op.inputs:
            missing = [s for s in slots[len(arrays):n_in]]
            raise MXNetError(f"{op.name}: missing input(s) {', '.join(missing)}")
        if len(arrays) > len(slots):
            raise MXNetError(f"{op.name}: expected {len(slots)} input array(s), got {len(arrays)}")
        return run_op(op, attrs, arrays, out)
    func.__name__ = op.name
    func.__doc__ = op.doc
    return func


def generate():
    """{name: function} for every registered operator and alias."""
    return {name: make_function(op) for name, op in all_ops().items()}
