"""Write tests/fixtures/mxnet-1.9.1/rnn-cells.nd/.json with real MXNet 1.9.1.

    /tmp/mxnet-ref/bin/python tests/make_rnn_cells_reference.py

Not a test: tests/test_rnn_cells.py imports the case builders below so that both engines build
the same cells.  Recorded (arrays in the .nd file, everything else in the .json):

* ``cells``: each cell type (RNN tanh/relu, LSTM, GRU, a Sequential stack with DropoutCell(0),
  Bidirectional, Residual, Dropout(0.5), Zoneout, ConvRNN/ConvLSTM/ConvGRU) unrolled over a
  'data' symbol in both layouts with merge_outputs True/False.  Two variants each: begin
  states as Variables (fed with random values) and MXNet's default begin states (zeros of
  batch size 0, resolved by shape inference).  For each: list_arguments, list_outputs,
  infer_shape, and the inference-mode forward outputs for fixed random parameters and inputs
  (``<case>:arg:<name>``, ``<case>:out<k>``).  One case also has a backward with random head
  gradients (``<case>:grad:<name>``).
* ``fused``: FusedRNNCell (lstm/gru/rnn_tanh, 2 layers, uni/bidirectional) forward, its
  unpacked weights, and what its unfuse() stack lists.
* ``unpack``: LSTM/GRU/RNN unpack_weights names and arrays.
* ``encode``: encode_sentences on a fixed corpus (new vocab; given vocab + unknown_token).
* ``iter``: BucketSentenceIter batches (auto and explicit buckets, NT and TN), once with
  Python's and NumPy's generators seeded and once with shuffling disabled.
* ``train``: lstm_bucketing-style training (Embedding, 2-layer LSTM stack, FC, SoftmaxOutput)
  with BucketingModule and SGD over BucketSentenceIter batches: per-step outputs, final params.
"""
import json
import os
import random

import numpy as np

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "mxnet-1.9.1")
N, T, C, H = 3, 4, 5, 6          # batch, time, input features, hidden units
IMAGE, MAPS = (2, 5, 5), 3       # convolution cells: input (channels, height, width), maps
LAYOUTS = ("NTC", "TNC")


# ------------------------------------------------------------------ cells
def cell_cases(mx):
    """{case name: function building a fresh cell} (fresh: begin-state counters restart)."""
    r = mx.rnn

    def seq():
        s = r.SequentialRNNCell()
        s.add(r.LSTMCell(H, prefix="l0_"))
        s.add(r.DropoutCell(0.0, prefix="d0_"))
        s.add(r.GRUCell(H, prefix="l1_"))
        return s

    return {
        "rnn_tanh": lambda: r.RNNCell(H, activation="tanh", prefix="rnn_"),
        "rnn_relu": lambda: r.RNNCell(H, activation="relu", prefix="rrelu_"),
        "lstm": lambda: r.LSTMCell(H, prefix="lstm_", forget_bias=0.5),
        "gru": lambda: r.GRUCell(H, prefix="gru_"),
        "sequential": seq,
        "bidirectional": lambda: r.BidirectionalCell(r.LSTMCell(H, prefix="bl_"),
                                                     r.GRUCell(H, prefix="br_"),
                                                     output_prefix="bi_"),
        "residual": lambda: r.ResidualCell(r.GRUCell(C, prefix="res_")),
        "dropout": lambda: r.DropoutCell(0.5, prefix="drop_"),
        "zoneout": lambda: r.ZoneoutCell(r.LSTMCell(H, prefix="zo_"), zoneout_outputs=0.3,
                                         zoneout_states=0.4),
        "conv_rnn": lambda: r.ConvRNNCell((N,) + IMAGE, MAPS, prefix="crnn_"),
        "conv_lstm": lambda: r.ConvLSTMCell((N,) + IMAGE, MAPS, prefix="clstm_",
                                            i2h_kernel=(3, 3), h2h_kernel=(3, 1),
                                            activation="tanh"),
        "conv_gru": lambda: r.ConvGRUCell((N,) + IMAGE, MAPS, h2h_dilate=(2, 1)),
    }


def unrolled(mx, make_cell, layout, merge, states_as_variables):
    """(Group of outputs then states, cell) for one unroll over Variable('data'); automatic
    names (concat0, split0...) count from 0 in each case, whatever ran before."""
    with mx.name.NameManager():
        return _unrolled(mx, make_cell, layout, merge, states_as_variables)


def _unrolled(mx, make_cell, layout, merge, states_as_variables):
    cell = make_cell()
    begin = variable_states(mx, cell) if states_as_variables else None
    outputs, states = cell.unroll(T, mx.sym.Variable("data"), begin_state=begin, layout=layout,
                                  merge_outputs=merge)
    outputs = [outputs] if isinstance(outputs, mx.sym.Symbol) else list(outputs)
    return mx.sym.Group(outputs + flatten(states)), cell


def variable_states(mx, cell):
    """Begin states as Variables (modifier cells name the function ``init_sym``)."""
    if isinstance(cell, mx.rnn.ModifierCell):
        return cell.begin_state(init_sym=mx.sym.Variable)
    return cell.begin_state(func=mx.sym.Variable)


def flatten(states):
    """Bidirectional cells return [l_states, r_states]; a flat list of symbols."""
    out = []
    for s in states:
        out.extend(flatten(s) if isinstance(s, list) else [s])
    return out


def case_names():
    for name in ("rnn_tanh", "rnn_relu", "lstm", "gru", "sequential", "bidirectional",
                 "residual", "dropout", "zoneout", "conv_rnn", "conv_lstm", "conv_gru"):
        for layout in LAYOUTS:
            for merge in (True, False):
                for var in (True, False):
                    yield name, layout, merge, var


def case_key(name, layout, merge, var):
    return f"{name}-{layout}-{'merged' if merge else 'steps'}-{'var' if var else 'zeros'}"


def data_shape(layout, name=""):
    step = IMAGE if name.startswith("conv") else (C,)
    return ((N, T) if layout == "NTC" else (T, N)) + step


def state_shape(name, arg):
    """The shape fed to a begin-state Variable of case ``name``."""
    if name.startswith("conv"):
        return (N, MAPS) + IMAGE[1:]
    return (N, C if arg.startswith("res_") else H)


def random_inputs(arg_names, arg_shapes, seed):
    rng = np.random.RandomState(seed)
    return {n: rng.uniform(-1, 1, s).astype(np.float32) for n, s in zip(arg_names, arg_shapes)}


# ------------------------------------------------------------------ fused
def fused_cases(mx):
    return {f"{mode}-{'bi' if bi else 'uni'}": (lambda mode=mode, bi=bi: mx.rnn.FusedRNNCell(
        H, num_layers=2, mode=mode, bidirectional=bi, prefix=f"f{mode}_"))
        for mode in ("lstm", "gru", "rnn_tanh") for bi in (False, True)}


# ------------------------------------------------------------------ text
CORPUS = [s.split() for s in (
    "the cat sat", "a dog ran far away", "the dog sat", "birds fly", "the cat ran away",
    "a cat sat on the mat", "dogs bark", "the bird flew over the old house today",
    "a bird sat", "cats sleep", "the sun is up", "we ran home", "the cat is on the mat",
    "it rains", "a dog is here", "the end")]


def iter_corpus(mx):
    encoded, _ = mx.rnn.encode_sentences(CORPUS, invalid_label=0, start_label=1)
    return encoded


ITER_CASES = {"auto-NT": dict(batch_size=2, buckets=None, layout="NT"),
              "auto-TN": dict(batch_size=2, buckets=None, layout="TN"),
              "given-NT": dict(batch_size=2, buckets=[6, 3, 4], layout="NT", invalid_label=0)}


# ------------------------------------------------------------------ training
VOCAB, EMBED, HIDDEN, TRAIN_BATCH, TRAIN_BUCKETS = 20, 4, 5, 2, [3, 4, 6]


def train_sym_gen(mx, states_as_data=False):
    """lstm_bucketing's sym_gen on a small scale (two stacked LSTMCells).  ``states_as_data``:
    begin states are inputs named as the cells name them (fed with zeros by the caller)."""
    def sym_gen(seq_len):
        data = mx.sym.Variable("data")
        label = mx.sym.Variable("softmax_label")
        embed = mx.sym.Embedding(data=data, input_dim=VOCAB, output_dim=EMBED, name="embed")
        stack = mx.rnn.SequentialRNNCell()
        for i in range(2):
            stack.add(mx.rnn.LSTMCell(num_hidden=HIDDEN, prefix=f"lstm_l{i}_"))
        stack.reset()
        begin = stack.begin_state(func=mx.sym.Variable) if states_as_data else None
        outputs, _ = stack.unroll(seq_len, inputs=embed, begin_state=begin, merge_outputs=True)
        pred = mx.sym.Reshape(outputs, shape=(-1, HIDDEN))
        pred = mx.sym.FullyConnected(data=pred, num_hidden=VOCAB, name="pred")
        label = mx.sym.Reshape(label, shape=(-1,))
        pred = mx.sym.SoftmaxOutput(data=pred, label=label, name="softmax")
        names = ("data",) + tuple(b.name for b in begin) if states_as_data else ("data",)
        return pred, names, ("softmax_label",)
    return sym_gen


TRAIN_OPT = {"learning_rate": 0.5, "momentum": 0.9, "wd": 1e-5}
TRAIN_STEPS = 6


# ------------------------------------------------------------------ writer
def _cells(mx, arrays, meta):
    grads_for = case_key("lstm", "NTC", True, True)
    for name, layout, merge, var in case_names():
        key = case_key(name, layout, merge, var)
        sym, _ = unrolled(mx, cell_cases(mx)[name], layout, merge, var)
        shapes = {"data": data_shape(layout, name)}
        args = sym.list_arguments()
        if var:
            shapes.update({a: state_shape(name, a) for a in args if "begin_state" in a})
        arg_shapes, out_shapes, aux_shapes = sym.infer_shape(**shapes)
        values = random_inputs(args, arg_shapes, seed=len(meta))
        exe = sym.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in values.items()},
                       args_grad={k: mx.nd.zeros(s) for k, s in zip(args, arg_shapes)}
                       if key == grads_for else None)
        outs = exe.forward(is_train=key == grads_for, **{})
        for k, v in values.items():
            arrays[f"{key}:arg:{k}"] = mx.nd.array(v)
        for i, o in enumerate(outs):
            arrays[f"{key}:out{i}"] = o.copy()
        if key == grads_for:
            rng = np.random.RandomState(99)
            heads = [mx.nd.array(rng.uniform(-1, 1, o.shape).astype(np.float32)) for o in outs]
            exe.backward(heads)
            for i, h in enumerate(heads):
                arrays[f"{key}:head{i}"] = h
            for k, g in zip(args, exe.grad_arrays):
                arrays[f"{key}:grad:{k}"] = g.copy()
        meta[key] = {"arguments": args, "outputs": sym.list_outputs(),
                     "internals": sym.get_internals().list_outputs(),
                     "shapes_given": {k: list(v) for k, v in shapes.items()},
                     "arg_shapes": [list(s) for s in arg_shapes],
                     "out_shapes": [list(s) for s in out_shapes]}


def _fused(mx, arrays, meta):
    for key, make in fused_cases(mx).items():
        cell = make()
        begin = cell.begin_state(func=mx.sym.Variable)
        out, states = cell.unroll(T, mx.sym.Variable("data"), begin_state=begin, layout="TNC",
                                  merge_outputs=True)
        shapes = {"data": (T, N, C)}
        shapes.update({b.name: (2 * (1 + cell._bidirectional), N, H) for b in begin})
        arg_shapes, out_shapes, _ = out.infer_shape(**shapes)
        values = random_inputs(out.list_arguments(), arg_shapes, seed=len(meta))
        exe = out.bind(mx.cpu(), {k: mx.nd.array(v) for k, v in values.items()})
        arrays[f"fused-{key}:out0"] = exe.forward()[0].copy()
        for k, v in values.items():
            arrays[f"fused-{key}:arg:{k}"] = mx.nd.array(v)
        param = cell._parameter.name
        unpacked = cell.unpack_weights({param: mx.nd.array(values[param])})
        for k, v in unpacked.items():
            arrays[f"fused-{key}:unpacked:{k}"] = v
        stack = cell.unfuse()
        s_out, _ = stack.unroll(T, mx.sym.Variable("data"), layout="TNC", merge_outputs=True)
        meta[f"fused-{key}"] = {"arguments": out.list_arguments(), "outputs": out.list_outputs(),
                                "arg_shapes": [list(s) for s in arg_shapes],
                                "unpacked": sorted(unpacked),
                                "unfused_arguments": s_out.list_arguments(),
                                "unfused_outputs": s_out.list_outputs()}


def misc_cases(mx):
    """Facts that need no arrays: {name: JSON-able value} (fresh cells and automatic names)."""
    with mx.name.NameManager():
        return _misc(mx)


def _misc(mx):
    out = {}
    for mode in ("lstm", "gru"):
        c = mx.rnn.FusedRNNCell(4, num_layers=2, mode=mode, get_next_state=True, prefix="n_")
        begin = c.begin_state(func=mx.sym.Variable)
        o, s = c.unroll(3, mx.sym.Variable("data"), begin_state=begin, layout="NTC",
                        merge_outputs=False)
        g = mx.sym.Group(o + s)
        shapes = {b.name: (2, 2, 4) for b in begin}
        out[f"next-state-{mode}"] = [g.list_outputs(), [x.attr("__layout__") for x in s],
                                     [list(x) for x in g.infer_shape(data=(2, 3, 5),
                                                                     **shapes)[1]]]
    stack = mx.rnn.SequentialRNNCell()
    for cell in (mx.rnn.LSTMCell(3, prefix="a_"), mx.rnn.GRUCell(3, prefix="b_"),
                 mx.rnn.RNNCell(3, prefix="c_")):
        stack.add(cell)
    out["params-order"] = list(stack.params._params)
    res = mx.rnn.ResidualCell(mx.rnn.GRUCell(3, prefix="g_"))
    o, _ = res.unroll(2, mx.sym.Variable("d"),
                      begin_state=res.begin_state(init_sym=mx.sym.Variable))
    out["residual-default-merge"] = [x.name for x in o]
    return out


def _unpack(mx, arrays, meta):
    rng = np.random.RandomState(5)
    for key, cell in (("lstm", mx.rnn.LSTMCell(H, prefix="u_")),
                      ("gru", mx.rnn.GRUCell(H, prefix="g_")),
                      ("rnn", mx.rnn.RNNCell(H, prefix="r_"))):
        gates = len(cell._gate_names)
        p = cell._prefix
        args = {f"{p}i2h_weight": (gates * H, C), f"{p}i2h_bias": (gates * H,),
                f"{p}h2h_weight": (gates * H, H), f"{p}h2h_bias": (gates * H,),
                "other": (2,)}
        args = {k: mx.nd.array(rng.uniform(-1, 1, s).astype(np.float32)) for k, s in args.items()}
        for k, v in args.items():
            arrays[f"unpack-{key}:in:{k}"] = v
        out = cell.unpack_weights(args)
        for k, v in out.items():
            arrays[f"unpack-{key}:out:{k}"] = v
        meta[f"unpack-{key}"] = {"names": sorted(out),
                                 "packed_back": sorted(cell.pack_weights(out))}


def _text(mx, arrays, meta):
    enc, vocab = mx.rnn.encode_sentences(CORPUS)
    enc2, vocab2 = mx.rnn.encode_sentences([["the", "zebra", "cat"], ["yak", "dog"]],
                                           vocab=dict(vocab), unknown_token="<unk>")
    enc3, vocab3 = mx.rnn.encode_sentences(CORPUS, invalid_label=0, start_label=1)
    meta["encode"] = {"default": [enc, vocab], "unknown": [enc2, vocab2],
                      "start1": [enc3, vocab3]}
    sentences = iter_corpus(mx)
    for mode in ("seeded", "unshuffled"):
        for key, kwargs in ITER_CASES.items():
            random.seed(3)
            np.random.seed(3)
            saved = random.shuffle, np.random.shuffle
            if mode == "unshuffled":
                random.shuffle = np.random.shuffle = lambda x: None
            try:
                it = mx.rnn.BucketSentenceIter(sentences, **{k: (list(v) if isinstance(v, list)
                                                                 else v)
                                                            for k, v in kwargs.items()})
                batches = []
                for i, b in enumerate(it):
                    arrays[f"iter-{mode}-{key}:{i}:data"] = b.data[0].copy()
                    arrays[f"iter-{mode}-{key}:{i}:label"] = b.label[0].copy()
                    batches.append({"bucket_key": b.bucket_key,
                                    "provide_data": [[d.name, list(d.shape), d.layout]
                                                     for d in b.provide_data],
                                    "provide_label": [[d.name, list(d.shape), d.layout]
                                                      for d in b.provide_label]})
                it.reset()
                first_after_reset = it.next().bucket_key
            finally:
                random.shuffle, np.random.shuffle = saved
            meta[f"iter-{mode}-{key}"] = {
                "buckets": list(it.buckets), "default_bucket_key": it.default_bucket_key,
                "provide_data": [[d.name, list(d.shape), d.layout] for d in it.provide_data],
                "provide_label": [[d.name, list(d.shape), d.layout] for d in it.provide_label],
                "batches": batches, "first_after_reset": first_after_reset}


def _train(mx, arrays, meta):
    sentences, _ = mx.rnn.encode_sentences(
        [s for s in CORPUS * 2], invalid_label=0, start_label=1)
    random.seed(11)
    np.random.seed(11)
    it = mx.rnn.BucketSentenceIter(sentences, TRAIN_BATCH, buckets=list(TRAIN_BUCKETS),
                                   invalid_label=0)
    mod = mx.mod.BucketingModule(train_sym_gen(mx), default_bucket_key=it.default_bucket_key,
                                 context=mx.cpu())
    mod.bind(data_shapes=it.provide_data, label_shapes=it.provide_label)
    sym = mod._curr_module.symbol
    arg_shapes, _, _ = sym.infer_shape(data=it.provide_data[0].shape,
                                       softmax_label=it.provide_label[0].shape)
    rng = np.random.RandomState(21)
    init = {n: rng.uniform(-0.5, 0.5, s).astype(np.float32)
            for n, s in zip(sym.list_arguments(), arg_shapes)
            if n not in ("data", "softmax_label")}
    mod.init_params(arg_params={k: mx.nd.array(v) for k, v in init.items()}, aux_params={})
    mod.init_optimizer(optimizer="sgd", optimizer_params=TRAIN_OPT)
    for k, v in init.items():
        arrays[f"train:init:{k}"] = mx.nd.array(v)
    keys = []
    for step in range(TRAIN_STEPS):
        batch = it.next()
        keys.append(batch.bucket_key)
        arrays[f"train:step{step}:data"] = batch.data[0].copy()
        arrays[f"train:step{step}:label"] = batch.label[0].copy()
        mod.forward(batch, is_train=True)
        arrays[f"train:step{step}:output"] = mod.get_outputs()[0].copy()
        mod.backward()
        mod.update()
    for k, v in mod.get_params()[0].items():
        arrays[f"train:final:{k}"] = v.copy()
    meta["train"] = {"keys": keys, "arguments": sym.list_arguments(),
                     "optimizer_params": TRAIN_OPT, "default_bucket_key": it.default_bucket_key}


def main():
    import mxnet as mx
    import warnings
    warnings.simplefilter("ignore")
    arrays, meta = {}, {}
    _cells(mx, arrays, meta)
    _fused(mx, arrays, meta)
    _unpack(mx, arrays, meta)
    _text(mx, arrays, meta)
    meta["misc"] = misc_cases(mx)
    _train(mx, arrays, meta)
    meta["mxnet"] = mx.__version__
    mx.nd.save(os.path.join(HERE, "rnn-cells.nd"), arrays)
    with open(os.path.join(HERE, "rnn-cells.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
