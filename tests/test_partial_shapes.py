"""MXNet 1.x's legacy shape rule: a 0 in a shape is an unknown dimension (zeros((0, H)), a
variable's __shape__), decided by shape inference from the rest of the graph.

The cases run here and, where the reference venv exists, under real MXNet 1.9.1 in a
subprocess; the results must be the same.  Bound graphs are also compared with the same graph
given its zeros as an input (an independent computation of the same numbers).
"""
import json
import os
import subprocess
import textwrap

import numpy as np
import pytest

import pybridge as mx

REF_PYTHON = "/tmp/mxnet-ref/bin/python"

# Each case builds a symbol from mx and returns infer_shape / infer_shape_partial results.
CASES = textwrap.dedent("""
    def cases(mx):
        x = mx.sym.Variable("x")
        z = lambda: mx.sym.zeros(shape=(0, 3))
        fc = lambda d: mx.sym.FullyConnected(d, num_hidden=4, name="fc")
        i2h = mx.sym.FullyConnected(x, num_hidden=4, name="i2h")
        total = mx.sym.sum(z(), axis=0) + mx.sym.Variable("y")
        v = mx.sym.Variable("v", shape=(0, 3))
        return {
            "add": lambda: (x + z()).infer_shape(x=(2, 3)),
            "add_partial": lambda: (x + z()).infer_shape_partial(),
            "fc_partial": lambda: fc(z()).infer_shape_partial(),
            "fc_undecided": lambda: fc(z()).infer_shape(),
            "fc_batch_from_output": lambda: (i2h + fc(z())).infer_shape(x=(5, 7)),
            "sum_undecided": lambda: total.infer_shape(y=(3,)),
            "sum_partial": lambda: total.infer_shape_partial(y=(3,)),
            "variable": lambda: (v + x).infer_shape(x=(4, 3)),
            "variable_fc": lambda: mx.sym.FullyConnected(v, num_hidden=2).infer_shape_partial(),
            "lstm_cell": lambda: mx.rnn.LSTMCell(4, prefix="l_").unroll(
                3, mx.sym.Variable("data"), merge_outputs=True)[0].infer_shape(data=(2, 3, 5)),
            "fused_lstm": lambda: mx.rnn.FusedRNNCell(4, mode="lstm", prefix="f_").unroll(
                3, mx.sym.Variable("data"), layout="TNC",
                merge_outputs=True)[0].infer_shape(data=(3, 2, 5)),
        }


    def run(mx):
        import warnings
        warnings.simplefilter("ignore")
        out = {}
        for name, fn in cases(mx).items():
            res = fn()
            out[name] = None if res[0] is None else [[list(s) for s in g] for g in res]
        return out
""")


def _here():
    namespace = {}
    exec(CASES, namespace)
    return namespace["run"](mx)


@pytest.mark.skipif(not os.path.exists(REF_PYTHON), reason="no MXNet 1.9.1 venv at "
                    "/tmp/mxnet-ref (side-by-side comparison only)")
def test_partial_shapes_as_mxnet():
    script = CASES + "\nimport json, mxnet\nprint(json.dumps(run(mxnet)))\n"
    done = subprocess.run([REF_PYTHON, "-c", script], capture_output=True, text=True,
                          timeout=300, env=dict(os.environ, MXNET_SUBGRAPH_VERBOSE="0"))
    assert done.returncode == 0, done.stderr[-2000:]
    want = json.loads(done.stdout.strip().splitlines()[-1])
    assert _here() == want


def test_partial_results_keep_unknown_dimensions():
    """What MXNet 1.9.1 printed for these cases (also checked live above when it is here)."""
    got = _here()
    assert got["add_partial"] == [[[0, 3]], [[0, 3]], []]
    assert got["fc_partial"] == [[[4, 3], [4]], [[0, 4]], []]
    assert got["fc_undecided"] is None and got["sum_undecided"] is None
    assert got["fc_batch_from_output"][1] == [[5, 4]]


def test_concat_decides_what_mxnet_leaves_unknown():
    """Backward completion here is generic (an input's unknown dimension taken from the
    outputs when one value alone reproduces them); MXNet's Concat leaves this one undecided
    and binding fails there.  The value found is the only consistent one."""
    c = mx.sym.concat(mx.sym.zeros(shape=(0, 3)), mx.sym.Variable("x"), dim=0)
    args, outs, _ = (c + mx.sym.Variable("y")).infer_shape(x=(2, 3), y=(5, 3))
    assert outs == [(5, 3)]
    ex = (c + mx.sym.Variable("y")).simple_bind(mx.cpu(), x=(2, 3), y=(5, 3))
    assert ex.forward()[0].shape == (5, 3)


def _rnn_step(begin):
    x = mx.sym.Variable("x")
    i2h = mx.sym.FullyConnected(x, num_hidden=4, name="i2h")
    h2h = mx.sym.FullyConnected(begin, num_hidden=4, name="h2h")
    return mx.sym.Activation(i2h + h2h, act_type="tanh")


def test_zero_begin_state_computes_as_an_explicit_zero_input():
    rng = np.random.default_rng(0)
    values = {"x": rng.standard_normal((5, 7)), "i2h_weight": rng.standard_normal((4, 7)),
              "i2h_bias": rng.standard_normal(4), "h2h_weight": rng.standard_normal((4, 3)),
              "h2h_bias": rng.standard_normal(4)}
    values = {k: mx.nd.array(v) for k, v in values.items()}
    implicit = _rnn_step(mx.sym.zeros(shape=(0, 3)))
    explicit = _rnn_step(mx.sym.Variable("h"))
    for is_train in (False, True):
        a = implicit.bind(mx.cpu(), dict(values)).forward(is_train=is_train)[0]
        b = explicit.bind(mx.cpu(), dict(values, h=mx.nd.zeros((5, 3)))).forward(
            is_train=is_train)[0]
        np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())


def test_undecided_dimension_is_a_clear_bind_error():
    total = mx.sym.sum(mx.sym.zeros(shape=(0, 3), name="z"), axis=0) + mx.sym.Variable("y")
    with pytest.raises(mx.MXNetError, match=r"bind: the shape \(0, 3\) of 'z' \(_zeros\) has "
                       "unknown"):
        total.simple_bind(mx.cpu(), y=(3,))
    with pytest.raises(mx.MXNetError, match="simple_bind: cannot infer the shape of v"):
        mx.sym.FullyConnected(mx.sym.Variable("v", shape=(0, 3)), num_hidden=2).simple_bind(
            mx.cpu())


def test_conflicting_known_dimensions_still_raise():
    x = mx.sym.Variable("x")
    with pytest.raises(mx.MXNetError, match="Shape inconsistent"):
        (x + mx.sym.zeros(shape=(0, 3))).infer_shape(x=(2, 4))


def test_fused_cell_module_with_default_begin_state():
    """A Module over a FusedRNNCell with MXNet's default begin states (zeros whose batch
    dimension the RNN operator's data decides) binds, initialises (the FusedRNN initializer
    rebuilt from its JSON) and computes as the same cell given zero states explicitly."""
    cell = mx.rnn.FusedRNNCell(4, mode="lstm", prefix="f_")
    data = mx.sym.Variable("data")
    implicit = cell.unroll(3, data, layout="TNC", merge_outputs=True)[0]
    states = [mx.sym.Variable("h0"), mx.sym.Variable("c0")]
    explicit = cell.unroll(3, data, begin_state=states, layout="TNC", merge_outputs=True)[0]
    mod = mx.mod.Module(implicit, data_names=["data"], label_names=None)
    mod.bind(data_shapes=[("data", (3, 2, 5))], for_training=False)
    mod.init_params(mx.init.Xavier())
    params = mod.get_params()[0]
    x = mx.nd.array(np.random.default_rng(1).standard_normal((3, 2, 5)))
    mod.forward(mx.io.DataBatch([x]), is_train=False)
    zeros = {"h0": mx.nd.zeros((1, 2, 4)), "c0": mx.nd.zeros((1, 2, 4))}
    want = explicit.bind(mx.cpu(), dict(params, data=x, **zeros)).forward()[0]
    np.testing.assert_array_equal(mod.get_outputs()[0].asnumpy(), want.asnumpy())
