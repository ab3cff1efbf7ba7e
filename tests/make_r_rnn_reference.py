"""Write the R-package RNN training references with real MXNet 1.9.1.

    /tmp/mxnet-ref/bin/python tests/make_r_rnn_reference.py

Not a test and not imported by tests.  The real MXNet R package could not be installed here;
its ``rnn.graph.unroll``/``rnn.graph`` are R code composing libmxnet operators and its
``mx.model.buckets`` an R loop over executors, so this script builds the same graphs (same
operators, order and names) with MXNet's Python API and drives them the way the R loop does:

* ``mx.io.bucket.iter(buckets, batch.size = 4, shuffle = FALSE)``: the batches of each bucket
  in the order of the bucket list, 4 samples each, a bucket's last batch completed with its
  first samples;
* ``mx.model.buckets``: per batch, the bucket's executor (parameters shared by every bucket)
  runs forward (is_train) and backward, then the R optimizer ``mx.opt.create("sgd",
  learning.rate = 0.1, momentum = 0.9, wd = 1e-4, rescale.grad = 1/4)`` updates each trained
  parameter: one ``sgd_mom_update`` graph per parameter, bound once with zero momentum
  (``RUpdater`` of tests/make_r_training_reference.py), weight decay on every parameter.

Outputs (tests/fixtures/mxnet-1.9.1/train-rnn-rpkg.nd/.json), for each case (``unroll-lstm``:
rnn.graph.unroll one-to-one LSTM with embedding; ``unroll-seq2one``: seq-to-one LSTM with
masking; ``fused-lstm``: rnn.graph one-to-one LSTM, 2 layers):
``CASE:bucketL:data``/``:label`` (engine shapes (samples, L) = R's L x samples matrices),
``CASE:init:NAME``, ``CASE:final:NAME`` after ``rounds`` epochs; the settings in the JSON.
For ``fused-lstm`` also ``CASE:infer:output`` (the loss output of the first batch with the
initial parameters, is_train = False).
"""
import json
import os
import sys

import numpy as np
import mxnet as mx

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_r_training_reference import RUpdater  # noqa: E402

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "mxnet-1.9.1")
CTX = mx.cpu()
BATCH = 4
VOCAB = 6
SETTINGS = {"learning.rate": 0.1, "momentum": 0.9, "wd": 1e-4, "rescale.grad": 1.0 / BATCH}
ROUNDS = 2
_VARS = {}


def var(name):
    """One variable node per name (as the R code creates each once and reuses it)."""
    if name not in _VARS:
        _VARS[name] = mx.sym.Variable(name)
    return _VARS[name]


def lstm_cell(num_hidden, indata, prev, layer, t):
    """rnn.graph.unroll's LSTM step: gates i, transform, forget, output."""
    name = f"t{t}.l{layer}"
    gates = mx.sym.FullyConnected(indata, weight=var(f"l{layer}.i2h.weight"),
                                  bias=var(f"l{layer}.i2h.bias"),
                                  num_hidden=num_hidden * 4, name=name + ".i2h")
    if prev is not None:
        gates = gates + mx.sym.FullyConnected(prev[0],
                                              weight=var(f"l{layer}.h2h.weight"),
                                              bias=var(f"l{layer}.h2h.bias"),
                                              num_hidden=num_hidden * 4, name=name + ".h2h")
    g = mx.sym.split(gates, num_outputs=4, axis=1, squeeze_axis=False, name=name + ".slice")
    i = mx.sym.Activation(g[0], act_type="sigmoid")
    tr = mx.sym.Activation(g[1], act_type="tanh")
    f = mx.sym.Activation(g[2], act_type="sigmoid")
    o = mx.sym.Activation(g[3], act_type="sigmoid")
    c = i * tr if prev is None else f * prev[1] + i * tr
    return o * mx.sym.Activation(c, act_type="tanh"), c


def head(hidden, config, masking, num_decode):
    label = var("label")
    if config == "seq-to-one":
        if masking:
            last = mx.sym.SequenceLast(hidden, sequence_length=var("seq.mask"),
                                       use_sequence_length=True, name="mask")
        else:
            last = mx.sym.SequenceLast(hidden, use_sequence_length=False, name="mask")
        dec = mx.sym.FullyConnected(last, weight=var("cls.weight"),
                                    bias=var("cls.bias"), num_hidden=num_decode,
                                    name="decode")
        return mx.sym.SoftmaxOutput(dec, label, use_ignore=False, ignore_label=-1, name="loss")
    mask = mx.sym.identity(hidden, name="mask")
    mask = mx.sym.swapaxes(mask, dim1=0, dim2=1, name="swap_post")
    mask = mx.sym.reshape(mask, shape=(-1, 0), reverse=True)
    label = mx.sym.reshape(label, shape=(-1,))
    dec = mx.sym.FullyConnected(mask, weight=var("cls.weight"),
                                bias=var("cls.bias"), num_hidden=num_decode,
                                flatten=True, name="decode")
    return mx.sym.SoftmaxOutput(dec, label, use_ignore=False, ignore_label=-1, name="loss")


def unrolled(seq_len, num_hidden, num_embed, num_layers, config, masking):
    data = mx.sym.swapaxes(var("data"), dim1=0, dim2=1, name="swap_pre")
    data = mx.sym.Embedding(data, weight=var("embed.weight"), input_dim=VOCAB,
                            output_dim=num_embed, name="embed")
    steps = mx.sym.split(data, axis=0, num_outputs=seq_len, squeeze_axis=True)
    states = [None] * num_layers
    outs = []
    for t in range(1, seq_len + 1):
        hidden = steps[t - 1]
        for layer in range(1, num_layers + 1):
            states[layer - 1] = lstm_cell(num_hidden, hidden, states[layer - 1], layer, t)
            hidden = states[layer - 1][0]
        outs.append(hidden)
    concat = mx.sym.concat(*outs, dim=0, name="concat")
    concat = mx.sym.reshape(concat, shape=(seq_len, -1, num_hidden), name="rnn_reshape")
    return head(concat, config, masking, VOCAB if config == "one-to-one" else 2)


def fused(num_hidden, num_embed, num_layers):
    data = mx.sym.Embedding(var("data"), weight=var("embed.weight"),
                            input_dim=VOCAB, output_dim=num_embed, name="embed")
    data = mx.sym.swapaxes(data, dim1=0, dim2=1, name="swap_pre")
    rnn = mx.sym.RNN(data=data, parameters=var("rnn.params.weight"),
                     state=var("rnn.state"),
                     state_cell=var("rnn.state.cell"), state_size=num_hidden,
                     num_layers=num_layers, bidirectional=False, mode="lstm",
                     state_outputs=False, p=0.0, name="RNN")
    return head(rnn, "one-to-one", False, VOCAB)


def buckets(rng, lengths, sizes, config):
    out = {}
    for L, n in zip(lengths, sizes):
        data = rng.randint(1, VOCAB, size=(n, L)).astype(np.float32)
        if config == "seq-to-one":
            # right-padded sequences (0 = padding) labelled by whether their last token is odd
            for k in range(n):
                keep = rng.randint(1, L + 1)
                data[k, keep:] = 0
            valid = (data != 0).sum(axis=1)
            label = (data[np.arange(n), valid - 1] % 2).astype(np.float32)
        else:
            label = np.roll(data, -1, axis=1)     # predict the next token
        out[L] = (data, label)
    return out


def batches(bk):
    """mx.io.bucket.iter without shuffle: buckets in order, last batch padded from the start."""
    for L, (data, label) in bk.items():
        n = data.shape[0]
        for b in range(-(-n // BATCH)):
            idx = list(range(b * BATCH, min(n, (b + 1) * BATCH)))
            idx += list(range(BATCH - len(idx)))
            d = data[idx]
            yield L, d, label[idx], (L - (d == 0).sum(axis=1)).astype(np.float32)


def replay(case, build, bk, rng, save):
    syms = {L: build(L) for L in bk}
    first = next(iter(bk))
    shapes = {"data": (BATCH, first), "label": (BATCH,) + bk[first][1].shape[1:]}
    if "seq.mask" in syms[first].list_arguments():
        shapes["seq.mask"] = (BATCH,)
    arg_shapes, _, _ = syms[first].infer_shape(**shapes)
    names = syms[first].list_arguments()
    inputs = {"data", "label", "seq.mask"}
    states = {"rnn.state", "rnn.state.cell"}
    params = {n: mx.nd.array(rng.uniform(-0.3, 0.3, s).astype(np.float32))
              for n, s in zip(names, arg_shapes) if n not in inputs | states}
    trained = sorted(params)
    for n in trained:
        save[f"{case}:init:{n}"] = params[n].copy()
    for L, (data, label) in bk.items():
        save[f"{case}:bucket{L}:data"] = mx.nd.array(data)
        save[f"{case}:bucket{L}:label"] = mx.nd.array(label)
    execs = {}
    for L, sym in syms.items():
        shp = dict(shapes, data=(BATCH, L), label=(BATCH,) + bk[L][1].shape[1:])
        a_shapes, _, _ = sym.infer_shape(**shp)
        args = {n: params[n] if n in params else mx.nd.zeros(s, CTX)
                for n, s in zip(sym.list_arguments(), a_shapes)}
        grads = {n: mx.nd.zeros(args[n].shape, CTX) for n in params if n in args}
        execs[L] = sym.bind(CTX, args, args_grad=grads,
                            grad_req={n: "write" if n in params else "null" for n in args})
    if case == "fused-lstm":
        L, d, lab, _ = next(batches(bk))
        ex = execs[L]
        ex.arg_dict["data"][:] = d
        ex.arg_dict["label"][:] = lab
        ex.forward(is_train=False)
        save[f"{case}:infer:output"] = ex.outputs[0].copy()
    updater = RUpdater("sgd", SETTINGS, [params[n].shape for n in trained])
    nsteps = 0
    for _ in range(ROUNDS):
        for L, d, lab, mask in batches(bk):
            ex = execs[L]
            ex.arg_dict["data"][:] = d
            ex.arg_dict["label"][:] = lab
            if "seq.mask" in ex.arg_dict:
                ex.arg_dict["seq.mask"][:] = mask
            ex.forward(is_train=True)
            ex.backward()
            new = updater([params[n] for n in trained], [ex.grad_dict[n] for n in trained])
            for n, w in zip(trained, new):
                params[n][:] = w
            nsteps += 1
    for n in trained:
        save[f"{case}:final:{n}"] = params[n].copy()
    return {"buckets": {str(L): int(v[0].shape[0]) for L, v in bk.items()},
            "trained": trained, "steps": nsteps}


def main():
    rng = np.random.RandomState(7)
    save, meta = {}, {"batch_size": BATCH, "vocab": VOCAB, "optimizer": "sgd",
                      "settings": SETTINGS, "rounds": ROUNDS, "cases": {}}
    cases = {
        "unroll-lstm": (dict(config="one-to-one", masking=False, num_hidden=5, num_embed=3,
                             num_layers=1), [3, 5], [10, 6]),
        "unroll-seq2one": (dict(config="seq-to-one", masking=True, num_hidden=5, num_embed=3,
                                num_layers=2), [4, 6], [9, 5]),
    }
    for case, (cfg, lengths, sizes) in cases.items():
        bk = buckets(rng, lengths, sizes, cfg["config"])
        build = (lambda c: lambda L: unrolled(L, c["num_hidden"], c["num_embed"],
                                              c["num_layers"], c["config"], c["masking"]))(cfg)
        meta["cases"][case] = dict(cfg, **replay(case, build, bk, rng, save))
    cfg = dict(config="one-to-one", masking=False, num_hidden=4, num_embed=3, num_layers=2)
    bk = buckets(rng, [3, 5], [6, 5], "one-to-one")
    build = lambda L: fused(cfg["num_hidden"], cfg["num_embed"], cfg["num_layers"])  # noqa
    meta["cases"]["fused-lstm"] = dict(cfg, **replay("fused-lstm", build, bk, rng, save))
    meta["mxnet"] = mx.__version__
    mx.nd.save(os.path.join(HERE, "train-rnn-rpkg.nd"), save)
    with open(os.path.join(HERE, "train-rnn-rpkg.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
    print("wrote", len(save), "arrays:", {c: m["steps"] for c, m in meta["cases"].items()})


if __name__ == "__main__":
    main()
