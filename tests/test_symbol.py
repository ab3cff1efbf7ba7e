"""mx.sym: naming, structure, attributes, inference and JSON, against MXNet 1.9.1 fixtures."""
import copy
import json
import pickle

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError

REF = "mxnet-1.9.1"
CHECKPOINTS = [("mlp", 0), ("lenet", 3), ("resnet18-narrow", 0)]


@pytest.fixture(autouse=True)
def _fresh_names():
    with mx.sym.NameManager():
        yield


def _mlp():
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=16, name="fc1")
    act = mx.sym.Activation(fc1, act_type="tanh", name="tanh1")
    fc2 = mx.sym.FullyConnected(act, num_hidden=4, name="fc2")
    return mx.sym.SoftmaxOutput(fc2, name="softmax")


# ---------------------------------------------------------------- naming and structure
def test_automatic_names_count_per_operator():
    data = mx.sym.Variable("data")
    a = mx.sym.FullyConnected(data, num_hidden=3)
    b = mx.sym.Activation(a, act_type="relu")
    c = mx.sym.FullyConnected(b, num_hidden=2)
    d = mx.sym.Convolution(mx.sym.Variable("img"), kernel=(3, 3), num_filter=2)
    assert (a.name, b.name, c.name, d.name) == ("fullyconnected0", "activation0",
                                                "fullyconnected1", "convolution0")
    assert c.list_arguments() == ["data", "fullyconnected0_weight", "fullyconnected0_bias",
                                  "fullyconnected1_weight", "fullyconnected1_bias"]
    assert c.list_outputs() == ["fullyconnected1_output"]
    out = mx.sym.SoftmaxOutput(c)
    assert out.list_arguments()[-1] == "softmaxoutput0_label"


def test_no_bias_and_aux_names():
    data = mx.sym.Variable("data")
    conv = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, no_bias=True, name="c")
    bn = mx.sym.BatchNorm(conv, name="bn")
    assert bn.list_arguments() == ["data", "c_weight", "bn_gamma", "bn_beta"]
    assert bn.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    assert bn.list_inputs() == ["data", "c_weight", "bn_gamma", "bn_beta", "bn_moving_mean",
                                "bn_moving_var"]
    assert bn.list_outputs() == ["bn_output"]
    nodes = json.loads(bn.tojson())["nodes"]
    mean = next(n for n in nodes if n["name"] == "bn_moving_mean")
    assert mean["attrs"]["__init__"] == '["zero", {}]'
    bn_node = next(n for n in nodes if n["name"] == "bn")
    assert [e[2] for e in bn_node["inputs"]] == [0, 0, 0, 1, 1]   # aux are mutated


def test_auto_variables_copy_the_node_attributes_like_mxnet():
    fc = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=7, name="fc")
    nodes = {n["name"]: n for n in json.loads(fc.tojson())["nodes"]}
    assert nodes["fc_weight"]["attrs"] == {"num_hidden": "7"}
    assert "attrs" not in nodes["data"]


def test_arithmetic_names_follow_mxnet():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    assert (a + b).name == "_plus0"
    assert (a - b).name == "_minus0"
    assert (a * b).name == "_mul0"
    assert (a / b).name == "_div0"
    assert (a + 1).name == "_plusscalar0"
    assert (1 - a).name == "_rminusscalar0"
    assert (2 / a).name == "_rdivscalar0"
    assert (-a).name == "_mulscalar0"
    assert (a ** 2).name == "_powerscalar0"
    assert (2 ** a).name == "_rpower_scalar0"
    assert (a > 1).name == "_greater_scalar0"
    ops = {n["name"]: n["op"] for n in json.loads((a + b).tojson())["nodes"]}
    assert ops["_plus1"] == "elemwise_add"
    with pytest.raises(TypeError):
        a + "x"


def test_arithmetic_values_match_numpy():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    x = np.random.uniform(0.5, 2, (3, 4)).astype(np.float32)
    y = np.random.uniform(0.5, 2, (3, 4)).astype(np.float32)
    cases = [(a + b, x + y), (a - b, x - y), (a * b, x * y), (a / b, x / y),
             (a + 2, x + 2), (3 - a, 3 - x), (2 / a, 2 / x), (-a, -x), (a ** 2, x ** 2),
             (2 ** a, 2 ** x), (a % b, np.mod(x, y)), (a > b, (x > y).astype(np.float32)),
             ((a * b + 1) / (a - b * 0.5), (x * y + 1) / (x - y * 0.5)), (abs(-a), x)]
    for sym, expected in cases:
        args = {k: mx.nd.array(v) for k, v in (("a", x), ("b", y)) if k in sym.list_arguments()}
        out = sym.eval(ctx=mx.cpu(), **args)[0].asnumpy()
        np.testing.assert_allclose(out, expected, rtol=1e-6, err_msg=sym.name)


def test_prefix_and_attr_scope():
    with mx.sym.Prefix("net_"):
        fc = mx.sym.FullyConnected(mx.sym.Variable("x"), num_hidden=2)
    assert fc.name == "net_fullyconnected0"
    with mx.sym.AttrScope(ctx_group="dev1"):
        v = mx.sym.Variable("v")
        f = mx.sym.FullyConnected(v, num_hidden=2, name="f")
    assert v.attr("ctx_group") == "dev1" and f.attr("ctx_group") == "dev1"


def test_internals_children_getitem_group():
    sym = _mlp()
    internals = sym.get_internals()
    assert internals.list_outputs() == ["data", "fc1_weight", "fc1_bias", "fc1_output",
                                        "tanh1_output", "fc2_weight", "fc2_bias", "fc2_output",
                                        "softmax_label", "softmax_output"]
    fc1 = internals["fc1_output"]
    assert fc1.name == "fc1" and fc1.list_arguments() == ["data", "fc1_weight", "fc1_bias"]
    assert internals[3].name == "fc1"
    assert sym.get_children().list_outputs() == ["fc2_output", "softmax_label"]
    assert mx.sym.Variable("x").get_children() is None
    g = mx.sym.Group([internals["fc1_output"], sym])
    assert g.list_outputs() == ["fc1_output", "softmax_output"] and len(g) == 2
    assert g.name is None and g[1].name == "softmax"
    assert [s.name for s in g] == ["fc1", "softmax"]
    assert g[0:2].list_outputs() == g.list_outputs()
    with pytest.raises(MXNetError):
        internals["nope"]
    with pytest.raises(IndexError):
        g[5]


def test_multi_output_operator_names():
    parts = mx.sym.SliceChannel(mx.sym.Variable("x"), num_outputs=3, name="split")
    assert parts.list_outputs() == ["split_output0", "split_output1", "split_output2"]
    assert len(parts) == 3 and parts[1].list_outputs() == ["split_output1"]


# ---------------------------------------------------------------- deferred validation
def test_bad_or_missing_parameters_raise_at_inference_not_definition():
    bare = mx.sym.FullyConnected()          # from a slide: must not raise
    assert bare.list_arguments() == ["fullyconnected0_data", "fullyconnected0_weight",
                                     "fullyconnected0_bias"]
    with pytest.raises(MXNetError, match="FullyConnected.*num_hidden"):
        bare.infer_shape(fullyconnected0_data=(2, 3))
    wrong = mx.sym.Activation(pool_type="relu")   # the deck's typo
    with pytest.raises(MXNetError, match="Activation.*pool_type"):
        wrong.infer_shape(activation0_data=(2, 3))
    with pytest.raises(MXNetError, match="Activation.*pool_type"):
        wrong.simple_bind(mx.cpu(), activation0_data=(2, 3))
    bad = mx.sym.Pooling(mx.sym.Variable("x"), kernel=(2, 2), pool_type="maxx")
    with pytest.raises(MXNetError, match="pool_type"):
        bad.infer_shape(x=(1, 1, 4, 4))


def test_parameters_stored_as_mxnet_strings():
    conv = mx.sym.Convolution(mx.sym.Variable("d"), kernel=(5, 5), num_filter=6, no_bias=True,
                              name="c")
    assert conv.list_attr() == {"kernel": "(5, 5)", "num_filter": "6", "no_bias": "True"}
    pool = mx.sym.Pooling(mx.sym.Variable("d"), **{"pool.type": "max", "kernel": [2, 2]})
    assert pool.attr("pool_type") == "max" and pool.attr("kernel") == "[2, 2]"


def test_unknown_input_name_is_an_error():
    with pytest.raises(MXNetError, match="unknown input 'wieght'"):
        mx.sym.FullyConnected(mx.sym.Variable("d"), wieght=mx.sym.Variable("w"), num_hidden=2)


# ---------------------------------------------------------------- variables and attributes
def test_variable_attributes():
    v = mx.sym.Variable("w", shape=(3, 4), lr_mult=2.0, wd_mult=0.5, dtype="float16",
                        init="zeros", attr={"mood": "angry"}, __extra__="1")
    assert v.list_attr() == {"__shape__": "(3, 4)", "__lr_mult__": "2.0", "lr_mult": "2.0",
                             "__wd_mult__": "0.5", "wd_mult": "0.5", "__dtype__": "2",
                             "__init__": "zeros", "mood": "angry", "__extra__": "1"}
    assert v.attr("lr_mult") == "2.0" and v.attr("missing") is None
    with pytest.raises(MXNetError, match="double underscores"):
        mx.sym.Variable("w", foo="1")
    assert mx.sym.var is mx.sym.Variable


def test_variable_shape_and_dtype_attributes_feed_inference():
    x = mx.sym.Variable("x", shape=(2, 5))
    fc = mx.sym.FullyConnected(x, num_hidden=3, name="fc")
    arg, out, aux = fc.infer_shape()
    assert arg == [(2, 5), (3, 5), (3,)] and out == [(2, 3)] and aux == []
    y = mx.sym.Variable("y", dtype="float64")
    assert (y * 2).infer_type()[1] == [np.float64]


def test_set_attr_and_attr_dict():
    a = mx.sym.Variable("a", attr={"a1": "a2"})
    b = mx.sym.Variable("b", attr={"b1": "b2"})
    c = a + b
    c._set_attr(lr_mult="0.1", note="x")
    assert c.attr_dict() == {"a": {"a1": "a2"}, "b": {"b1": "b2"},
                             "_plus0": {"__lr_mult__": "0.1", "lr_mult": "0.1", "note": "x"}}
    with pytest.raises(MXNetError):
        c._set_attr(note=1)
    with pytest.raises(MXNetError, match="deprecated"):
        c._set_attr(weight_lr_mult="1")


# ---------------------------------------------------------------- inference
def test_infer_shape_forward_backward_partial():
    a, b = mx.sym.Variable("a"), mx.sym.Variable("b")
    c = a + b * 2
    assert c.infer_shape(a=(2, 3)) == ([(2, 3), (2, 3)], [(2, 3)], [])   # b filled backward
    assert c.infer_shape((2, 3), None) == ([(2, 3), (2, 3)], [(2, 3)], [])
    sym = _mlp()
    with pytest.warns(UserWarning, match="Cannot decide shape"):
        assert sym.infer_shape() == (None, None, None)
    fc = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=8, name="fc1")
    net = mx.sym.FullyConnected(fc + mx.sym.Variable("prev"), num_hidden=4, name="fc2")
    arg, out, aux = net.infer_shape_partial(data=(10, 64))
    assert arg[:3] == [(10, 64), (8, 64), (8,)] and out == [(10, 4)]
    with pytest.raises(MXNetError, match="keyword argument name nope not found"):
        net.infer_shape(nope=(1, 2))
    with pytest.raises(MXNetError):
        net.infer_shape(data=7)


def test_infer_shape_inconsistency_names_operator():
    fc = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=10, name="fc1")
    with pytest.raises(MXNetError, match="fc1.*weight"):
        fc.infer_shape(data=(1, 100), fc1_weight=(1000, 100))


def test_infer_type():
    sym = _mlp()
    arg, out, aux = sym.infer_type(data="float32")
    assert arg == [np.float32] * 6 and out == [np.float32] and aux == []
    assert mx.sym.Variable("z").infer_type() == (None, None, None)


# ---------------------------------------------------------------- JSON
@pytest.mark.parametrize("name,epoch", CHECKPOINTS)
def test_mxnet_symbol_files_match_meta_and_rewrite_identically(fixtures_dir, name, epoch):
    path = fixtures_dir / REF / f"{name}-symbol.json"
    meta = json.loads((fixtures_dir / REF / f"{name}-meta.json").read_text())
    sym = mx.sym.load(str(path))
    assert sym.list_arguments() == meta["arguments"]
    assert sym.list_auxiliary_states() == meta["auxiliary_states"]
    assert sym.list_outputs() == meta["outputs"]
    assert sym.get_internals().list_outputs() == meta["internal_outputs"]
    arg, out, aux = sym.infer_shape(data=tuple(meta["data_shape"]))
    assert [list(s) for s in arg] == meta["arg_shapes"]
    assert [list(s) for s in out] == meta["out_shapes"]
    assert [list(s) for s in aux] == meta["aux_shapes"]
    assert sym.tojson() == path.read_text()      # byte for byte as MXNet wrote it


def test_legacy_json_upgrades_like_mxnet(fixtures_dir):
    meta = json.loads((fixtures_dir / REF / "legacy-save_000800-meta.json").read_text())
    sym = mx.sym.load(str(fixtures_dir / "mxnet-legacy" / "save_000800.json"))
    assert sym.list_arguments() == meta["arguments"]
    assert sym.list_outputs() == meta["outputs"]
    assert sym.attr_dict() == meta["attr_dict"]
    arg, _, _ = sym.infer_shape(data=(100, 200))
    assert [list(s) for s in arg] == meta["arg_shapes_for_data_100x200"]
    assert json.loads(sym.tojson()) == meta["upgraded_json"]


def test_json_round_trip_of_built_symbol(tmp_path):
    sym = _mlp()
    again = mx.sym.load_json(sym.tojson())
    assert again.tojson() == sym.tojson()
    path = tmp_path / "net-symbol.json"
    sym.save(str(path))
    assert mx.sym.load(str(path)).list_arguments() == sym.list_arguments()
    with pytest.raises(MXNetError, match="cannot read"):
        mx.sym.load(str(tmp_path / "missing.json"))


def test_copy_is_independent_and_pickle_round_trips():
    sym = _mlp()
    dup = copy.deepcopy(sym)
    dup._set_attr(note="copy")
    assert sym.attr("note") is None and dup.attr("note") == "copy"
    assert copy.copy(sym).tojson() == sym.tojson()
    assert pickle.loads(pickle.dumps(sym)).tojson() == sym.tojson()


def test_compose_by_call():
    data = mx.sym.Variable("data")
    net1 = mx.sym.FullyConnected(data=data, name="fc1", num_hidden=10)
    net2 = mx.sym.FullyConnected(name="fc3", num_hidden=10)
    assert net2.list_arguments() == ["fc3_data", "fc3_weight", "fc3_bias"]
    composed = net2(fc3_data=net1, name="composed")
    assert composed.name == "composed"
    assert composed.list_arguments() == ["data", "fc1_weight", "fc1_bias", "fc3_weight",
                                         "fc3_bias"]
    assert net2.list_arguments() == ["fc3_data", "fc3_weight", "fc3_bias"]   # unchanged


def test_fluent_methods():
    x = mx.sym.Variable("x")
    r = x.reshape(shape=(2, -1))
    assert r.infer_shape(x=(2, 3, 4))[1] == [(2, 12)]
    with pytest.raises(AttributeError):
        x.no_such_method


# ---------------------------------------------------------------- mx.viz
def test_plot_network_source_and_render(tmp_path):
    sym = mx.sym.load(str(__import__("pathlib").Path(__file__).parent / "fixtures" / REF /
                          "lenet-symbol.json"))
    dot = mx.viz.plot_network(sym, title="lenet", shape={"data": (1, 1, 28, 28)})
    src = dot.source
    assert src.startswith('digraph "lenet" {')
    assert '"convolution0" [label="Convolution\\n5x5/1, 6"' in src
    assert '"pooling0" [label="Pooling\\nmax, 2x2/2x2"' in src
    assert "convolution0_weight" not in src          # weights hidden by default
    assert '"convolution0" -> "data" [dir="back" arrowtail="open" label="1x28x28"]' in src
    assert '"fullyconnected0" -> "flatten0" [dir="back" arrowtail="open" label="400"]' in src
    shown = mx.viz.plot_network(sym, hide_weights=False).source
    assert '"fullyconnected0" -> "fullyconnected0_weight"' in shown
    import shutil
    if shutil.which("dot"):
        out = dot.render(str(tmp_path / "lenet"))
        assert out.endswith(".pdf") and open(out, "rb").read(4) == b"%PDF"
    with pytest.raises(MXNetError, match="save_format"):
        mx.viz.plot_network(sym, save_format="bmpx")
    with pytest.raises(MXNetError):
        mx.viz.plot_network("not a symbol")


def test_legacy_operator_names_load():
    doc = {"nodes": [{"op": "null", "name": "a", "inputs": []},
                     {"op": "null", "name": "b", "inputs": []},
                     {"op": "_Plus", "name": "p", "inputs": [[0, 0], [1, 0]]},
                     {"op": "_MulScalar", "name": "m", "param": {"scalar": "3"},
                      "inputs": [[2, 0]]}],
           "arg_nodes": [0, 1], "heads": [[3, 0]]}
    sym = mx.sym.load_json(json.dumps(doc))
    ops = [n["op"] for n in json.loads(sym.tojson())["nodes"]]
    assert ops == ["null", "null", "elemwise_add", "_mul_scalar"]
    out = sym.eval(ctx=mx.cpu(), a=mx.nd.array([1, 2]), b=mx.nd.array([3, 5]))[0]
    np.testing.assert_array_equal(out.asnumpy(), [12, 21])


# ---------------------------------------------------------------- side by side with MXNet
def _mxnet_cases():
    path = __import__("pathlib").Path(__file__).parent / "fixtures" / REF / "symbol-cases.json"
    return json.loads(path.read_text())["cases"]


def test_symbol_cases_match_mxnet_exactly():
    """tests/symbol_cases.py built by MXNet 1.9.1 (fixture) and by us: identical records,
    JSON text included."""
    import symbol_cases
    ours = symbol_cases.build(mx)
    ref = _mxnet_cases()
    assert sorted(ours) == sorted(ref)
    for case, expected in ref.items():
        for field, value in expected.items():
            assert ours[case][field] == value, (case, field)


def test_print_summary_matches_mxnet(fixtures_dir):
    import symbol_cases
    path = fixtures_dir / REF / "symbol-cases.json"
    expected = json.loads(path.read_text())["summaries"]
    assert symbol_cases.summaries(mx, str(fixtures_dir / REF)) == expected


def _dot_graph(src):
    """{node: attrs}, [(tail, head, attrs)] from DOT text (quoted or bare ids, \\n or newline)."""
    import re

    def attrs(text):
        out = {}
        for m in re.finditer(r'(\w+)=("((?:[^"\\]|\\.)*)"|[^ \]]+)', text, re.S):
            value = m.group(3) if m.group(3) is not None else m.group(2)
            out[m.group(1)] = value.replace("\\n", "\n")
        return out
    nodes, edges = {}, []
    pattern = r'^\t("?)([^\s"\[]+)\1 (?:-> ("?)([^\s"\[]+)\3 )?\[((?:[^\]"]|"(?:[^"\\]|\\.)*")*)\]'
    for m in re.finditer(pattern, src, re.M | re.S):
        if m.group(4):
            edges.append((m.group(2), m.group(4), attrs(m.group(5))))
        else:
            nodes[m.group(2)] = attrs(m.group(5))
    return nodes, edges


def test_plot_network_matches_mxnet(fixtures_dir):
    import symbol_cases
    expected = json.loads((fixtures_dir / REF / "symbol-cases.json").read_text())["plots"]
    ours = symbol_cases.plots(mx, str(fixtures_dir / REF))
    assert sorted(ours) == sorted(expected)
    for key, src in expected.items():
        ref_nodes, ref_edges = _dot_graph(src)
        assert ref_nodes and ref_edges
        assert _dot_graph(ours[key]) == (ref_nodes, ref_edges), key


def test_name_and_attr_scope_are_public_as_in_mxnet():
    import pybridge as mx
    with mx.name.Prefix("p_"):
        s = mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=3)
    assert s.name == "p_fullyconnected0"
    with mx.AttrScope(ctx_group="dev1"):
        v = mx.sym.Variable("x")
    assert v.attr("ctx_group") == "dev1"
