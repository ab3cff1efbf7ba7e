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


_CACHE_SIZE = 64


def _parse_cached(op, params, cache):
    """op.parse_attrs(params), remembered per op: loops call an op with the same parameters."""
    try:
        key = tuple(sorted((k, v.__class__, v) for k, v in params.items()))
        attrs = cache.get(key)
    except TypeError:           # an unhashable value (a list): parse every time
        return op.parse_attrs(params)
    if attrs is None:
        attrs = op.parse_attrs(params)
        if len(cache) >= _CACHE_SIZE:
            cache.clear()
        cache[key] = attrs
    return attrs


def make_function(op):
    fast = []     # [attrs of a call without parameters, or None]
    cache = {}    # parsed attributes by parameters

    def func(*args, out=None, name=None, **kwargs):
        if not fast:
            fast.append(_default_attrs(op))
        if not kwargs and out is None and fast[0] is not None and len(args) == len(op.inputs) \
                and all(a.__class__ is NDArray for a in args):
            return run_op(op, fast[0], args)
        arrays, named, params = _split_arguments(op, args, kwargs)
        attrs = _parse_cached(op, params, cache)
        if op.num_args_key and attrs[op.num_args_key] != len(arrays) + len(named):
            raise MXNetError(f"{op.name}: {op.num_args_key} is {attrs[op.num_args_key]} but "
                             f"{len(arrays) + len(named)} input array(s) were given")
        if named:
            slots = op.input_names(attrs) + op.aux_names(attrs)
            filled = dict(zip(slots, arrays))
            for key, value in named.items():
                key = key.replace(".", "_")
                if key not in slots:
                    raise MXNetError(f"{op.name}: unknown input '{key}'; expected one of {', '.join(slots)}")
                filled[key] = value
            arrays = [filled[s] for s in slots if s in filled]
        inputs = op.input_names(attrs)
        if len(arrays) < len(inputs):
            raise MXNetError(f"{op.name}: missing input(s) {', '.join(inputs[len(arrays):])}")
        if len(arrays) > len(inputs):
            n_slots = len(inputs) + len(op.aux_names(attrs))
            if len(arrays) > n_slots:
                raise MXNetError(f"{op.name}: expected {n_slots} input array(s), got {len(arrays)}")
        return run_op(op, attrs, arrays, out)
    func.__name__ = op.name
    func.__doc__ = op.doc
    return func


def generate():
    """{name: function} for every registered operator and alias."""
    return {name: make_function(op) for name, op in all_ops().items()}
