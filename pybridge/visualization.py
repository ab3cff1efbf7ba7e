"""``mx.viz``: draw a symbol as a Graphviz graph (``plot_network``) and print a layer summary.

``plot_network`` returns a ``Digraph`` with MXNet's node labels, colours and edge directions;
``.source`` is the DOT text and ``.render(filename)`` runs Graphviz's ``dot`` program (the
Debian package ``graphviz``) to write ``filename.<format>``.  No Python graphviz package needed.
"""
import json
import os
import shutil
import subprocess
import warnings

from .base import MXNetError

_COLORS = ("#8dd3c7", "#fb8072", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69",
           "#fccde5")
_WEIGHT_SUFFIXES = ("_weight", "_bias", "_beta", "_gamma", "_moving_var", "_moving_mean",
                    "_running_var", "_running_mean")
_FORMATS = ("pdf", "png", "svg", "jpg", "jpeg", "gif", "ps", "eps", "dot", "plain", "json")


def _quote(text):
    text = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{text}"'


def _attr_list(attrs):
    return " ".join(f"{k}={_quote(v)}" for k, v in attrs.items())


class Digraph:
    """A directed graph in the DOT language, with the parts of ``graphviz.Digraph`` MXNet uses."""

    def __init__(self, name="plot", format="pdf", node_attr=None):
        if format not in _FORMATS:
            raise MXNetError(f"plot_network: unknown save_format '{format}'; expected one of "
                             f"{', '.join(_FORMATS)}")
        self.name, self.format = name, format
        self.node_attr = dict(node_attr or {})
        self.body = []

    def node(self, name, label=None, **attrs):
        if label is not None:
            attrs = dict(label=label, **attrs)
        self.body.append(f"\t{_quote(name)} [{_attr_list(attrs)}]")

    def edge(self, tail_name, head_name, **attrs):
        self.body.append(f"\t{_quote(tail_name)} -> {_quote(head_name)} [{_attr_list(attrs)}]")

    @property
    def source(self):
        lines = [f"digraph {_quote(self.name)} {{"]
        if self.node_attr:
            lines.append(f"\tnode [{_attr_list(self.node_attr)}]")
        lines.extend(self.body)
        lines.append("}")
        return "\n".join(lines) + "\n"

    def __str__(self):
        return self.source

    def pipe(self, format=None):
        """The rendered graph as bytes."""
        return _run_dot(["-T" + (format or self.format)], self.source.encode("utf-8"))

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None):
        """Write the DOT source to ``filename`` and the drawing to ``filename.<format>``;
        returns the drawing's path."""
        filename = filename or f"{self.name}.gv"
        if directory:
            filename = os.path.join(directory, filename)
        fmt = format or self.format
        if fmt not in _FORMATS:
            raise MXNetError(f"render: unknown format '{fmt}'")
        from .fileio import write_bytes, write_text
        write_text(filename, self.source, where="render")
        out = f"{filename}.{fmt}"
        write_bytes(out, self.pipe(fmt), where="render")
        if cleanup:
            os.remove(filename)
        return out

    def _repr_svg_(self):
        return self.pipe("svg").decode("utf-8")


def _run_dot(args, data):
    exe = shutil.which("dot")
    if exe is None:
        raise MXNetError("plot_network: Graphviz's 'dot' program was not found; install the "
                         "graphviz package (apt-get install graphviz)")
    try:
        proc = subprocess.run([exe] + args, input=data, capture_output=True, timeout=120)
    except subprocess.TimeoutExpired:
        raise MXNetError("render: Graphviz 'dot' did not finish within 120 s") from None
    if proc.returncode != 0:
        raise MXNetError(f"render: Graphviz 'dot' failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout


def _dims(text):
    return [s.strip() for s in text.strip("()[] ").split(",") if s.strip()]


def _label(op, name, attrs):
    """(label, colour) of an operator node, as MXNet draws it."""
    if op == "Convolution":
        kernel = "x".join(_dims(attrs.get("kernel", "")))
        stride = "x".join(_dims(attrs["stride"])) if "stride" in attrs else "1"
        return f"Convolution\n{kernel}/{stride}, {attrs.get('num_filter', '?')}", _COLORS[1]
    if op == "FullyConnected":
        return f"FullyConnected\n{attrs.get('num_hidden', '?')}", _COLORS[1]
    if op == "BatchNorm":
        return name, _COLORS[3]
    if op in ("Activation", "LeakyReLU"):
        default = "Leaky" if op == "LeakyReLU" else "?"
        return f"{op}\n{attrs.get('act_type', default)}", _COLORS[2]
    if op == "Pooling":
        kernel = "x".join(_dims(attrs["kernel"])) if "kernel" in attrs else "[]"
        stride = "x".join(_dims(attrs["stride"])) if "stride" in attrs else "1"
        return f"Pooling\n{attrs.get('pool_type', 'max')}, {kernel}/{stride}", _COLORS[4]
    if op in ("Concat", "Flatten", "Reshape"):
        return name, _COLORS[5]
    if op == "Softmax":
        return name, _COLORS[6]
    return name, _COLORS[7]


def plot_network(symbol, title="plot", save_format="pdf", shape=None, dtype=None,
                 node_attrs=None, hide_weights=True):
    """A ``Digraph`` of ``symbol``: one node per input and operator, edges from each operator
    to its inputs (drawn as data flowing up), labelled with shapes when ``shape`` is given."""
    from .symbol import Symbol
    if not isinstance(symbol, Symbol):
        raise MXNetError("plot_network: symbol must be a Symbol")
    if node_attrs is not None and not isinstance(node_attrs, dict):
        raise MXNetError("plot_network: node_attrs must be a dict")
    internals = symbol.get_internals()
    shape_dict = type_dict = None
    if shape is not None:
        _, out_shapes, _ = internals.infer_shape(**shape)
        if out_shapes is None:
            raise MXNetError("plot_network: input shape is incomplete")
        shape_dict = dict(zip(internals.list_outputs(), out_shapes))
    if dtype is not None:
        _, out_types, _ = internals.infer_type(**dtype)
        if out_types is None:
            raise MXNetError("plot_network: input type is incomplete")
        type_dict = dict(zip(internals.list_outputs(), out_types))
    nodes = json.loads(symbol.tojson())["nodes"]
    names = [n["name"] for n in nodes]
    if len(names) != len(set(names)):
        repeated = sorted({n for n in names if names.count(n) > 1})
        warnings.warn("There are multiple variables with the same name in your graph, this may "
                      "result in cyclic graph. Repeated names: " + ",".join(repeated),
                      RuntimeWarning)
    base = {"shape": "box", "fixedsize": "true", "width": "1.3", "height": "0.8034",
            "style": "filled"}
    base.update(node_attrs or {})
    dot = Digraph(name=title, format=save_format)
    hidden = set()
    for node in nodes:
        op, name, attrs = node["op"], node["name"], node.get("attrs", {})
        style = dict(base)
        if op == "null":
            if name.endswith(_WEIGHT_SUFFIXES):
                if hide_weights:
                    hidden.add(name)
                continue
            style["shape"], style["fillcolor"] = "oval", _COLORS[0]
            label = name
        else:
            label, style["fillcolor"] = _label(op, name, attrs)
        dot.node(name=name, label=label, **style)
    for node in nodes:
        if node["op"] == "null":
            continue
        for entry in node["inputs"]:
            src = nodes[entry[0]]
            if src["name"] in hidden:
                continue
            edge = {"dir": "back", "arrowtail": "open", "label": ""}
            key = src["name"] if src["op"] == "null" else _output_key(src, entry[1], internals)
            if shape_dict is not None and key in shape_dict:
                edge["label"] = "x".join(str(d) for d in shape_dict[key][1:])
            if type_dict is not None and key in type_dict:
                edge["label"] += f"({type_dict[key].__name__})"
            dot.edge(tail_name=node["name"], head_name=src["name"], **edge)
    return dot


def _output_key(node, index, internals):
    names = [n for n in internals.list_outputs() if n.startswith(node["name"] + "_")]
    if len(names) == 1:
        return names[0]
    return f"{node['name']}_output{index}" if f"{node['name']}_output{index}" in names \
        else f"{node['name']}_output"


def _summary_params(node, prev_filters, out_shape):
    """Parameter count of one layer as MXNet's summary counts it (from the input width)."""
    op, attrs = node["op"], node.get("attrs", {})
    if op == "Convolution":
        count = prev_filters * int(attrs["num_filter"]) // int(attrs.get("num_group", "1"))
        for k in _dims(attrs["kernel"]):
            count *= int(k)
        return count + (0 if attrs.get("no_bias") == "True" else int(attrs["num_filter"]))
    if op == "FullyConnected":
        bias = 0 if attrs.get("no_bias") == "True" else 1
        return (prev_filters + bias) * int(attrs["num_hidden"])
    if op == "BatchNorm":
        return 2 * int(out_shape[0]) if out_shape else 0
    if op == "Embedding":
        return int(attrs["input_dim"]) * int(attrs["output_dim"])
    return 0


def print_summary(symbol, shape=None, line_length=120, positions=(.44, .64, .74, 1.)):
    """Print a table of the layers: name (type), output shape, parameter count and previous
    layers, with MXNet's layout and counting rules."""
    from .symbol import Symbol
    if not isinstance(symbol, Symbol):
        raise MXNetError("print_summary: symbol must be a Symbol")
    shape_dict = {}
    if shape is not None:
        internals = symbol.get_internals()
        _, out_shapes, _ = internals.infer_shape(**shape)
        if out_shapes is None:
            raise MXNetError("print_summary: input shape is incomplete")
        shape_dict = dict(zip(internals.list_outputs(), out_shapes))
    doc = json.loads(symbol.tojson())
    nodes = doc["nodes"]
    first_head = set(doc["heads"][0])   # MXNet lists these node ids as layers too
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]

    def row(fields):
        line = ""
        for field, stop in zip(fields, positions):
            line = (line + str(field))[:stop]
            line += " " * (stop - len(line))
        print(line)

    def shape_of(node):
        key = node["name"] if node["op"] == "null" else node["name"] + "_output"
        return list(shape_dict[key][1:]) if key in shape_dict else []

    print("_" * line_length)
    row(["Layer (type)", "Output Shape", "Param #", "Previous Layer"])
    print("=" * line_length)
    total = 0
    for i, node in enumerate(nodes):
        if node["op"] == "null" and i > 0:
            continue
        shown = node["op"] != "null" or i in first_head
        out_shape = shape_of(node) if shown else []
        previous, prev_filters = [], 0
        if node["op"] != "null":
            for entry in node["inputs"]:
                src = nodes[entry[0]]
                if src["op"] != "null" or entry[0] in first_head:
                    previous.append(src["name"])
                    dims = shape_of(src)
                    if dims:
                        prev_filters += int(dims[0])
        params = _summary_params(node, prev_filters, out_shape)
        total += params
        row([f"{node['name']}({node['op']})", "x".join(str(d) for d in out_shape), params,
             previous[0] if previous else ""])
        for name in previous[1:]:
            row(["", "", "", name])
        print(("=" if i == len(nodes) - 1 else "_") * line_length)
    print(f"Total params: {total}")
    print("_" * line_length)
