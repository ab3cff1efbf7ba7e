"""Writes tests/fixtures/mxnet-1.9.1/rnn-ops.nd and rnn-ops.json with real MXNet 1.9.1.

Run once with the reference venv (not a test dependency):

    /tmp/mxnet-ref/bin/python tests/make_rnn_reference.py

For each case: a symbol of one operator over Variables, shapes inferred from 'data' alone
(arguments, shapes, outputs go to the JSON), fixed-seed inputs, forward in training mode,
backward with fixed-seed head gradients.  The .nd file holds ``CASE:in:NAME``,
``CASE:head:K``, ``CASE:out:K`` and ``CASE:grad:NAME`` arrays.  Cases MXNet refuses on the CPU
(RNN with use_sequence_length) are recorded with MXNet's error message instead: its native
CPU path refuses the option, and its oneDNN path (the default, MXNET_USE_MKLDNN_RNN=1)
silently ignores 'sequence_length' (outputs identical to full-length sequences), so that case
runs on the native path.  LSTM with projection_size runs in inference only on MXNet's CPU
("training": false in the JSON, outputs only), and its refusal to train is recorded.
"""
import json
import os
import pathlib
import sys

import mxnet as mx
import numpy as np

OUT = pathlib.Path(__file__).parent / "fixtures" / "mxnet-1.9.1"


def rnn_cases():
    for mode in ("rnn_relu", "rnn_tanh", "lstm", "gru"):
        for layers in (1, 2):
            for bi in (False, True):
                yield (f"rnn-{mode}-L{layers}{'-bi' if bi else ''}", "RNN",
                       {"mode": mode, "num_layers": layers, "bidirectional": bi,
                        "state_size": 7, "state_outputs": True}, (6, 4, 5), None)
    for layers, bi in ((1, False), (2, True)):
        yield (f"rnn-lstmp-L{layers}{'-bi' if bi else ''}", "RNN",
               {"mode": "lstm", "num_layers": layers, "bidirectional": bi, "state_size": 7,
                "projection_size": 3, "state_outputs": True}, (6, 4, 5), None)
    yield ("rnn-lstm-L1-len", "RNN", {"mode": "lstm", "num_layers": 1, "state_size": 7,
                                      "state_outputs": True, "use_sequence_length": True},
           (6, 4, 5), [6, 2, 5, 1])


def sequence_cases():
    lengths = [3, 5, 1, 4]
    yield "seqlast", "SequenceLast", {}, (5, 4, 3), None
    yield "seqlast-len", "SequenceLast", {"use_sequence_length": True}, (5, 4, 3), lengths
    yield "seqlast-len-axis1", "SequenceLast", {"use_sequence_length": True, "axis": 1}, \
        (4, 5, 3), lengths
    yield "seqmask", "SequenceMask", {}, (5, 4, 3), None
    yield "seqmask-len", "SequenceMask", {"use_sequence_length": True, "value": -1.5}, \
        (5, 4, 3), lengths
    yield "seqmask-len-axis1", "SequenceMask", {"use_sequence_length": True, "axis": 1}, \
        (4, 5, 3), lengths
    yield "seqreverse", "SequenceReverse", {}, (5, 4, 3), None
    yield "seqreverse-len", "SequenceReverse", {"use_sequence_length": True}, (5, 4, 3), lengths


def build(op, params, with_lengths):
    names = ["data"]
    if op == "RNN":
        names += ["parameters", "state"] + (["state_cell"] if params["mode"] == "lstm" else [])
    if with_lengths:
        names.append("sequence_length")
    return getattr(mx.sym, op)(*[mx.sym.Variable(n) for n in names], **params), names


def run_case(name, op, params, data_shape, lengths, seed, arrays):
    if params.get("projection_size"):
        return run_inference(name, op, params, data_shape, seed, arrays)
    sym, names = build(op, params, lengths is not None)
    shapes = {"data": data_shape}
    if lengths is not None:
        shapes["sequence_length"] = (len(lengths),)
    arg_shapes, out_shapes, _ = sym.infer_shape(data=data_shape)
    meta = {"name": name, "op": op, "params": params, "inputs": names,
            "arguments": sym.list_arguments(), "outputs": sym.list_outputs(),
            "arg_shapes": [list(s) for s in arg_shapes], "out_shapes": [list(s) for s in out_shapes]}
    rng = np.random.default_rng(seed)
    values = {}
    for arg, shape in zip(sym.list_arguments(), arg_shapes):
        if arg == "sequence_length":
            values[arg] = np.array(lengths, np.float32)
        elif arg == "parameters":
            values[arg] = rng.uniform(-0.3, 0.3, shape).astype(np.float32)
        else:
            values[arg] = rng.standard_normal(shape).astype(np.float32)
    heads = [rng.standard_normal(s).astype(np.float32) for s in out_shapes]
    reqs = {a: ("null" if a == "sequence_length" else "write") for a in sym.list_arguments()}
    # oneDNN ignores sequence_length; the native CPU path says what it supports
    os.environ["MXNET_USE_MKLDNN_RNN"] = "0" if lengths is not None and op == "RNN" else "1"
    try:
        exe = sym.simple_bind(mx.cpu(), grad_req=reqs, **{a: v.shape for a, v in values.items()})
        for a, v in values.items():
            exe.arg_dict[a][:] = v
        outs = exe.forward(is_train=True)
        exe.backward([mx.nd.array(h) for h in heads])
        outs = [o.asnumpy() for o in outs]
    except mx.MXNetError as exc:
        lines = [ln for ln in str(exc).splitlines() if ln.startswith("MXNetError:")]
        meta["mxnet_error"] = (lines or [str(exc)])[-1]
        return meta
    for a, v in values.items():
        arrays[f"{name}:in:{a}"] = mx.nd.array(v)
    for k, (h, o) in enumerate(zip(heads, outs)):
        arrays[f"{name}:head:{k}"] = mx.nd.array(h)
        arrays[f"{name}:out:{k}"] = mx.nd.array(o)
    for a in sym.list_arguments():
        if reqs[a] == "write":
            arrays[f"{name}:grad:{a}"] = exe.grad_dict[a].copy()
    return meta


def run_inference(name, op, params, data_shape, seed, arrays):
    """Forward in inference mode only; then what MXNet says when asked to train."""
    sym, names = build(op, params, False)
    arg_shapes, out_shapes, _ = sym.infer_shape(data=data_shape)
    meta = {"name": name, "op": op, "params": params, "inputs": names, "training": False,
            "arguments": sym.list_arguments(), "outputs": sym.list_outputs(),
            "arg_shapes": [list(s) for s in arg_shapes], "out_shapes": [list(s) for s in out_shapes]}
    rng = np.random.default_rng(seed)
    values = {a: (rng.uniform(-0.3, 0.3, s) if a == "parameters" else rng.standard_normal(s))
              for a, s in zip(sym.list_arguments(), arg_shapes)}
    exe = sym.bind(mx.cpu(), {a: mx.nd.array(v) for a, v in values.items()})
    for k, o in enumerate(exe.forward(is_train=False)):
        arrays[f"{name}:out:{k}"] = o.copy()
    for a in values:
        arrays[f"{name}:in:{a}"] = exe.arg_dict[a].copy()
    try:
        grads = {a: mx.nd.zeros(s) for a, s in zip(sym.list_arguments(), arg_shapes)}
        train = sym.bind(mx.cpu(), {a: mx.nd.array(v) for a, v in values.items()}, grads)
        train.forward(is_train=True)
        train.backward([mx.nd.ones(s) for s in out_shapes])
        mx.nd.waitall()
    except mx.MXNetError as exc:
        lines = [ln for ln in str(exc).splitlines() if ln.startswith("MXNetError:")]
        meta["mxnet_train_error"] = (lines or [str(exc)])[-1]
    return meta


def main():
    arrays, cases = {}, []
    for seed, case in enumerate(list(rnn_cases()) + list(sequence_cases())):
        cases.append(run_case(*case, seed=seed, arrays=arrays))
        print(cases[-1]["name"], cases[-1].get("mxnet_error", "ok"), file=sys.stderr)
    mx.nd.save(str(OUT / "rnn-ops.nd"), arrays)
    info = {"mxnet": mx.__version__, "written_by": "tests/make_rnn_reference.py",
            "forward": "is_train=True (p=0: no dropout)", "cases": cases}
    (OUT / "rnn-ops.json").write_text(json.dumps(info, indent=1) + "\n")


if __name__ == "__main__":
    main()
