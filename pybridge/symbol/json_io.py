"""Symbol JSON files: MXNet 1.x format in and out, and the legacy 0.x forms in.

1.x: ``{"nodes": [{"op", "name", "attrs", "inputs": [[id, index, version]...]}...],
"arg_nodes", "node_row_ptr", "heads", "attrs": {"mxnet_version": ["int", 10901]}}``.
Legacy (before 0.9): ``param`` and ``attr`` dicts instead of ``attrs``, two-element inputs,
``backward_source_id``, no auxiliary-state variables, plain ``lr_mult`` style attributes.  Loading
upgrades them as MXNet 1.9.1 does.  Output is formatted as MXNet's JSON writer formats it, so a
file we write reads like one MXNet wrote.  Input from a file is never trusted: every field is
type-checked and a node may only use nodes that come before it (no cycles).
"""
import json

from ..base import MXNetError
from .graph import AUX_INIT, HIDDEN_KEYS, Node, topo_order

MXNET_VERSION = 10901

# Operator names that older MXNet versions wrote into JSON (still aliases in MXNet 1.9.1).
LEGACY_OP_NAMES = {
    "_Plus": "elemwise_add", "_Minus": "elemwise_sub", "_Mul": "elemwise_mul",
    "_Div": "elemwise_div", "_Power": "_power", "_Maximum": "_maximum", "_Minimum": "_minimum",
    "_PlusScalar": "_plus_scalar", "_MinusScalar": "_minus_scalar",
    "_RMinusScalar": "_rminus_scalar", "_MulScalar": "_mul_scalar", "_DivScalar": "_div_scalar",
    "_RDivScalar": "_rdiv_scalar", "_PowerScalar": "_power_scalar",
    "_RPowerScalar": "_rpower_scalar", "_MaximumScalar": "_maximum_scalar",
    "_MinimumScalar": "_minimum_scalar", "ElementWiseSum": "add_n",
}


def _version(major, minor, patch):
    return major * 10000 + minor * 100 + patch


def _fail(msg):
    raise MXNetError(f"load_json: {msg}")


# ------------------------------------------------------------------------------ reading
def _entry(value, where, n_nodes):
    if not isinstance(value, list) or len(value) not in (2, 3) or \
            not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        _fail(f"{where}: an entry must be [node_id, output_index] or "
              f"[node_id, output_index, version], got {value!r}")
    node_id, index = value[0], value[1]
    version = value[2] if len(value) == 3 else 0
    if not 0 <= node_id < n_nodes:
        _fail(f"{where}: node id {node_id} is out of range (must refer to one of the "
              f"{n_nodes} node(s) before it)")
    if index < 0 or version < 0:
        _fail(f"{where}: negative output index or version in {value!r}")
    return node_id, index, version


def _attrs(raw, i):
    attrs = {}
    for field in ("param", "attr", "attrs"):
        value = raw.get(field)
        if value is None:
            continue
        if not isinstance(value, dict):
            _fail(f"node {i}: '{field}' must be an object of strings")
        for key, val in value.items():
            if not isinstance(val, str):
                _fail(f"node {i}: attribute '{key}' must be a string, got {val!r}")
            attrs[key] = val
    return attrs


def parse(text):
    """Heads [(node, index, version)] of the symbol in a JSON text (any MXNet version)."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise MXNetError(f"load_json: expected a JSON string, got {type(text).__name__}")
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise MXNetError(f"load_json: invalid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("nodes"), list):
        _fail("the document must be an object with a 'nodes' list")
    heads_raw = doc.get("heads")
    if not isinstance(heads_raw, list) or not heads_raw:
        _fail("the document must have a non-empty 'heads' list")
    version = _read_version(doc.get("attrs"))
    nodes = []
    for i, raw in enumerate(doc["nodes"]):
        if not isinstance(raw, dict):
            _fail(f"node {i} must be an object")
        op, name = raw.get("op"), raw.get("name")
        if not isinstance(op, str) or not isinstance(name, str):
            _fail(f"node {i}: 'op' and 'name' must be strings")
        if op != "null":
            try:
                from ..registry import get_op
                op = get_op(LEGACY_OP_NAMES.get(op, op)).name
            except MXNetError:
                _fail(f"node {i} ('{name}'): unknown operator '{op}'")
        inputs_raw = raw.get("inputs", [])
        if not isinstance(inputs_raw, list):
            _fail(f"node {i} ('{name}'): 'inputs' must be a list")
        node = Node(op, name, _attrs(raw, i))
        for e in inputs_raw:
            nid, index, ver = _entry(e, f"node {i} ('{name}') input", i)
            node.inputs.append((nodes[nid], index, ver))
        if node.is_variable and node.inputs:
            _fail(f"node {i} ('{name}'): a variable cannot have inputs")
        nodes.append(node)
    _read_row_ptr(doc.get("node_row_ptr"), nodes)
    heads = [_entry(h, "heads", len(nodes)) for h in heads_raw]
    heads = [(nodes[nid], index, ver) for nid, index, ver in heads]
    if version < MXNET_VERSION:
        _upgrade(heads, version)
    _check(heads)
    return heads


def _read_version(attrs):
    if isinstance(attrs, dict) and "mxnet_version" in attrs:
        value = attrs["mxnet_version"]
        if isinstance(value, list) and len(value) == 2 and isinstance(value[1], int):
            return value[1]
        _fail(f"invalid mxnet_version {value!r}")
    return _version(0, 8, 0)


def _read_row_ptr(row_ptr, nodes):
    """Remember each node's output count as the file states it (to write it back alike)."""
    if not isinstance(row_ptr, list) or len(row_ptr) != len(nodes) + 1 or \
            not all(isinstance(v, int) for v in row_ptr):
        return
    for node, start, stop in zip(nodes, row_ptr, row_ptr[1:]):
        if stop - start >= 1 and not node.is_variable:
            node.saved_outputs = stop - start


def _check(heads):
    """Every entry names an existing output and every node has its slots; names are unique."""
    order = topo_order([h[0] for h in heads])
    var_names = {}
    for node in order:
        if node.is_variable:
            if node.name in var_names:
                _fail(f"duplicate variable name '{node.name}'")
            var_names[node.name] = node
            continue
        ins, aux = node.slot_names()
        if len(node.inputs) != len(ins) + len(aux):
            _fail(f"node '{node.name}' ({node.op}) has {len(node.inputs)} input(s), expected "
                  f"{len(ins) + len(aux)} ({', '.join(ins + aux)})")
    for node in order:
        for src, index, _ in node.inputs:
            _check_index(src, index, f"input of '{node.name}'")
    for src, index, _ in heads:
        _check_index(src, index, "heads")


def _check_index(node, index, where):
    limit = node.total_outputs()
    if index >= limit:
        _fail(f"{where}: output {index} of '{node.name}' does not exist "
              f"(it has {limit} output(s))")


# ------------------------------------------------------------------------------ legacy upgrade
def _upgrade(heads, version):
    order = topo_order([h[0] for h in heads])
    for node in order:
        _fix_hidden_keys(node)
    if version < _version(0, 9, 0):
        for node in order:
            if node.is_variable:
                continue
            ins, aux = node.slot_names()
            slots = ins + aux
            for slot in slots[len(node.inputs):]:
                var = Node("null", f"{node.name}_{slot}", node.attrs)
                node.inputs.append((var, 0, 0))
    if version < _version(0, 9, 4):
        for node in order:
            if not node.is_variable:
                set_aux_init(node)
    if version < _version(0, 9, 5):
        for node in order:
            if node.op in ("argmax", "argmin") and node.attrs.get("axis") == "-1":
                del node.attrs["axis"]
                node.invalidate()


def _fix_hidden_keys(node):
    """Legacy ``lr_mult`` -> ``__lr_mult__``; an op's ``weight_lr_mult`` -> its weight's."""
    for key in list(node.attrs):
        for hidden in HIDDEN_KEYS:
            pos = key.rfind(hidden)
            if pos == 0 and key == hidden:
                node.attrs[f"__{hidden}__"] = node.attrs.pop(key)
                break
            if pos > 1 and pos + len(hidden) == len(key) and key[pos - 1] == "_":
                if node.is_variable:
                    break
                slot = key[:pos - 1]
                ins, aux = node.slot_names()
                slots = ins + aux
                if slot in slots:
                    idx = slots.index(slot)
                    if idx < len(node.inputs) and node.inputs[idx][0].is_variable:
                        node.inputs[idx][0].attrs[f"__{hidden}__"] = node.attrs.pop(key)
                break


def set_aux_init(node):
    """MXNet's ``__init__`` on the moving-statistics variables of a normalization op."""
    ins, aux = node.slot_names()
    for slot, entry in zip(ins + aux, node.inputs):
        var = entry[0]
        if slot in AUX_INIT and slot in aux and var.is_variable and "__init__" not in var.attrs:
            var.attrs["__init__"] = AUX_INIT[slot]


# ------------------------------------------------------------------------------ writing
def to_json(heads):
    order = topo_order([h[0] for h in heads])
    ids = {id(n): i for i, n in enumerate(order)}
    nodes, row_ptr = [], [0]
    for node in order:
        item = {"op": node.op, "name": node.name}
        if node.attrs:
            item["attrs"] = dict(sorted(node.attrs.items()))
        item["inputs"] = _Line(_Line([ids[id(n)], i, v]) for n, i, v in node.inputs)
        nodes.append(item)
        row_ptr.append(row_ptr[-1] + node.total_outputs())
    doc = {
        "nodes": nodes,
        "arg_nodes": [i for i, n in enumerate(order) if n.is_variable],
        "node_row_ptr": row_ptr,
        "heads": _Line(_Line([ids[id(n)], i, v]) for n, i, v in heads),
        "attrs": {"mxnet_version": _Line(["int", MXNET_VERSION])},
    }
    out = []
    _write(doc, out, 0)
    return "".join(out)


class _Line(list):
    """A list written on one line."""


def _write(value, out, indent):
    if isinstance(value, dict):
        multi = len(value) > 1 or (indent == 0) or "op" in value
        out.append("{")
        for k, (key, item) in enumerate(value.items()):
            if k:
                out.append(", ")
            if multi:
                out.append("\n" + "  " * (indent + 1))
            out.append(json.dumps(key) + ": ")
            _write(item, out, indent + 1)
        if multi and value:
            out.append("\n" + "  " * indent)
        out.append("}")
    elif isinstance(value, list):
        multi = not isinstance(value, _Line) and (len(value) > 10 or any(
            isinstance(v, dict) for v in value))
        out.append("[")
        for k, item in enumerate(value):
            if k:
                out.append(", ")
            if multi:
                out.append("\n" + "  " * (indent + 1))
            _write(item, out, indent + 1)
        if multi and value:
            out.append("\n" + "  " * indent)
        out.append("]")
    else:
        out.append(json.dumps(value))
