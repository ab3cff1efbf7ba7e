"""``mx.rnn`` (cells, FusedRNNCell, encode_sentences, BucketSentenceIter, rnn checkpoints) against
MXNet 1.9.1 (tests/fixtures/mxnet-1.9.1/rnn-cells.*, written by tests/make_rnn_cells_reference.py,
whose case builders are shared with this file so both engines build the same cells).

Error bound: relative error by 2-norm, ``RTOL = 1e-5``.  The cells are float32 chains of four
steps of FullyConnected (sums of at most 12 products) and sigmoid/tanh; MXNet (oneDNN) and
NumPy's BLAS sum in different orders, which moves each value by a few float32 ulps (~1e-7
relative) per operation; measured worst cases: 2.1e-7 over every cell forward, 1.7e-7 through
the fused RNN operator, 2.1e-7 on the parameters after 6 training steps.  1e-5 leaves a margin
of ~50 and still catches a wrong gate, weight slice or time order (errors of order 1).
"""
import json
import random
import sys
from pathlib import Path

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError

sys.path.insert(0, str(Path(__file__).parent))
import make_rnn_cells_reference as ref  # noqa: E402  (shares the case builders)

RTOL = 1e-5
FOLDER = Path(__file__).parent / "fixtures" / "mxnet-1.9.1"

@pytest.fixture(scope="module")
def fixture():
    meta = json.loads((FOLDER / "rnn-cells.json").read_text())
    arrays = {k: v.asnumpy() for k, v in mx.nd.load(str(FOLDER / "rnn-cells.nd")).items()}
    return meta, arrays


def _group(arrays, prefix):
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def _rel(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape
    return float(np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-12))


@pytest.mark.parametrize("case", [pytest.param(c, id=ref.case_key(*c)) for c in ref.case_names()])
def test_unrolled_symbol_names_match_mxnet(fixture, case):
    """Every argument, output and internal node is named as MXNet names it."""
    meta, _ = fixture
    want = meta[ref.case_key(*case)]
    name, layout, merge, var = case
    sym, _ = ref.unrolled(mx, ref.cell_cases(mx)[name], layout, merge, var)
    assert sym.list_arguments() == want["arguments"]
    assert sym.list_outputs() == want["outputs"]
    assert sym.get_internals().list_outputs() == want["internals"]


@pytest.mark.parametrize("case", [pytest.param(c, id=ref.case_key(*c)) for c in ref.case_names()])
def test_unrolled_forward_matches_mxnet(fixture, case):
    """infer_shape and inference-mode outputs (outputs, then states) for fixed parameters."""
    meta, arrays = fixture
    key = ref.case_key(*case)
    want = meta[key]
    name, layout, merge, var = case
    sym, _ = ref.unrolled(mx, ref.cell_cases(mx)[name], layout, merge, var)
    arg_shapes, out_shapes, _ = sym.infer_shape(**want["shapes_given"])
    assert [list(s) for s in arg_shapes] == want["arg_shapes"]
    assert [list(s) for s in out_shapes] == want["out_shapes"]
    args = {k: mx.nd.array(v) for k, v in _group(arrays, f"{key}:arg:").items()}
    outs = sym.bind(mx.cpu(), args).forward(is_train=False)
    for i, out in enumerate(outs):
        assert _rel(out.asnumpy(), arrays[f"{key}:out{i}"]) < RTOL, (key, i)


def test_lstm_gradients_match_mxnet(fixture):
    """Training-mode forward and backward (random head gradients on outputs and states)."""
    meta, arrays = fixture
    key = ref.case_key("lstm", "NTC", True, True)
    sym, _ = ref.unrolled(mx, ref.cell_cases(mx)["lstm"], "NTC", True, True)
    args = {k: mx.nd.array(v) for k, v in _group(arrays, f"{key}:arg:").items()}
    grads = {k: mx.nd.zeros(v.shape) for k, v in args.items()}
    exe = sym.bind(mx.cpu(), args, args_grad=grads)
    outs = exe.forward(is_train=True)
    exe.backward([mx.nd.array(arrays[f"{key}:head{i}"]) for i in range(len(outs))])
    want = _group(arrays, f"{key}:grad:")
    assert sorted(want) == sorted(grads)
    for k, g in grads.items():
        assert _rel(g.asnumpy(), want[k]) < RTOL, k


def test_state_info_and_begin_state_names():
    """state_info shapes/layouts and begin-state names follow the cell prefixes, in order."""
    stack = mx.rnn.SequentialRNNCell()
    stack.add(mx.rnn.LSTMCell(4, prefix="a_"))
    stack.add(mx.rnn.GRUCell(3, prefix="b_"))
    assert stack.state_info == [{"shape": (0, 4), "__layout__": "NC"}] * 2 + \
        [{"shape": (0, 3), "__layout__": "NC"}]
    assert [s.name for s in stack.begin_state()] == \
        ["a_begin_state_0", "a_begin_state_1", "b_begin_state_0"]
    fused = mx.rnn.FusedRNNCell(5, num_layers=3, bidirectional=True)
    assert fused.state_shape == [(6, 0, 5), (6, 0, 5)]
    assert fused._parameter.name == "lstm_parameters"


def test_misc_facts_match_mxnet(fixture):
    """FusedRNNCell(get_next_state=True) outputs and their layouts, the weight container's
    order over a stack, ResidualCell's outputs when merge_outputs is None."""
    meta, _ = fixture
    with pytest.warns(UserWarning, match="NTC layout detected"):   # MXNet's advice, kept
        facts = ref.misc_cases(mx)
    assert json.loads(json.dumps(facts)) == meta["misc"]


# ------------------------------------------------------------------ FusedRNNCell
@pytest.mark.parametrize("key", list(ref.fused_cases(mx)))
def test_fused_cell_matches_mxnet(fixture, key):
    """Forward through the RNN operator, unpack_weights, and the unfused stack's names."""
    meta, arrays = fixture
    want = meta[f"fused-{key}"]
    cell = ref.fused_cases(mx)[key]()
    begin = cell.begin_state(func=mx.sym.Variable)
    out, _ = cell.unroll(ref.T, mx.sym.Variable("data"), begin_state=begin, layout="TNC",
                         merge_outputs=True)
    assert out.list_arguments() == want["arguments"]
    assert out.list_outputs() == want["outputs"]
    args = _group(arrays, f"fused-{key}:arg:")
    got = out.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in args.items()}).forward()[0]
    assert _rel(got.asnumpy(), arrays[f"fused-{key}:out0"]) < RTOL
    param = cell._parameter.name
    unpacked = cell.unpack_weights({param: mx.nd.array(args[param])})
    assert sorted(unpacked) == want["unpacked"]
    for k, v in _group(arrays, f"fused-{key}:unpacked:").items():
        assert np.array_equal(unpacked[k].asnumpy(), v), k
    packed = cell.pack_weights(unpacked)
    assert np.array_equal(packed[param].asnumpy(), args[param])
    stack_out, _ = cell.unfuse().unroll(ref.T, mx.sym.Variable("data"), layout="TNC",
                                        merge_outputs=True)
    assert stack_out.list_arguments() == want["unfused_arguments"]


@pytest.mark.parametrize("key", ["lstm-uni", "gru-bi", "rnn_tanh-bi"])
def test_unfused_stack_computes_the_fused_cell(fixture, key):
    """unfuse() + unpack_weights (then the stack's pack_weights) give the fused network as
    stepping cells (same outputs)."""
    _, arrays = fixture
    cell = ref.fused_cases(mx)[key]()
    args = _group(arrays, f"fused-{key}:arg:")
    stack = cell.unfuse()
    begin = stack.begin_state(func=mx.sym.Variable)
    out, _ = stack.unroll(ref.T, mx.sym.Variable("data"), begin_state=begin, layout="TNC",
                          merge_outputs=True)
    feed = stack.pack_weights(cell.unpack_weights(
        {cell._parameter.name: mx.nd.array(args[cell._parameter.name])}))
    feed["data"] = mx.nd.array(args["data"])
    # fused state k is (layers * directions, N, H); each unfused cell takes its row
    fused_states = [args[b] for b in sorted(a for a in args if "begin_state" in a)]
    directions = 2 if cell._bidirectional else 1
    cells = [c for layer in stack._cells for c in getattr(layer, "_cells", [layer])]
    names = iter(b.name for b in begin)
    for row, c in enumerate(cells):
        for k in range(len(c.state_info)):
            feed[next(names)] = mx.nd.array(fused_states[k][row])
    assert len(cells) == 2 * directions
    got = out.bind(mx.cpu(), feed).forward()[0]
    assert _rel(got.asnumpy(), arrays[f"fused-{key}:out0"]) < RTOL


# ------------------------------------------------------------------ weights
@pytest.mark.parametrize("key", ["lstm", "gru", "rnn"])
def test_unpack_and_pack_weights_match_mxnet(fixture, key):
    meta, arrays = fixture
    cell = {"lstm": mx.rnn.LSTMCell(ref.H, prefix="u_"), "gru": mx.rnn.GRUCell(ref.H, prefix="g_"),
            "rnn": mx.rnn.RNNCell(ref.H, prefix="r_")}[key]
    given = {k: mx.nd.array(v) for k, v in _group(arrays, f"unpack-{key}:in:").items()}
    out = cell.unpack_weights(given)
    assert sorted(out) == meta[f"unpack-{key}"]["names"]
    for k, v in _group(arrays, f"unpack-{key}:out:").items():
        assert np.array_equal(out[k].asnumpy(), v), k
    back = cell.pack_weights(out)
    assert sorted(back) == meta[f"unpack-{key}"]["packed_back"]
    for k, v in given.items():
        assert np.array_equal(back[k].asnumpy(), v.asnumpy()), k
    assert sorted(given) == sorted(_group(arrays, f"unpack-{key}:in:"))   # inputs untouched


def test_lstm_bias_initializer_sets_the_forget_gate():
    cell = mx.rnn.LSTMCell(3, prefix="x_", forget_bias=2.5)
    attr = cell.params.get("i2h_bias").attr("__init__")
    arr = mx.nd.ones((12,))
    mx.init.Uniform()(mx.init.InitDesc("x_i2h_bias", {"__init__": attr}), arr)
    assert arr.asnumpy().tolist() == [0.0] * 3 + [2.5] * 3 + [0.0] * 6


def test_fused_initializer_unpacks_to_the_global_rule():
    cell = mx.rnn.FusedRNNCell(3, num_layers=1, mode="lstm", forget_bias=1.5, prefix="q_")
    arr = mx.nd.zeros((4 * 3 * (2 + 3 + 2),))
    desc = mx.init.InitDesc("q_parameters", {"__init__": cell._parameter.attr("__init__")})
    mx.init.One()(desc, arr)
    parts = cell.unpack_weights({"q_parameters": arr})
    assert np.all(parts["q_l0_i2h_f_bias"].asnumpy() == 1.5)
    assert np.all(parts["q_l0_h2h_i_weight"].asnumpy() == 1.0)
    assert np.all(parts["q_l0_i2h_o_bias"].asnumpy() == 0.0)


def test_rnn_checkpoint_round_trip(tmp_path, fixture):
    """save_rnn_checkpoint writes unpacked gates; load_rnn_checkpoint packs them again."""
    _, arrays = fixture
    cell = mx.rnn.LSTMCell(ref.H, prefix="u_")
    given = {k: mx.nd.array(v) for k, v in _group(arrays, "unpack-lstm:in:").items()}
    out, _ = cell.unroll(2, mx.sym.Variable("data"), merge_outputs=True)
    prefix = str(tmp_path / "m")
    callback = mx.rnn.do_rnn_checkpoint(cell, prefix, period=2)
    callback(0, out, given, {})
    assert not (tmp_path / "m-0001.params").exists()
    callback(1, out, given, {})
    saved = mx.nd.load(prefix + "-0002.params")
    assert sorted(saved) == sorted("arg:" + k for k in _group(arrays, "unpack-lstm:out:"))
    sym, arg, aux = mx.rnn.load_rnn_checkpoint([cell], prefix, 2)
    assert sym.list_arguments() == out.list_arguments() and aux == {}
    for k, v in given.items():
        assert np.array_equal(arg[k].asnumpy(), v.asnumpy()), k


# ------------------------------------------------------------------ text
def test_encode_sentences_matches_mxnet(fixture):
    meta, _ = fixture
    enc = meta["encode"]
    got, vocab = mx.rnn.encode_sentences(ref.CORPUS)
    assert [got, vocab] == enc["default"]
    got2, vocab2 = mx.rnn.encode_sentences([["the", "zebra", "cat"], ["yak", "dog"]],
                                           vocab=dict(vocab), unknown_token="<unk>")
    assert [got2, vocab2] == enc["unknown"]
    assert list(mx.rnn.encode_sentences(ref.CORPUS, invalid_label=0, start_label=1)) == \
        enc["start1"]


@pytest.mark.parametrize("mode", ["seeded", "unshuffled"])
@pytest.mark.parametrize("key", list(ref.ITER_CASES))
def test_bucket_sentence_iter_matches_mxnet(fixture, monkeypatch, capsys, mode, key):
    """Buckets, shapes and every batch; shuffling draws as MXNet's (same seeds, same batches)."""
    meta, arrays = fixture
    want = meta[f"iter-{mode}-{key}"]
    if mode == "unshuffled":
        monkeypatch.setattr(random, "shuffle", lambda x: None)
        monkeypatch.setattr(np.random, "shuffle", lambda x: None)
    random.seed(3)
    np.random.seed(3)
    kwargs = {k: (list(v) if isinstance(v, list) else v) for k, v in ref.ITER_CASES[key].items()}
    it = mx.rnn.BucketSentenceIter(ref.iter_corpus(mx), **kwargs)
    assert "WARNING: discarded" in capsys.readouterr().out
    assert it.buckets == want["buckets"]
    assert it.default_bucket_key == want["default_bucket_key"]
    desc = [[d.name, list(d.shape), d.layout] for d in it.provide_data + it.provide_label]
    assert desc == want["provide_data"] + want["provide_label"]
    batches = list(it)
    assert len(batches) == len(want["batches"])
    for i, (b, w) in enumerate(zip(batches, want["batches"])):
        assert b.bucket_key == w["bucket_key"]
        assert [[d.name, list(d.shape), d.layout] for d in b.provide_data] == w["provide_data"]
        assert [[d.name, list(d.shape), d.layout] for d in b.provide_label] == w["provide_label"]
        prefix = f"iter-{mode}-{key}:{i}:"
        assert np.array_equal(b.data[0].asnumpy(), arrays[prefix + "data"])
        assert np.array_equal(b.label[0].asnumpy(), arrays[prefix + "label"])
    it.reset()
    assert it.next().bucket_key == want["first_after_reset"]


# ------------------------------------------------------------------ training
def _train(meta, arrays, sym_gen, extra_data):
    random.seed(11)
    np.random.seed(11)
    sentences, _ = mx.rnn.encode_sentences(ref.CORPUS * 2, invalid_label=0, start_label=1)
    it = mx.rnn.BucketSentenceIter(sentences, ref.TRAIN_BATCH, buckets=list(ref.TRAIN_BUCKETS),
                                   invalid_label=0)
    mod = mx.mod.BucketingModule(sym_gen, default_bucket_key=it.default_bucket_key)
    state_descs = [mx.io.DataDesc(n, (ref.TRAIN_BATCH, ref.HIDDEN)) for n in extra_data]
    mod.bind(data_shapes=it.provide_data + state_descs, label_shapes=it.provide_label)
    init = _group(arrays, "train:init:")
    mod.init_params(arg_params={k: mx.nd.array(v) for k, v in init.items()},
                    aux_params={})
    mod.init_optimizer(optimizer="sgd", optimizer_params=meta["train"]["optimizer_params"])
    zeros = [mx.nd.zeros(d.shape) for d in state_descs]
    for step, key in enumerate(meta["train"]["keys"]):
        batch = it.next()
        assert batch.bucket_key == key
        assert np.array_equal(batch.data[0].asnumpy(), arrays[f"train:step{step}:data"])
        batch = mx.io.DataBatch(batch.data + zeros, batch.label, bucket_key=batch.bucket_key,
                                provide_data=batch.provide_data + state_descs,
                                provide_label=batch.provide_label)
        mod.forward(batch, is_train=True)
        got = mod.get_outputs()[0].asnumpy()
        assert _rel(got, arrays[f"train:step{step}:output"]) < RTOL, step
        mod.backward()
        mod.update()
    final = mod.get_params()[0]
    want = _group(arrays, "train:final:")
    assert sorted(final) == sorted(want)
    return max(_rel(final[k].asnumpy(), v) for k, v in want.items())


def test_lstm_bucketing_training_matches_mxnet(fixture):
    """lstm_bucketing's network (2 stacked LSTMCells, BucketSentenceIter, BucketingModule, SGD
    with momentum) for 6 steps over buckets 3/4: MXNet ran it with its default zero begin
    states; here the begin states are inputs fed with zeros, the same numbers."""
    meta, arrays = fixture
    names = [f"lstm_l{i}_begin_state_{k}" for i in range(2) for k in (0, 1)]
    assert _train(meta, arrays, ref.train_sym_gen(mx, states_as_data=True), names) < RTOL


def test_lstm_bucketing_training_default_begin_state(fixture):
    meta, arrays = fixture
    assert _train(meta, arrays, ref.train_sym_gen(mx), []) < RTOL


# ------------------------------------------------------------------ bad input
def _raises(func, *words):
    with pytest.raises(MXNetError) as info:
        func()
    for word in words:
        assert word in str(info.value), (word, str(info.value))


def test_bad_input_names_function_and_argument():
    r, data = mx.rnn, mx.sym.Variable("data")
    _raises(lambda: r.LSTMCell(0), "LSTMCell", "num_hidden")
    _raises(lambda: r.GRUCell("8"), "GRUCell", "num_hidden")
    _raises(lambda: r.RNNCell(4, activation=3), "RNNCell", "activation")
    _raises(lambda: r.RNNCell(4, prefix=1), "RNNCell", "prefix")
    _raises(lambda: r.LSTMCell(4, params={}), "LSTMCell", "params")
    _raises(lambda: r.LSTMCell(4).unroll(3, None), "LSTMCell.unroll", "inputs")
    _raises(lambda: r.LSTMCell(4).unroll(0, data), "LSTMCell.unroll", "length")
    _raises(lambda: r.LSTMCell(4).unroll(3, data, layout="NCHW"), "LSTMCell.unroll", "layout")
    _raises(lambda: r.LSTMCell(4).unroll(3, [data, data]), "LSTMCell.unroll", "inputs")
    _raises(lambda: r.LSTMCell(4).unroll(2, [data, 5]), "LSTMCell.unroll", "inputs")
    _raises(lambda: r.LSTMCell(4).begin_state(func=3), "LSTMCell.begin_state", "func")
    _raises(lambda: r.DropoutCell(1.5), "DropoutCell", "dropout")
    _raises(lambda: r.ConvRNNCell((1, 2, 5, 5), 3, h2h_kernel=(2, 2)), "ConvRNNCell",
            "h2h_kernel")
    _raises(lambda: r.ConvLSTMCell((1, 2, 5, 5), 0), "ConvLSTMCell", "num_hidden")
    _raises(lambda: r.ZoneoutCell(r.FusedRNNCell(4)), "ZoneoutCell", "base_cell")
    _raises(lambda: r.ZoneoutCell(r.LSTMCell(4), zoneout_states=-0.1), "ZoneoutCell",
            "zoneout_states")
    _raises(lambda: r.ResidualCell("cell"), "ResidualCell", "base_cell")
    _raises(lambda: r.SequentialRNNCell().add(5), "SequentialRNNCell.add", "cell")
    _raises(lambda: r.BidirectionalCell(r.LSTMCell(4), None), "BidirectionalCell", "r_cell")
    _raises(lambda: r.FusedRNNCell(4, mode="lstmx"), "FusedRNNCell", "mode")
    _raises(lambda: r.FusedRNNCell(4, num_layers=0), "FusedRNNCell", "num_layers")
    _raises(lambda: r.LSTMCell(4, prefix="p_").pack_weights({}), "LSTMCell.pack_weights",
            "p_i2h_i_weight")
    _raises(lambda: r.GRUCell(4).unpack_weights([1]), "GRUCell.unpack_weights", "args")
    _raises(lambda: r.FusedRNNCell(4, prefix="f_").unpack_weights(
        {"f_parameters": mx.nd.zeros((7,))}), "FusedRNNCell", "parameter vector")
    _raises(lambda: r.save_rnn_checkpoint(5, "p", 1, data, {}, {}), "save_rnn_checkpoint",
            "cells")
    _raises(lambda: r.encode_sentences("a b c"), "encode_sentences", "sentences")
    _raises(lambda: r.encode_sentences([["a", "b"]], vocab={"a": 0}), "encode_sentences",
            "'b'")
    _raises(lambda: r.BucketSentenceIter([[1, 2]], 0), "BucketSentenceIter", "batch_size")
    _raises(lambda: r.BucketSentenceIter([[1, 2]], 1, layout="NC"), "BucketSentenceIter",
            "layout")
    _raises(lambda: r.BucketSentenceIter([[1, 2, 3]], 1, buckets=[2]), "BucketSentenceIter",
            "buckets")
    stepped = r.LSTMCell(4)
    r.ResidualCell(stepped)
    _raises(lambda: stepped.begin_state(), "LSTMCell.begin_state", "modifier")
