"""The symbol graph: nodes, their attributes, and traversal.

A ``Node`` is a variable (``op == "null"``) or an operator call.  Its ``attrs`` are strings, as
MXNet stores them (and writes them to JSON); they are parsed with the operator's schema only
when shapes are inferred or the graph is bound (``strict_attrs``), so defining a symbol with a
bad parameter does not fail until then.  ``inputs`` are entries ``(node, output_index,
version)``: an operator's inputs followed by its auxiliary states.
"""
from ..base import MXNetError
from ..registry import Attrs, get_op, normalize_key

HIDDEN_KEYS = ("ctx_group", "lr_mult", "wd_mult", "force_mirroring", "mirror_stage")

# Outputs MXNet counts but does not show (list_outputs shows the first ones only); they matter
# for the output numbering of JSON files (node_row_ptr).
_TOTAL_OUTPUTS = {"BatchNorm": 3, "BatchNorm_v1": 3, "Dropout": 2, "LRN": 2}

# Counts that size a node's input or output list (Concat's num_args, SliceChannel's
# num_outputs): refused past this before any list is built, so that a hostile value
# ("num_args": "1000000000000000" in a JSON file, or a typo) cannot exhaust memory.
MAX_SLOTS = 1 << 16


def _check_counts(op, name, attrs):
    for key in ("num_args", "num_outputs"):
        n = attrs.get(key)
        if isinstance(n, int) and not 0 <= n <= MAX_SLOTS:
            raise MXNetError(f"{op}: {key}={n} is out of range (0..{MAX_SLOTS}) in symbol "
                             f"'{name}'")

# Initial values MXNet records on auxiliary-state variables (``__init__``), by slot name.
AUX_INIT = {"moving_mean": '["zero", {}]', "moving_var": '["one", {}]'}


def attr_key(key, where):
    """The stored form of a user attribute key: ``lr_mult`` -> ``__lr_mult__`` (as MXNet)."""
    for hidden in HIDDEN_KEYS:
        if key == hidden:
            return f"__{key}__"
        if key.endswith(hidden):
            raise MXNetError(f"{where}: setting variable attributes with {key} is deprecated; "
                             f"use Variable({hidden}=...) and pass it as the input instead")
    return key


def is_hidden(key):
    return len(key) > 4 and key.startswith("__") and key.endswith("__")


class Node:
    __slots__ = ("op", "name", "attrs", "inputs", "version", "saved_outputs", "_parsed")

    def __init__(self, op, name, attrs=None, inputs=None):
        self.op = op                    # "null" or a registry operator name
        self.name = name
        self.attrs = dict(attrs or {})  # str -> str
        self.inputs = list(inputs or [])  # [(Node, index, version)]
        self.version = 0                # bumped each time an op mutates this variable
        self.saved_outputs = None       # output count read from a JSON file, if any
        self._parsed = None

    @property
    def is_variable(self):
        return self.op == "null"

    @property
    def opdef(self):
        return get_op(self.op)

    def params(self):
        """The attributes that are operator parameters (hidden ``__x__`` keys left out)."""
        return {k: v for k, v in self.attrs.items() if not is_hidden(k)}

    def strict_attrs(self):
        """Parameters parsed and validated; MXNetError naming the op, node and parameter."""
        if self._parsed is None:
            try:
                self._parsed = self.opdef.parse_attrs(self.params())
            except MXNetError as exc:
                raise MXNetError(f"{exc} (in symbol '{self.name}')") from None
            except Exception as exc:   # a value no parameter kind expects (1e400, deep nesting)
                raise MXNetError(f"{self.op}: invalid parameter value in symbol '{self.name}': "
                                 f"{type(exc).__name__}") from None
        return self._parsed

    def lenient_attrs(self):
        """Parameters parsed where possible, defaults (or None) elsewhere; never raises."""
        if self._parsed is not None:
            return self._parsed
        op = self.opdef
        attrs = Attrs()
        given = {normalize_key(k): v for k, v in self.params().items()}
        for key, param in op.params.items():
            value = param.default if param.required is False else None
            if key in given:
                try:
                    value = param.parse(op.name, given[key])
                except Exception:
                    pass
            attrs[key] = value
        return attrs

    def invalidate(self):
        self._parsed = None

    def slot_names(self):
        """Names of the input slots then the auxiliary slots (lenient)."""
        op = self.opdef
        attrs = self.lenient_attrs()
        _check_counts(self.op, self.name, attrs)
        try:
            return op.input_names(attrs), op.aux_names(attrs)
        except Exception:   # a callable needing a parameter that is missing or invalid
            n = len(self.inputs)
            ins = list(op.inputs) if not callable(op.inputs) else [f"arg{i}" for i in range(n)]
            aux = list(op.aux) if not callable(op.aux) else []
            return ins, aux

    def output_names(self):
        if self.is_variable:
            return [self.name]
        attrs = self.lenient_attrs()
        _check_counts(self.op, self.name, attrs)
        try:
            return list(self.opdef.output_names(attrs))
        except Exception:
            return ["output"]

    def num_inputs(self):
        """How many of ``inputs`` are operator inputs (the rest are auxiliary states)."""
        return len(self.slot_names()[0])

    def total_outputs(self):
        visible = len(self.output_names())
        if self.saved_outputs is not None and self.saved_outputs >= visible:
            return self.saved_outputs
        return max(visible, _TOTAL_OUTPUTS.get(self.op, visible))


def topo_order(heads):
    """Nodes reachable from ``heads`` (a list of nodes) in depth-first post-order: every node
    after its inputs, inputs visited in order (MXNet's order when it writes JSON)."""
    order, seen = [], set()
    for head in heads:
        if id(head) in seen:
            continue
        stack = [(head, 0)]
        seen.add(id(head))
        while stack:
            node, i = stack[-1]
            if i < len(node.inputs):
                stack[-1] = (node, i + 1)
                child = node.inputs[i][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(node)
    return order


def copy_graph(heads):
    """Deep copy of the graph under ``heads``: {id(old node): new node}."""
    mapping = {}
    for node in topo_order(heads):
        new = Node(node.op, node.name, node.attrs)
        new.inputs = [(mapping[id(n)], i, v) for n, i, v in node.inputs]
        new.version, new.saved_outputs = node.version, node.saved_outputs
        mapping[id(node)] = new
    return mapping


def aux_variables(order):
    """ids of the variable nodes used as auxiliary states by some operator."""
    aux = set()
    for node in order:
        if node.is_variable:
            continue
        n_in = node.num_inputs()
        for entry in node.inputs[n_in:]:
            if entry[0].is_variable:
                aux.add(id(entry[0]))
    return aux
