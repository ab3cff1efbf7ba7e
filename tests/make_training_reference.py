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
    return out


if __name__ == "__main__":
    doc = {"written_by": "MXNet " + mx.__version__ + " (tests/make_training_reference.py)",
           "optimizers": optimizers(), "metrics": metrics(), "schedulers": schedulers()}
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
    print("wrote", OUT)
