"""Write tests/fixtures/mxnet-1.9.1/training-components.json with real MXNet 1.9.1.

    /tmp/mxnet-ref/bin/python tests/make_training_reference.py

(the reference environment comes from tools/mxnet-reference.sh).  Not a test and not
imported by tests: it records what MXNet computes for optimizer steps, metrics and learning
rate schedules on fixed inputs; tests/test_training_components.py compares the engine to it.
"""
import json
import os

import numpy as np
import mxnet as mx

OUT = os.path.join(os.path.dirname(__file__), "fixtures", "mxnet-1.9.1",
                   "training-components.json")

OPTIMIZERS = {
    "sgd": ("sgd", dict(learning_rate=0.1)),
    "sgd_wd_clip": ("sgd", dict(learning_rate=0.1, wd=0.01, clip_gradient=0.5)),
    "sgd_momentum": ("sgd", dict(learning_rate=0.1, momentum=0.9, wd=0.01, clip_gradient=0.5,
                                 rescale_grad=0.25)),
    "nag": ("nag", dict(learning_rate=0.05, momentum=0.8, wd=0.01)),
    "nag_clip": ("nag", dict(learning_rate=0.05, momentum=0.8, wd=0.01, clip_gradient=0.5)),
    "adam": ("adam", dict(learning_rate=0.01, wd=0.01, clip_gradient=0.5, rescale_grad=0.25)),
    "adam_default": ("adam", dict()),
    "rmsprop": ("rmsprop", dict(learning_rate=0.002, wd=0.01)),
    "rmsprop_centered": ("rmsprop", dict(learning_rate=0.002, centered=True, clip_gradient=0.5,
                                         clip_weights=0.9)),
    "adagrad": ("adagrad", dict(learning_rate=0.1, wd=0.01, clip_gradient=0.5)),
    "adadelta": ("adadelta", dict(wd=0.01, rescale_grad=0.5)),
    "signum": ("signum", dict(learning_rate=0.01, momentum=0.9, wd=0.01, wd_lh=0.05,
                              clip_gradient=0.5)),
    "signsgd": ("signum", dict(learning_rate=0.01, momentum=0.0, wd=0.01)),
    "ftrl": ("ftrl", dict(lamda1=0.01, learning_rate=0.1, beta=1, wd=0.01, clip_gradient=2.0)),
    "adamax": ("adamax", dict(wd=0.01, clip_gradient=1.0)),
    "nadam": ("nadam", dict(learning_rate=0.01, wd=0.01, rescale_grad=0.5)),
}


def optimizers():
    rng = np.random.RandomState(1)
    w0 = rng.uniform(-1, 1, (5, 4)).astype(np.float32)
    grads = [rng.uniform(-3, 3, (5, 4)).astype(np.float32) for _ in range(4)]
    out = {"weight": w0.tolist(), "grads": [g.tolist() for g in grads], "cases": {}}
    for key, (name, kw) in OPTIMIZERS.items():
        upd = mx.optimizer.get_updater(mx.optimizer.create(name, **kw))
        w = mx.nd.array(w0)
        for g in grads:
            upd(0, mx.nd.array(g), w)
        out["cases"][key] = {"name": name, "kwargs": kw, "final": w.asnumpy().tolist()}
    return out


def metrics():
    rng = np.random.RandomState(2)
    batches = []
    for n in (6, 9, 5):
        pred = rng.rand(n, 4).astype(np.float32)
        pred /= pred.sum(axis=1, keepdims=True)
        batches.append({"label": rng.randint(0, 4, n).astype(np.float32).tolist(),
                        "pred": pred.tolist()})
    binary = []
    for n in (8, 7):
        binary.append({"label": rng.randint(0, 2, n).astype(np.float32).tolist(),
                       "pred": rng.rand(n, 2).astype(np.float32).tolist()})
    regression = []
    for n in (4, 7):
        regression.append({"label": rng.rand(n).astype(np.float32).tolist(),
                           "pred": rng.rand(n, 1).astype(np.float32).tolist()})
    specs = {"acc": ("acc", {}, batches), "top_k_acc": ("top_k_accuracy", {"top_k": 2}, batches),
             "ce": ("ce", {}, batches), "nll_loss": ("nll_loss", {}, batches),
             "perplexity": ("perplexity", {"ignore_label": None}, batches),
             "perplexity_ignore": ("perplexity", {"ignore_label": 1}, batches),
             "f1": ("f1", {}, binary), "f1_micro": ("f1", {"average": "micro"}, binary),
             "mcc": ("mcc", {}, binary), "mcc_micro": ("mcc", {"average": "micro"}, binary),
             "pearsonr": ("pearsonr", {}, [{"label": b["label"], "pred": [v[0] for v in b["pred"]]}
                                           for b in regression]),
             "mse": ("mse", {}, regression), "rmse": ("rmse", {}, regression),
             "mae": ("mae", {}, regression), "loss": ("loss", {}, regression)}
    out = {}
    for key, (name, kw, data) in specs.items():
        m = mx.metric.create(name, **kw)
        for b in data:
            m.update([mx.nd.array(b["label"])], [mx.nd.array(b["pred"])])
        got_name, value = m.get()
        out[key] = {"name": name, "kwargs": kw, "batches": data, "result": [got_name, value]}
    return out


def schedulers():
    out = {}
    f = mx.lr_scheduler.FactorScheduler(step=3, factor=0.5, stop_factor_lr=0.1, base_lr=1.0)
    out["factor"] = {"kwargs": dict(step=3, factor=0.5, stop_factor_lr=0.1, base_lr=1.0),
                     "lr": [f(n) for n in range(0, 20)]}
    m = mx.lr_scheduler.MultiFactorScheduler(step=[2, 5, 9], factor=0.3, base_lr=2.0)
    out["multifactor"] = {"kwargs": dict(step=[2, 5, 9], factor=0.3, base_lr=2.0),
                          "lr": [m(n) for n in range(0, 15)]}
    kw = dict(max_update=20, base_lr=1.0, pwr=2, final_lr=0.1, warmup_steps=4,
              warmup_begin_lr=0.2)
    p = mx.lr_scheduler.PolyScheduler(**kw)
    out["poly"] = {"kwargs": kw, "lr": [p(n) for n in range(0, 25)]}
    kw = dict(max_update=12, base_lr=0.5, final_lr=0.05, warmup_steps=2,
              warmup_mode="constant", warmup_begin_lr=0.1)
    c = mx.lr_scheduler.CosineScheduler(**kw)
    out["cosine"] = {"kwargs": kw, "lr": [c(n) for n in range(0, 16)]}
    return out


def module_fit_run(out_prefix):
    """Module.fit for 3 epochs (SGD + momentum, padded last batch, acc + ce, validation):
    initial params, data, per-epoch metric values and final params."""
    mx.random.seed(0)
    rng = np.random.RandomState(3)
    x = rng.randn(100, 20).astype(np.float32)
    y = rng.randint(0, 4, 100).astype(np.float32)
    xv = rng.randn(40, 20).astype(np.float32)
    yv = rng.randint(0, 4, 40).astype(np.float32)
    data = mx.sym.Variable("data")
    net = mx.sym.FullyConnected(data, num_hidden=16, name="fc1")
    net = mx.sym.Activation(net, act_type="tanh", name="tanh1")
    net = mx.sym.FullyConnected(net, num_hidden=4, name="fc2")
    net = mx.sym.SoftmaxOutput(net, name="softmax")
    mod = mx.mod.Module(net)
    train = mx.io.NDArrayIter(x, y, batch_size=32)               # 4 batches, last padded by 28
    val = mx.io.NDArrayIter(xv, yv, batch_size=32)
    mod.bind(train.provide_data, train.provide_label)
    mod.init_params(mx.init.Xavier(magnitude=2.0))
    init_args, _ = mod.get_params()
    init_args = {k: v.copy() for k, v in init_args.items()}
    history = {"train": [], "validation": []}

    def epoch_end(epoch, sym, arg, aux):
        history["train"].append(train_metric.get_global_name_value())

    train_metric = mx.metric.create(["acc", "ce"])
    optimizer_params = {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.001}
    mod.fit(train, eval_data=val, eval_metric=train_metric, num_epoch=3,
            optimizer="sgd", optimizer_params=optimizer_params, epoch_end_callback=epoch_end,
            eval_end_callback=lambda p: history["validation"].append(
                p.eval_metric.get_name_value()))
    final_args, _ = mod.get_params()
    arrays = {"data": mx.nd.array(x), "label": mx.nd.array(y), "val_data": mx.nd.array(xv),
              "val_label": mx.nd.array(yv)}
    arrays.update({"init:" + k: v for k, v in init_args.items()})
    arrays.update({"final:" + k: v for k, v in final_args.items()})
    mx.nd.save(out_prefix + ".nd", arrays)
    meta = {"written_by": "MXNet " + mx.__version__ + " (tests/make_training_reference.py)",
            "batch_size": 32, "num_epoch": 3, "optimizer": "sgd",
            "optimizer_params": optimizer_params, "eval_metric": ["acc", "ce"],
            "history": history, "symbol": json.loads(net.tojson())}
    with open(out_prefix + ".json", "w") as f:
        json.dump(meta, f, indent=1)
    print("wrote", out_prefix + ".{nd,json}")


if __name__ == "__main__":
    doc = {"written_by": "MXNet " + mx.__version__ + " (tests/make_training_reference.py)",
           "optimizers": optimizers(), "metrics": metrics(), "schedulers": schedulers()}
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
    print("wrote", OUT)
    module_fit_run(os.path.join(os.path.dirname(OUT), "train-module-fit"))
