"""Creating operator nodes: ``mx.sym.<op>(...)`` and symbol arithmetic end here.

Inputs come as leading positional Symbols or keyword Symbols named after the operator's input
slots; parameters as the other arguments, stored as strings exactly as MXNet stores them.
Parameters are NOT validated here (that happens at inference/bind time).  A missing input
becomes a new variable ``<name>_<slot>`` that carries a copy of the node's attributes, as in
MXNet; auxiliary states (``moving_mean``) get MXNet's ``__init__`` attribute and a version.
"""

import numpy as np

from ..base import MXNetError
from ..registry import normalize_key
from .graph import Node, attr_key, is_hidden
from .json_io import set_aux_init
from .naming import AttrScope, NameManager
from .symbol import Symbol


def attr_string(key, value):
    """A parameter value as MXNet writes it into the symbol's attributes."""
    if isinstance(value, str):
        return value
    if key == "dtype" or isinstance(value, (np.dtype, type)):
        try:
            return np.dtype(value).name
        except (TypeError, ValueError):
            pass
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, (list, tuple)):
        value = type(value)(v.item() if isinstance(v, np.generic) else v for v in value)
    return str(value)


def _required(op, key):
    param = op.params.get(normalize_key(key))
    return param is not None and param.required


def _split(op, args, kwargs):
    args = list(args)
    inputs = []
    while args and isinstance(args[0], Symbol):
        inputs.append(args.pop(0))
    if not inputs and args and isinstance(args[0], (list, tuple)) and args[0] and \
            all(isinstance(a, Symbol) for a in args[0]):
        inputs = list(args.pop(0))       # Concat([a, b]) as well as Concat(a, b)
    params = {}
    for name, value in zip(op.params, args):
        params[name] = value
    if len(args) > len(op.params):
        raise MXNetError(f"{op.name}: too many positional arguments")
    named = {}
    for key, value in kwargs.items():
        if isinstance(value, Symbol):
            named[normalize_key(key)] = value
        elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Symbol) for v in value):
            if inputs:
                raise MXNetError(f"{op.name}: inputs given both positionally and as '{key}'")
            inputs = list(value)          # R: mx.symbol.concat(data = list(a, b))
        elif value is not None or _required(op, key):
            # None stands for the default, except for a required parameter whose value may
            # be None (slice_axis's end): MXNet keeps it as "None" there
            if key in params:
                raise MXNetError(f"{op.name}: parameter '{key}' given twice")
            params[key] = value
    return inputs, named, params


def create(op, hint, args, kwargs):
    """A Symbol for one call of operator ``op`` (an OpDef); ``hint`` names it automatically."""
    kwargs = dict(kwargs)
    name = kwargs.pop("name", None)
    attr = kwargs.pop("attr", None)
    if attr is not None and not isinstance(attr, dict):
        raise MXNetError(f"{op.name}: attr must be a dict of strings, got {type(attr).__name__}")
    inputs, named, params = _split(op, args, kwargs)
    for s in inputs + list(named.values()):
        if len(s._heads) != 1:
            raise MXNetError(f"{op.name}: an input must be a single-output symbol, got a group "
                             f"of {len(s._heads)} outputs")
    name = NameManager.current().get(name, hint)
    attrs = {attr_key(k, op.name): v for k, v in AttrScope.current().get(attr).items()}
    for key, value in attrs.items():
        if not isinstance(value, str):
            raise MXNetError(f"{op.name}: the value of attribute '{key}' must be a string, got "
                             f"{type(value).__name__}")
    for key, value in params.items():
        key = key if is_hidden(key) else normalize_key(key)
        attrs[key] = attr_string(key, value)
    if op.num_args_key and op.num_args_key not in attrs and (inputs or named):
        attrs[op.num_args_key] = str(len(inputs) + len(named))
    node = Node(op.name, name, attrs)
    ins, aux = node.slot_names()
    slots = ins + aux
    if callable(op.inputs) and len(inputs) > len(ins):
        slots = [f"arg{i}" for i in range(len(inputs))] + aux
    if len(inputs) > len(slots):
        raise MXNetError(f"{op.name}: too many input symbols: {len(inputs)} given, the operator "
                         f"takes {len(slots)} ({', '.join(slots)})")
    for key in named:
        if key not in slots:
            raise MXNetError(f"{op.name}: unknown input '{key}'; expected one of "
                             f"{', '.join(slots) or '(none)'}")
        if slots.index(key) < len(inputs):
            raise MXNetError(f"{op.name}: input '{key}' given twice")
    for i, slot in enumerate(slots):
        if i < len(inputs):
            src = inputs[i]._heads[0]
        elif slot in named:
            src = named[slot]._heads[0]
        else:
            src = (Node("null", f"{name}_{slot}", attrs), 0, 0)
        if i >= len(ins) and src[0].is_variable:   # an auxiliary state: mutated by the op
            src[0].version += 1
            src = (src[0], src[1], src[0].version)
        node.inputs.append(src)
    set_aux_init(node)
    n_out = len(node.output_names())
    return Symbol([(node, i, 0) for i in range(n_out)])
