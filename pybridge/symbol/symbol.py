"""``Symbol``: a static computation graph with MXNet 1.x's Python API.

A Symbol is a list of heads, entries ``(node, output_index, version)`` of the graph in
``graph.py``.  Operators are attached by ``compose.create`` (``mx.sym.<op>`` and arithmetic);
inference lives in ``infer.py``, files in ``json_io.py``, execution in ``pybridge.executor``.
"""
import numbers
import os
import warnings

import numpy as np

from ..base import MXNetError, as_dtype
from ..registry import get_op
from . import json_io
from .graph import HIDDEN_KEYS, Node, attr_key, aux_variables, copy_graph, topo_order
from .infer import DTYPE_FLAGS, _as_shape, infer_shapes, infer_types
from .naming import AttrScope


def _op(op_name, hint, *args, **kwargs):
    from .compose import create
    return create(get_op(op_name), hint, args, kwargs)


class Symbol:
    __slots__ = ("_heads", "__weakref__")

    def __init__(self, heads):
        self._heads = list(heads)

    # ------------------------------------------------------------------ structure
    def _order(self):
        return topo_order([h[0] for h in self._heads])

    def __repr__(self):
        name = self.name
        if name is None:
            return f"<Symbol group [{', '.join(s.name or '?' for s in self)}]>"
        return f"<Symbol {name}>"

    def __len__(self):
        return len(self._heads)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __bool__(self):
        raise MXNetError("Symbol.__bool__: the truth value of a Symbol is not defined")

    @property
    def name(self):
        nodes = {id(h[0]) for h in self._heads}
        return self._heads[0][0].name if len(nodes) == 1 else None

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Group([self[i] for i in range(*index.indices(len(self)))])
        if isinstance(index, str):
            names = self.list_outputs()
            hits = [i for i, n in enumerate(names) if n == index]
            if not hits:
                raise MXNetError(f'Symbol.__getitem__: cannot find output that matches name "{index}"')
            if len(hits) > 1:
                raise MXNetError(f'Symbol.__getitem__: there are multiple outputs with name "{index}"')
            index = hits[0]
        if isinstance(index, bool) or not isinstance(index, numbers.Integral):
            raise MXNetError("Symbol.__getitem__: only an integer, an output name or a slice "
                             "can index a Symbol")
        if not -len(self) <= index < len(self):
            raise IndexError(f"Symbol.__getitem__: index {index} out of range for "
                             f"{len(self)} output(s)")
        return Symbol([self._heads[index]])

    def list_arguments(self):
        order = self._order()
        aux = aux_variables(order)
        return [n.name for n in order if n.is_variable and id(n) not in aux]

    def list_auxiliary_states(self):
        order = self._order()
        aux = aux_variables(order)
        return [n.name for n in order if n.is_variable and id(n) in aux]

    def list_inputs(self):
        return [n.name for n in self._order() if n.is_variable]

    def list_outputs(self):
        out = []
        for node, index, _ in self._heads:
            if node.is_variable:
                out.append(node.name)
            else:
                names = node.output_names()
                label = names[index] if index < len(names) else f"output{index}"
                out.append(f"{node.name}_{label}")
        return out

    def get_internals(self):
        heads = []
        for node in self._order():
            n_out = 1 if node.is_variable else len(node.output_names())
            heads.extend((node, i, 0) for i in range(n_out))
        return Symbol(heads)

    def get_children(self):
        heads = [e for node, _, _ in self._heads for e in node.inputs]
        return Symbol(heads) if heads else None

    # ------------------------------------------------------------------ attributes
    def _single_node(self, where):
        node = self._heads[0][0]
        if any(h[0] is not node for h in self._heads):
            raise MXNetError(f"Symbol.{where}: not supported on a grouped symbol")
        return node

    def attr(self, key):
        node = self._single_node("attr")
        if not isinstance(key, str):
            raise MXNetError(f"Symbol.attr: key must be a string, got {type(key).__name__}")
        if key in node.attrs:
            return node.attrs[key]
        if key in HIDDEN_KEYS:
            return node.attrs.get(f"__{key}__")
        return None

    def list_attr(self, recursive=False):
        if recursive:
            raise DeprecationWarning("Symbol.list_attr with recursive=True has been deprecated. "
                                     "Please use attr_dict instead.")
        return _with_plain_keys(self._single_node("list_attr").attrs)

    def attr_dict(self):
        return {n.name: _with_plain_keys(n.attrs) for n in self._order() if n.attrs}

    def _set_attr(self, **kwargs):
        node = self._single_node("_set_attr")
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise MXNetError("Symbol._set_attr: Set Attr only accepts string values")
            node.attrs[attr_key(key, "Symbol._set_attr")] = value
        node.invalidate()

    # ------------------------------------------------------------------ composition
    def __call__(self, *args, **kwargs):
        s = self.__copy__()
        s._compose(*args, **kwargs)
        return s

    def _compose(self, *args, **kwargs):
        name = kwargs.pop("name", None)
        if args and kwargs:
            raise MXNetError("Symbol._compose: give input symbols either positionally or as "
                             "keywords, not both")
        for value in list(args) + list(kwargs.values()):
            if not isinstance(value, Symbol) or len(value) != 1:
                raise MXNetError("Symbol._compose: inputs must be single-output Symbols")
        order = self._order()
        aux = aux_variables(order)
        variables = [n for n in order if n.is_variable and id(n) not in aux]
        if args:
            if len(args) > len(variables):
                raise MXNetError(f"Symbol._compose: {len(args)} inputs given, the symbol has "
                                 f"{len(variables)} argument(s)")
            replace = {id(v): a._heads[0] for v, a in zip(variables, args)}
        else:
            by_name = {v.name: v for v in variables}
            replace = {}
            for key, value in kwargs.items():
                if key not in by_name:
                    raise MXNetError(f"Symbol._compose: keyword argument name {key} not found; "
                                     f"arguments are {', '.join(by_name)}")
                replace[id(by_name[key])] = value._heads[0]
        for node in order:
            node.inputs = [replace.get(id(n), (n, i, v)) for n, i, v in node.inputs]
        self._heads = [replace.get(id(n), (n, i, v)) for n, i, v in self._heads]
        if name and len({id(h[0]) for h in self._heads}) == 1 and not self._heads[0][0].is_variable:
            self._heads[0][0].name = name

    def __copy__(self):
        mapping = copy_graph([h[0] for h in self._heads])
        return Symbol([(mapping[id(n)], i, v) for n, i, v in self._heads])

    def __deepcopy__(self, memo=None):
        return self.__copy__()

    def __getstate__(self):
        return {"json": self.tojson()}

    def __setstate__(self, state):
        self._heads = json_io.parse(state["json"])

    # ------------------------------------------------------------------ arithmetic
    def _arith(self, other, name, hint, scalar_name, scalar_hint):
        if isinstance(other, Symbol):
            return _op(name, hint, self, other)
        if isinstance(other, numbers.Number):
            return _op(scalar_name, scalar_hint, self, scalar=other)
        raise TypeError(f"type {type(other).__name__} not supported")

    def _rarith(self, other, scalar_name, scalar_hint, swapped):
        if isinstance(other, Symbol):
            return swapped(other, self)
        if isinstance(other, numbers.Number):
            return _op(scalar_name, scalar_hint, self, scalar=other)
        raise TypeError(f"type {type(other).__name__} not supported")

    def __add__(self, o): return self._arith(o, "elemwise_add", "_plus", "_plus_scalar", "_plusscalar")
    def __radd__(self, o): return self.__add__(o)
    def __sub__(self, o): return self._arith(o, "elemwise_sub", "_minus", "_minus_scalar", "_minusscalar")
    def __rsub__(self, o): return self._rarith(o, "_rminus_scalar", "_rminusscalar", Symbol.__sub__)
    def __mul__(self, o): return self._arith(o, "elemwise_mul", "_mul", "_mul_scalar", "_mulscalar")
    def __rmul__(self, o): return self.__mul__(o)
    def __truediv__(self, o): return self._arith(o, "elemwise_div", "_div", "_div_scalar", "_divscalar")
    def __rtruediv__(self, o): return self._rarith(o, "_rdiv_scalar", "_rdivscalar", Symbol.__truediv__)
    def __mod__(self, o): return self._arith(o, "_mod", "_mod", "_mod_scalar", "_modscalar")
    def __rmod__(self, o): return self._rarith(o, "_rmod_scalar", "_rmodscalar", Symbol.__mod__)
    def __pow__(self, o): return self._arith(o, "_power", "_power", "_power_scalar", "_powerscalar")
    def __rpow__(self, o): return self._rarith(o, "_rpower_scalar", "_rpower_scalar", Symbol.__pow__)
    __div__, __rdiv__ = __truediv__, __rtruediv__
    def __neg__(self): return self.__mul__(-1.0)
    def __abs__(self): return _op("abs", "abs", self)

    def __eq__(self, o): return self._arith(o, "_equal", "_equal", "_equal_scalar", "_equal_scalar")
    def __ne__(self, o): return self._arith(o, "_not_equal", "_not_equal", "_not_equal_scalar", "_not_equal_scalar")
    def __gt__(self, o): return self._arith(o, "_greater", "_greater", "_greater_scalar", "_greater_scalar")
    def __ge__(self, o): return self._arith(o, "_greater_equal", "_greater_equal", "_greater_equal_scalar", "_greater_equal_scalar")
    def __lt__(self, o): return self._arith(o, "_lesser", "_lesser", "_lesser_scalar", "_lesser_scalar")
    def __le__(self, o): return self._arith(o, "_lesser_equal", "_lesser_equal", "_lesser_equal_scalar", "_lesser_equal_scalar")
    __hash__ = object.__hash__

    def __iadd__(self, o): raise MXNetError("Symbol does not support in-place '+='")
    def __isub__(self, o): raise MXNetError("Symbol does not support in-place '-='")
    def __imul__(self, o): raise MXNetError("Symbol does not support in-place '*='")
    def __itruediv__(self, o): raise MXNetError("Symbol does not support in-place '/='")

    # Fluent methods: sym.reshape(...), sym.flatten(), ... for operators taking 'data'.
    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        from . import op_namespace
        func = op_namespace().get(name)
        if func is None:
            raise AttributeError(f"'Symbol' object has no attribute '{name}'")
        return lambda *args, **kwargs: func(self, *args, **kwargs)

    # ------------------------------------------------------------------ inference
    def _known(self, args, kwargs, where, convert):
        if args and kwargs:
            raise MXNetError(f"{where}: give known values either positionally or as keywords, "
                             "not both")
        known = {}
        if args:
            names = self.list_arguments()
            if len(args) > len(names):
                raise MXNetError(f"{where}: {len(args)} positional values for {len(names)} "
                                 "argument(s)")
            for name, value in zip(names, args):
                if value is not None:
                    known[name] = convert(value, f"{where}: argument '{name}'")
        else:
            inputs = self.list_inputs()
            for key, value in kwargs.items():
                if key not in inputs:
                    raise MXNetError(f"{where}: keyword argument name {key} not found; "
                                     f"candidate arguments: {', '.join(inputs)}")
                if value is not None:
                    known[key] = convert(value, f"{where}: argument '{key}'")
        return known

    def _infer_shape_impl(self, partial, args, kwargs):
        known = self._known(args, kwargs, "infer_shape", _shape_arg)
        order, solver = infer_shapes(self._heads, known)
        return _collect(self, order, solver, partial, ())

    def infer_shape(self, *args, **kwargs):
        result = self._infer_shape_impl(False, args, kwargs)
        if result[0] is None:
            arg_shapes = self._infer_shape_impl(True, args, kwargs)[0]
            unknown = [f"{n}: {s}" for n, s in zip(self.list_arguments(), arg_shapes) if not s]
            warnings.warn("Cannot decide shape for the following arguments (0s in shape means "
                          "unknown dimensions). Consider providing them as input:\n\t" +
                          "\n\t".join(unknown[:10]), stacklevel=2)
        return result

    def infer_shape_partial(self, *args, **kwargs):
        return self._infer_shape_impl(True, args, kwargs)

    def _infer_type_impl(self, partial, args, kwargs):
        known = self._known(args, kwargs, "infer_type", lambda v, w: as_dtype(v, w).name)
        order, solver = infer_types(self._heads, known)
        res = _collect(self, order, solver, partial, None)
        if res[0] is None:
            return res
        return tuple([None if t is None else np.dtype(t).type for t in part] for part in res)

    def infer_type(self, *args, **kwargs):
        return self._infer_type_impl(False, args, kwargs)

    def infer_type_partial(self, *args, **kwargs):
        return self._infer_type_impl(True, args, kwargs)

    # ------------------------------------------------------------------ files
    def tojson(self, remove_amp_cast=True):
        return json_io.to_json(self._heads)

    def save(self, fname, remove_amp_cast=True):
        from ..fileio import write_text
        if not isinstance(fname, (str, os.PathLike)):
            raise MXNetError(f"Symbol.save: fname must be a string, got {type(fname).__name__}")
        write_text(os.fspath(fname), self.tojson(), where="Symbol.save")

    def debug_str(self):
        lines = []
        for node in self._order():
            kind = "Variable" if node.is_variable else f"Op:{node.op}"
            lines.append(f"{kind}, Name={node.name}")
            for n, i, _ in node.inputs:
                lines.append(f"\targ: {n.name}[{i}]")
        return "\n".join(lines)

    # ------------------------------------------------------------------ execution
    def simple_bind(self, ctx=None, grad_req="write", type_dict=None, stype_dict=None,
                    group2ctx=None, shared_arg_names=None, shared_exec=None,
                    shared_buffer=None, **kwargs):
        from ..executor import simple_bind
        return simple_bind(self, ctx, grad_req, type_dict, shared_exec, kwargs)

    def bind(self, ctx, args, args_grad=None, grad_req="write", aux_states=None,
             group2ctx=None, shared_exec=None):
        from ..executor import Executor
        return Executor(self, ctx, args, args_grad, grad_req, aux_states)

    def eval(self, ctx=None, **kwargs):
        from ..context import current_context
        ex = self.bind(current_context() if ctx is None else ctx, kwargs, grad_req="null")
        return ex.forward()


def _shape_arg(value, where):
    if not isinstance(value, (tuple, list)):
        raise MXNetError(f"{where}: a shape must be a tuple, got {type(value).__name__}")
    return _as_shape(value, where)


def _collect(sym, order, solver, partial, unknown):
    aux = aux_variables(order)
    args = [solver.values.get((id(n), 0)) for n in order if n.is_variable and id(n) not in aux]
    auxs = [solver.values.get((id(n), 0)) for n in order if n.is_variable and id(n) in aux]
    outs = [solver.values.get((id(n), i)) for n, i, _ in sym._heads]
    undecided = any(isinstance(v, tuple) and 0 in v for v in solver.values.values())
    if not partial and (undecided or any(v is None for v in args + outs + auxs)):
        return None, None, None   # (0: a dimension inference could not decide, anywhere)
    fix = (lambda v: unknown if v is None else v)
    return [fix(v) for v in args], [fix(v) for v in outs], [fix(v) for v in auxs]


def _with_plain_keys(attrs):
    """MXNet lists ``__lr_mult__`` also as ``lr_mult`` (and the other hidden keys)."""
    out = {}
    for key, value in attrs.items():
        out[key] = value
        if key.startswith("__") and key[2:-2] in HIDDEN_KEYS and key.endswith("__"):
            out[key[2:-2]] = value
    return out


def Variable(name, attr=None, shape=None, lr_mult=None, wd_mult=None, dtype=None, init=None,
             stype=None, profiler_scope=None, **kwargs):
    """A placeholder symbol (an argument of the graph), as ``mx.sym.Variable``."""
    if not isinstance(name, str):
        raise MXNetError(f"Variable: name must be a string, got {type(name).__name__}")
    if attr is not None and not isinstance(attr, dict):
        raise MXNetError("Variable: attr must be a dict of strings")
    attrs = {attr_key(k, "Variable"): v for k, v in AttrScope.current().get(attr).items()}
    if shape is not None:
        attrs["__shape__"] = str(_shape_arg(shape, f"Variable '{name}': shape"))
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        attrs["__dtype__"] = str(DTYPE_FLAGS[as_dtype(dtype, f"Variable '{name}': dtype").name])
    if init is not None:
        attrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        attrs["__storage_type__"] = str({"default": 0, "row_sparse": 1, "csr": 2}.get(stype, stype))
    for key, value in kwargs.items():
        if key.startswith("__") and key.endswith("__"):
            attrs[key] = str(value)
        else:
            raise MXNetError(f"Variable: attribute name={key} is not supported. Additional "
                             "attributes must start and end with double underscores, e.g, "
                             "__yourattr__")
    for key, value in attrs.items():
        if not isinstance(value, str):
            raise MXNetError(f"Variable: the value of attribute '{key}' must be a string")
    return Symbol([(Node("null", name, attrs), 0, 0)])


var = Variable


def Group(symbols):
    """One symbol whose outputs are the outputs of ``symbols``, in order."""
    if isinstance(symbols, Symbol):
        symbols = [symbols]
    if not isinstance(symbols, (list, tuple)):
        raise MXNetError(f"Group: expected a list of Symbols, got {type(symbols).__name__}")
    symbols = list(symbols)
    if not symbols or any(not isinstance(s, Symbol) for s in symbols):
        raise MXNetError("Group: expected a non-empty list of Symbols")
    return Symbol([h for s in symbols for h in s._heads])


def load_json(json_str):
    """A Symbol from a JSON string (MXNet 1.x or legacy 0.x)."""
    return Symbol(json_io.parse(json_str))


def load(fname):
    """A Symbol from a JSON file written by ``Symbol.save`` or MXNet."""
    if not isinstance(fname, (str, os.PathLike)):
        raise MXNetError(f"load: fname must be a string, got {type(fname).__name__}")
    fname = os.fspath(fname)
    try:
        with open(fname, "rb") as f:
            text = f.read()
    except OSError as exc:
        raise MXNetError(f"load: cannot read symbol file '{fname}': {exc.strerror}") from None
    try:
        return load_json(text)
    except MXNetError as exc:
        raise MXNetError(f"{exc} (file '{fname}')") from None
