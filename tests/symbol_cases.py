"""Symbol-building cases run by BOTH real MXNet 1.9.1 and pybridge.

    /tmp/mxnet-ref/bin/python tests/symbol_cases.py   # writes fixtures/mxnet-1.9.1/symbol-cases.json

``tests/test_symbol.py`` builds the same cases with pybridge and compares names, arguments,
outputs, internals, attributes, inferred shapes and the JSON text with what MXNet produced.
This module imports no engine: ``build(mx)`` takes the ``mxnet``-like module to use.
"""
import json
import os


def _record(s, shapes):
    d = {"args": s.list_arguments(), "outs": s.list_outputs(),
         "aux": s.list_auxiliary_states(), "internals": s.get_internals().list_outputs(),
         "json": s.tojson(), "attr_dict": s.attr_dict()}
    if shapes:
        a, o, x = s.infer_shape(**shapes)
        d["shapes"] = [None if v is None else [list(t) for t in v] for v in (a, o, x)]
    return d


def build(mx):
    """{case name: record} for a fixed list of symbols (fresh automatic names)."""
    attr_scope = getattr(mx, "AttrScope", None) or mx.sym.AttrScope
    res = {}
    with mx.name.NameManager() if hasattr(mx, "name") else mx.sym.NameManager():
        data = mx.sym.Variable("data")
        a, b = mx.sym.Variable("a"), mx.sym.Variable("b")

        def rec(key, s, **shapes):
            res[key] = _record(s, shapes)

        rec("arith", (a + b) * 2 - b / 3 + (1 - a) ** 2 + 2 ** b + (-a) + (a > b) + (a != 1.5),
            a=(2, 3))
        rec("concat", mx.sym.Concat(a, b, dim=1), a=(2, 3), b=(2, 4))
        rec("split", mx.sym.SliceChannel(data, num_outputs=2, axis=1, name="sp"), data=(2, 4))
        sp = mx.sym.SliceChannel(data, num_outputs=2, axis=1)
        rec("split_use", sp[0] + sp[1], data=(2, 4))
        rec("bn", mx.sym.BatchNorm(data, fix_gamma=False, eps=1e-3, momentum=0.95),
            data=(2, 3, 4, 4))
        rec("conv", mx.sym.Convolution(data, kernel=(3, 3), stride=(2, 2), pad=(1, 1),
                                       num_filter=8, no_bias=True), data=(2, 3, 9, 9))
        rec("deconv", mx.sym.Deconvolution(data, kernel=(2, 2), stride=(2, 2), num_filter=4),
            data=(2, 3, 5, 5))
        rec("pool", mx.sym.Pooling(data, global_pool=True, pool_type="avg", kernel=(1, 1)),
            data=(2, 3, 5, 5))
        rec("drop", mx.sym.Dropout(data, p=0.3), data=(2, 3))
        rec("leaky", mx.sym.LeakyReLU(data, act_type="leaky", slope=0.1), data=(2, 3))
        rec("emb", mx.sym.Embedding(data, input_dim=10, output_dim=4), data=(2, 3))
        rec("reshape", mx.sym.Reshape(data, shape=(0, -1)), data=(2, 3, 4))
        rec("flatten", mx.sym.Flatten(data), data=(2, 3, 4))
        rec("bcast", mx.sym.broadcast_add(a, b), a=(2, 1), b=(1, 3))
        rec("sum", mx.sym.sum(data, axis=1), data=(2, 3))
        rec("lro", mx.sym.LinearRegressionOutput(mx.sym.FullyConnected(data, num_hidden=1)),
            data=(4, 3))
        rec("softmax_act", mx.sym.SoftmaxActivation(data), data=(4, 3))
        rec("dot", mx.sym.dot(a, b), a=(2, 3), b=(3, 4))
        rec("group", mx.sym.Group([mx.sym.FullyConnected(data, num_hidden=2, name="f"),
                                   mx.sym.Activation(data, act_type="relu")]), data=(2, 3))
        rec("two_bn", mx.sym.BatchNorm(mx.sym.BatchNorm(data, name="bn1"), name="bn2"),
            data=(2, 3))
        with attr_scope(ctx_group="g1", lr_mult="0.5"):
            v = mx.sym.Variable("v")
            f = mx.sym.FullyConnected(v, num_hidden=3, name="fa")
        rec("attr_scope", f, v=(2, 4))
        rec("variable_attrs", mx.sym.Variable("w", shape=(3, 4), lr_mult=2.0, wd_mult=0.5,
                                              dtype="float16", init="zeros",
                                              attr={"mood": "angry"}) * 1)
        rec("unknown_shapes", mx.sym.FullyConnected(data, num_hidden=3) + mx.sym.Variable("p"))
        rec("creation", mx.sym.zeros((2, 3)) + mx.sym.ones((2, 3)) * mx.sym.full((2, 3), 4) +
            mx.sym.arange(0, 3, repeat=2).reshape((2, 3)))
    return res


def summaries(mx, fixtures):
    """{network: mx.viz.print_summary text} for the checkpoint symbols in ``fixtures``."""
    import contextlib
    import io
    out = {}
    for name, shape in (("lenet", (1, 1, 28, 28)), ("resnet18-narrow", (1, 3, 224, 224)),
                        ("mlp", (1, 784))):
        sym = mx.sym.load(os.path.join(fixtures, f"{name}-symbol.json"))
        for key, kwargs in ((name, {"shape": {"data": shape}}), (name + "-noshape", {})):
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                mx.viz.print_summary(sym, **kwargs)
            out[key] = buf.getvalue()
    return out


def plots(mx, fixtures):
    """{network-hide_weights: mx.viz.plot_network(...).source} with shapes on the edges."""
    out = {}
    for name, shape in (("lenet", (1, 1, 28, 28)), ("resnet18-narrow", (1, 3, 224, 224)),
                        ("mlp", (1, 784))):
        sym = mx.sym.load(os.path.join(fixtures, f"{name}-symbol.json"))
        for hide in (True, False):
            dot = mx.viz.plot_network(sym, shape={"data": shape}, hide_weights=hide)
            out[f"{name}-{hide}"] = dot.source
    return out


if __name__ == "__main__":
    import mxnet
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "mxnet-1.9.1",
                       "symbol-cases.json")
    with open(out, "w") as fh:
        json.dump({"mxnet_version": mxnet.__version__, "cases": build(mxnet),
                   "summaries": summaries(mxnet, os.path.dirname(out)),
                   "plots": plots(mxnet, os.path.dirname(out))}, fh, indent=1,
                  sort_keys=True)
    print("wrote", out)
