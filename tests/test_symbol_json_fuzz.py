"""Hostile symbol JSON: every input either loads or raises MXNetError, quickly, never hangs."""
import json
import pathlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pybridge as mx
from pybridge.base import MXNetError

REF = "mxnet-1.9.1"


FIXTURES = pathlib.Path(__file__).parent / "fixtures"
_LENET = (FIXTURES / REF / "lenet-symbol.json").read_text()


def _base():
    return json.loads(_LENET)


def _exercise(text):
    """Load and use a symbol; only MXNetError may escape."""
    try:
        sym = mx.sym.load_json(text)
    except MXNetError:
        return "rejected"
    sym.list_arguments()
    sym.list_outputs()
    sym.tojson()
    sym.get_internals().list_outputs()
    try:
        sym.infer_shape_partial(data=(2, 1, 28, 28))
    except MXNetError:
        pass
    return "loaded"


# ---------------------------------------------------------------- explicit hostile cases
def _node(op, name, inputs=(), attrs=None):
    node = {"op": op, "name": name, "inputs": [list(e) for e in inputs]}
    if attrs:
        node["attrs"] = attrs
    return node


def _doc(nodes, heads):
    return json.dumps({"nodes": nodes, "arg_nodes": [], "heads": heads,
                       "attrs": {"mxnet_version": ["int", 10901]}})


CASES = {
    "cycle": _doc([_node("null", "a"), _node("elemwise_add", "p", [(0, 0, 0), (2, 0, 0)]),
                   _node("elemwise_add", "q", [(1, 0, 0), (0, 0, 0)])], [[2, 0, 0]]),
    "self loop": _doc([_node("null", "a"), _node("negative", "n", [(1, 0, 0)])], [[1, 0, 0]]),
    "duplicate variable": _doc([_node("null", "a"), _node("null", "a"),
                                _node("elemwise_add", "p", [(0, 0, 0), (1, 0, 0)])],
                               [[2, 0, 0]]),
    "unknown operator": _doc([_node("null", "a"), _node("NoSuchOp", "x", [(0, 0, 0)])],
                             [[1, 0, 0]]),
    "input id out of range": _doc([_node("null", "a"), _node("negative", "n", [(7, 0, 0)])],
                                  [[1, 0, 0]]),
    "negative id": _doc([_node("null", "a")], [[-1, 0, 0]]),
    "output index out of range": _doc([_node("null", "a"), _node("negative", "n", [(0, 3, 0)])],
                                      [[1, 0, 0]]),
    "head out of range": _doc([_node("null", "a")], [[0, 5, 0]]),
    "wrong input count": _doc([_node("null", "a"), _node("elemwise_add", "p", [(0, 0, 0)])],
                              [[1, 0, 0]]),
    "attrs not strings": _doc([_node("null", "a", attrs={"__shape__": [1, 2]})], [[0, 0, 0]]),
    "inputs not a list": json.dumps({"nodes": [{"op": "null", "name": "a", "inputs": 3}],
                                     "heads": [[0, 0, 0]]}),
    "name not a string": json.dumps({"nodes": [{"op": "null", "name": 5, "inputs": []}],
                                     "heads": [[0, 0, 0]]}),
    "entry of strings": _doc([_node("null", "a"), _node("negative", "n", [("0", "0")])],
                             [[1, 0, 0]]),
    "variable with inputs": _doc([_node("null", "a"), _node("null", "b", [(0, 0, 0)])],
                                 [[1, 0, 0]]),
    "no heads": json.dumps({"nodes": [{"op": "null", "name": "a", "inputs": []}]}),
    "not an object": "[1, 2, 3]",
    "not JSON": "{nodes: oops",
    "deep nesting": "[" * 100000 + "]" * 100000,
    "bad version": json.dumps({"nodes": [], "heads": [[0, 0]],
                               "attrs": {"mxnet_version": "new"}}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_json_is_rejected_with_mxnet_error(case):
    start = time.perf_counter()
    with pytest.raises(MXNetError, match="load_json"):
        mx.sym.load_json(CASES[case])
    assert time.perf_counter() - start < 5


def test_bad_parameter_values_fail_at_inference_not_load():
    text = _doc([_node("null", "data"),
                 _node("FullyConnected", "fc", [(0, 0, 0), (0, 0, 0), (0, 0, 0)],
                       {"num_hidden": "1e400"})], [[1, 0, 0]])
    sym = mx.sym.load_json(text)
    with pytest.raises(MXNetError, match="fc"):
        sym.infer_shape(data=(2, 3))


def test_long_chain_loads_without_recursion():
    n = 20000
    nodes = [_node("null", "x")] + [_node("negative", f"n{i}", [(i, 0, 0)]) for i in range(n)]
    sym = mx.sym.load_json(_doc(nodes, [[n, 0, 0]]))
    assert sym.list_arguments() == ["x"]
    assert sym.infer_shape(x=(2,))[1] == [(2,)]


# ---------------------------------------------------------------- random mutations
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 40) | st.text(max_size=6) |
    st.floats(allow_nan=False, allow_infinity=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8)

_FIELDS = ["op", "name", "attrs", "inputs", "param", "attr"]


@st.composite
def _mutations(draw):
    kinds = st.sampled_from(["set_node_field", "delete_node_field", "set_entry", "set_top",
                             "delete_top", "set_attr", "swap_nodes", "duplicate_name"])
    return draw(st.lists(st.tuples(kinds, st.integers(0, 10 ** 6), st.sampled_from(_FIELDS),
                                   _JSON_VALUES), min_size=1, max_size=4))


def _apply(doc, mutations):
    nodes = doc["nodes"]
    for kind, pick, field, value in mutations:
        node = nodes[pick % len(nodes)]
        if kind == "set_node_field":
            node[field] = value
        elif kind == "delete_node_field":
            node.pop(field, None)
        elif kind == "set_entry":
            if isinstance(node.get("inputs"), list) and node["inputs"]:
                entry = node["inputs"][pick % len(node["inputs"])]
                if isinstance(entry, list) and entry:
                    entry[pick % len(entry)] = value if not isinstance(value, int) else \
                        (value * 7) % 60 - 10
        elif kind == "set_top":
            doc[["heads", "arg_nodes", "node_row_ptr", "attrs"][pick % 4]] = value
        elif kind == "delete_top":
            doc.pop(["heads", "arg_nodes", "node_row_ptr", "attrs", "nodes"][pick % 5], None)
            if "nodes" not in doc:
                return doc
        elif kind == "set_attr":
            attrs = node.setdefault("attrs", {}) if isinstance(node.get("attrs", {}), dict) else {}
            keys = list(attrs) or ["num_hidden"]
            attrs[keys[pick % len(keys)]] = value if isinstance(value, str) else json.dumps(value)
        elif kind == "swap_nodes":
            i, j = pick % len(nodes), (pick // 7) % len(nodes)
            nodes[i], nodes[j] = nodes[j], nodes[i]
        elif kind == "duplicate_name":
            other = nodes[(pick // 3) % len(nodes)]
            if isinstance(other, dict):
                node["name"] = other.get("name")
    return doc


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(mutations=_mutations())
def test_mutated_mxnet_json_loads_or_raises_mxnet_error(mutations):
    doc = _apply(_base(), mutations)
    _exercise(json.dumps(doc))


@settings(max_examples=100, deadline=2000)
@given(value=_JSON_VALUES)
def test_arbitrary_json_values_are_rejected(value):
    with pytest.raises(MXNetError):
        mx.sym.load_json(json.dumps(value))


def test_backward_shape_inference_through_a_long_chain_is_fast():
    x, y = mx.sym.Variable("x"), mx.sym.Variable("y")
    s = x
    for _ in range(3000):
        s = -s
    start = time.perf_counter()
    arg, out, _ = (s + y).infer_shape(y=(2, 3))      # only the end of the chain is known
    assert arg == [(2, 3), (2, 3)] and out == [(2, 3)]
    assert time.perf_counter() - start < 10
