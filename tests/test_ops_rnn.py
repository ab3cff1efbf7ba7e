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


# ------------------------------------------------------------------ MXNet 1.9.1 fixtures
def _fixture():
    info = json.loads((FIXTURES / "rnn-ops.json").read_text())
    return info["cases"], mx.nd.load(str(FIXTURES / "rnn-ops.nd"))


CASES_1_9_1, ARRAYS_1_9_1 = _fixture()


def _symbol(case):
    return getattr(mx.sym, case["op"])(*[mx.sym.Variable(n) for n in case["inputs"]],
                                       **case["params"])


def rel_errors(got, want):
    """(2-norm of the difference / 2-norm of want, max |difference| / max |want|)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    scale = max(np.abs(want).max(), 1e-30)
    return (np.linalg.norm(got - want) / max(np.linalg.norm(want), 1e-30),
            np.abs(got - want).max() / scale)


# float32 against MXNet's oneDNN kernels (other summation orders): measured at most
# 2.3e-7 (2-norm) and 3.7e-7 (max element) over these cases (the Sequence ops: exactly 0);
# the bounds leave ~10x headroom, while a wrong gate order, layout or reset placement gives
# errors of order 1.
NORM_BOUND, MAX_BOUND = 2e-6, 4e-6


@pytest.mark.parametrize("case", [c for c in CASES_1_9_1 if "mxnet_error" not in c],
                         ids=lambda c: c["name"])
def test_matches_mxnet_forward_and_backward(case):
    name, sym = case["name"], _symbol(case)
    args = {a: ARRAYS_1_9_1[f"{name}:in:{a}"] for a in case["arguments"]}
    reqs = {a: ("null" if a == "sequence_length" else "write") for a in case["arguments"]}
    exe = sym.simple_bind(mx.cpu(), grad_req=reqs, **{a: v.shape for a, v in args.items()})
    for a, v in args.items():
        exe.arg_dict[a][:] = v
    outs = exe.forward(is_train=True)
    exe.backward([ARRAYS_1_9_1[f"{name}:head:{k}"] for k in range(len(outs))])
    pairs = [(f"out{k}", o, ARRAYS_1_9_1[f"{name}:out:{k}"]) for k, o in enumerate(outs)]
    pairs += [(f"grad {a}", exe.grad_dict[a], ARRAYS_1_9_1[f"{name}:grad:{a}"])
              for a in case["arguments"] if reqs[a] == "write"]
    for what, got, want in pairs:
        assert got.shape == want.shape, f"{name} {what}: shape {got.shape} vs {want.shape}"
        norm, top = rel_errors(got.asnumpy(), want.asnumpy())
        assert norm <= NORM_BOUND and top <= MAX_BOUND, f"{name} {what}: {norm:.2e}, {top:.2e}"


@pytest.mark.parametrize("case", CASES_1_9_1, ids=lambda c: c["name"])
def test_infer_shape_from_data_alone_matches_mxnet(case):
    """rnn.graph's Variables get their shapes this way: parameters and states from data."""
    sym = _symbol(case)
    assert sym.list_arguments() == case["arguments"]
    suffix = lambda names: [o.split("_", 1)[1] for o in names]   # automatic names count up
    assert suffix(sym.list_outputs()) == suffix(case["outputs"])
    arg_shapes, out_shapes, aux = sym.infer_shape(data=tuple(case["arg_shapes"][0]))
    assert [list(s) for s in arg_shapes] == case["arg_shapes"]
    assert [list(s) for s in out_shapes] == case["out_shapes"]
    assert aux == []


def test_sequence_length_follows_cudnn_where_mxnet_cpu_refuses():
    """MXNet 1.9.1's CPU RNN refuses use_sequence_length (its oneDNN path ignores the lengths);
    ours runs it with cuDNN's semantics: past its length an item keeps its state and outputs
    zeros, and the reverse direction starts at the item's last valid step.  That equals running
    each item alone on its truncated sequence."""
    (case,) = [c for c in CASES_1_9_1 if "mxnet_error" in c]
    assert "use_sequence_length" in case["mxnet_error"]
    rng = np.random.default_rng(3)
    t, n, c, h = 6, 4, 5, 7
    params = dict(mode="lstm", num_layers=2, bidirectional=True, state_size=h,
                  state_outputs=True)
    size = ref.param_count("lstm", 2, True, c, h)
    x = rng.standard_normal((t, n, c)).astype(np.float32)
    w = rng.uniform(-0.3, 0.3, size).astype(np.float32)
    h0, c0 = (rng.standard_normal((4, n, h)).astype(np.float32) for _ in range(2))
    lengths = np.array([6, 2, 5, 1], np.float32)
    out, hy, cy = mx.nd.RNN(mx.nd.array(x), mx.nd.array(w), mx.nd.array(h0), mx.nd.array(c0),
                            mx.nd.array(lengths), use_sequence_length=True, **params)
    for i, k in enumerate(lengths.astype(int)):
        alone = mx.nd.RNN(mx.nd.array(x[:k, i:i + 1]), mx.nd.array(w),
                          mx.nd.array(h0[:, i:i + 1]), mx.nd.array(c0[:, i:i + 1]), **params)
        np.testing.assert_allclose(out.asnumpy()[:k, i], alone[0].asnumpy()[:, 0], atol=1e-6)
        assert not out.asnumpy()[k:, i].any()
        np.testing.assert_allclose(hy.asnumpy()[:, i], alone[1].asnumpy()[:, 0], atol=1e-6)
        np.testing.assert_allclose(cy.asnumpy()[:, i], alone[2].asnumpy()[:, 0], atol=1e-6)
