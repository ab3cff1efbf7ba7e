"""Write the R-package training references with real MXNet 1.9.1.

    /tmp/mxnet-ref/bin/python tests/make_r_training_reference.py

(the reference environment comes from tools/mxnet-reference.sh).  Not a test and not imported
by tests.  The real MXNet R package (R-package/ at tag 1.9.1) could not be installed here, but
its optimizers and training loop are R code over libmxnet's operators, so this script drives
the same operators, the same way, from MXNet's Python API:

* each ``mx.opt.<name>`` builds one small update graph per parameter (``create_exec``), binds
  it with every input zero-filled and ``grad.req = "null"``, and per batch copies the weight and
  gradient in, runs it forward (``is.train = FALSE``), and for the symbolic optimizers copies
  the state outputs back into the state inputs (``update``).  Built-in update operators
  (``sgd_update``, ``adam_update``, ``rmspropalex_update``, ...) keep their states by mutating
  the bound inputs.  The learning rate is fixed in the graph when it is built; there is no
  bias correction in adam and weight decay reaches every parameter (no ``wd_mult``).
* ``mx.model.train`` with one device and no kvstore: bind the network with ``grad.req =
  "write"`` (``"null"`` for the data and label), forward (is.train), backward, then the updater
  over the arguments in ``arguments(symbol)`` order, copying each result into the executor.
  ``mx.model.FeedForward.create`` sets ``rescale.grad = 1/batch size``.

Outputs (tests/fixtures/mxnet-1.9.1/):

* ``train-lenet-adam-rpkg.nd/.json``: the initial parameters and batches of
  ``train-lenet-adam.nd`` replayed as ``mx.model.FeedForward.create(..., optimizer = "adam",
  learning.rate = 0.01, wd = 1e-4)`` would; ``final:NAME`` after the steps.
* ``rpkg-optimizers.json``: ``mx.opt.get.updater`` of each R optimizer on a fixed weight and
  four gradients (states carried between calls): settings and the final weight.
"""
import ctypes
import hashlib
import json
import os

import numpy as np
import mxnet as mx
from mxnet.base import SymbolHandle, _LIB, c_str, c_str_array, check_call, mx_uint

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "mxnet-1.9.1")
SOURCE = "train-lenet-adam"
CTX = mx.cpu()


# ------------------------------------------------------------------ R's optimizers
def _update_op(op, inputs, **params):
    """``mx.symbol.<op>(w, g, states..., name = "w")`` composed positionally, as the R package
    does: MXNet 1.9.1's Python wrappers pass inputs by keyword, which these operators (their
    states are mutated inputs, i.e. auxiliary states) refuse."""
    handle = ctypes.c_void_p()
    check_call(_LIB.NNGetOpHandle(c_str(op), ctypes.byref(handle)))
    keys = list(params)
    sym = SymbolHandle()
    check_call(_LIB.MXSymbolCreateAtomicSymbol(handle, mx_uint(len(keys)), c_str_array(keys),
                                               c_str_array([str(params[k]) for k in keys]),
                                               ctypes.byref(sym)))
    out = mx.sym.Symbol(sym)
    out._compose(*inputs, name="w")
    return out


def _weight_grad():
    return mx.sym.Variable("weight"), mx.sym.Variable("grad")


def _rescale_clip(grad, rescale, clip):
    grad = grad * rescale
    if clip is not None and clip >= 0:
        grad = mx.sym.clip(grad, a_min=-clip, a_max=clip)
    return grad


# Each builder returns (symbol, states): ``states`` maps a state input to the output that
# R's update() copies back into it after the forward pass (empty when the operator mutates
# its own state inputs).  Names follow R's graphs: the weight output is "w".
def build_sgd(lr=0.01, momentum=0, wd=0, rescale=1, clip=-1):
    weight, grad = _weight_grad()
    if momentum == 0:
        return _update_op("sgd_update", [weight, grad], lr=lr, wd=wd, rescale_grad=rescale,
                          clip_gradient=clip), {}
    mom = mx.sym.Variable("mom")
    return _update_op("sgd_mom_update", [weight, grad, mom], lr=lr, wd=wd, momentum=momentum,
                      rescale_grad=rescale, clip_gradient=clip), {}


def build_rmsprop(lr=0.002, centered=True, gamma1=0.95, gamma2=0.9, epsilon=1e-4, wd=0,
                  rescale=1, clip=-1):
    weight, grad = _weight_grad()
    n = mx.sym.Variable("n")
    if centered:
        g, delta = mx.sym.Variable("g"), mx.sym.Variable("delta")
        return _update_op("rmspropalex_update", [weight, grad, n, g, delta], lr=lr,
                          gamma1=gamma1, gamma2=gamma2, epsilon=epsilon, wd=wd,
                          rescale_grad=rescale, clip_gradient=clip), {}
    return _update_op("rmsprop_update", [weight, grad, n], lr=lr, gamma1=gamma1,
                      epsilon=epsilon, wd=wd, rescale_grad=rescale, clip_gradient=clip), {}


def build_adam(lr=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0, rescale=1, clip=-1):
    weight, grad = _weight_grad()
    mean, var = mx.sym.Variable("mean"), mx.sym.Variable("var")
    return _update_op("adam_update", [weight, grad, mean, var], lr=lr, beta1=beta1,
                      beta2=beta2, epsilon=epsilon, wd=wd, rescale_grad=rescale,
                      clip_gradient=clip), {}


def build_adagrad(lr=0.05, epsilon=1e-8, wd=0, rescale=1, clip=-1):
    weight, grad = _weight_grad()
    history = mx.sym.Variable("history")
    grad = _rescale_clip(grad, rescale, clip)
    history = history + grad * grad
    weight = weight - lr * (grad / mx.sym.sqrt(history + epsilon) + wd * weight)
    return mx.sym.Group([mx.sym.identity(weight, name="w"),
                         mx.sym.identity(history, name="h")]), {"history": "h_output"}


def build_adadelta(rho=0.9, epsilon=1e-5, wd=0, rescale=1, clip=-1):
    weight, grad = _weight_grad()
    acc_g, acc_delta = mx.sym.Variable("acc.g"), mx.sym.Variable("acc.delta")
    grad = _rescale_clip(grad, rescale, clip)
    acc_g = rho * acc_g + (1 - rho) * (grad * grad)
    current = mx.sym.sqrt(acc_delta + epsilon) / mx.sym.sqrt(acc_g + epsilon) * grad
    acc_delta = rho * acc_delta + (1 - rho) * (current * current)
    weight = weight - current - wd * weight
    return mx.sym.Group([mx.sym.identity(weight, name="w"), mx.sym.identity(acc_g, name="g"),
                         mx.sym.identity(acc_delta, name="delta")]), \
        {"acc.g": "g_output", "acc.delta": "delta_output"}


def build_nag(lr=0.01, momentum=0, wd=0, rescale=1, clip=-1):
    weight, grad = _weight_grad()
    mom = mx.sym.Variable("mom")
    grad = _rescale_clip(grad, rescale, clip)
    if momentum == 0:
        weight = weight - lr * (grad + (wd * weight))
        return mx.sym.Group([mx.sym.identity(weight, name="w")]), {}
    mom = momentum * mom + grad + wd * weight
    grad = momentum * mom + grad            # the R package's step: no weight decay term here
    weight = weight - lr * grad
    return mx.sym.Group([mx.sym.identity(weight, name="w"),
                         mx.sym.identity(mom, name="m")]), {"mom": "m_output"}


BUILDERS = {"sgd": build_sgd, "rmsprop": build_rmsprop, "adam": build_adam,
            "adagrad": build_adagrad, "adadelta": build_adadelta, "nag": build_nag}
# R's argument names -> the builders' (learning.rate, rescale.grad, clip_gradient differ)
R_NAMES = {"learning.rate": "lr", "rescale.grad": "rescale", "clip_gradient": "clip"}


class RUpdater:
    """mx.opt.get.updater(optimizer, weights): one bound update graph per parameter."""

    def __init__(self, name, r_settings, shapes):
        kw = {R_NAMES.get(k, k): v for k, v in r_settings.items()}
        self.execs = []
        for shape in shapes:
            sym, states = BUILDERS[name](**kw)
            arg_shapes, _, aux_shapes = sym.infer_shape(weight=shape)
            args = {n: mx.nd.zeros(s, CTX) for n, s in zip(sym.list_arguments(), arg_shapes)}
            aux = {n: mx.nd.zeros(s, CTX)
                   for n, s in zip(sym.list_auxiliary_states(), aux_shapes)}
            ex = sym.bind(CTX, args, grad_req="null", aux_states=aux)
            self.execs.append((ex, states))

    def __call__(self, weights, grads):
        out = []
        for (ex, states), weight, grad in zip(self.execs, weights, grads):
            ex.arg_dict["weight"][:] = weight
            ex.arg_dict["grad"][:] = grad
            ex.forward(is_train=False)
            outputs = dict(zip(ex._symbol.list_outputs(), ex.outputs))
            for state, output in states.items():
                ex.arg_dict[state][:] = outputs[output]
            out.append(outputs["w_output"].copy())
        return out


# ------------------------------------------------------------------ LeNet through FeedForward
def lenet_adam_rpkg():
    meta = json.load(open(os.path.join(HERE, SOURCE + ".json")))
    source_nd = os.path.join(HERE, SOURCE + ".nd")
    arrays = mx.nd.load(source_nd)
    steps, bs = meta["steps"], meta["batch_size"]
    sym = mx.sym.load_json(json.dumps(meta["symbol"]))
    data_shape = arrays["batch0:data"].shape
    arg_shapes, _, _ = sym.infer_shape(data=data_shape)
    names = sym.list_arguments()
    fixed = {n for n in names if n.endswith("data") or n.endswith("label")}
    args = {n: mx.nd.zeros(s, CTX) for n, s in zip(names, arg_shapes)}
    grads = {n: mx.nd.zeros(s, CTX) for n, s in zip(names, arg_shapes) if n not in fixed}
    ex = sym.bind(CTX, args, args_grad=grads,
                  grad_req={n: "null" if n in fixed else "write" for n in names})
    for n in names:
        if n not in fixed:
            ex.arg_dict[n][:] = arrays["init:" + n]
    params = [n for n in names if n not in fixed]
    r_settings = {"learning.rate": meta["optimizer_params"]["learning_rate"],
                  "wd": meta["optimizer_params"]["wd"], "rescale.grad": 1.0 / bs}
    updater = RUpdater("adam", r_settings, [args[n].shape for n in params])
    label = [n for n in names if n.endswith("label")][0]
    for k in range(steps):
        ex.arg_dict["data"][:] = arrays[f"batch{k}:data"]
        ex.arg_dict[label][:] = arrays[f"batch{k}:label"]
        ex.forward(is_train=True)
        ex.backward()
        new = updater([ex.arg_dict[n] for n in params], [ex.grad_dict[n] for n in params])
        for n, w in zip(params, new):
            ex.arg_dict[n][:] = w
    # adam_update keeps its moments by mutating its bound inputs; make sure that happened
    assert all(np.abs(e.aux_dict["var"].asnumpy()).max() > 0 for e, _ in updater.execs)
    out = {"final:" + n: ex.arg_dict[n].copy() for n in params}
    prefix = os.path.join(HERE, SOURCE + "-rpkg")
    mx.nd.save(prefix + ".nd", out)
    with open(source_nd, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    doc = {"written_by": "MXNet " + mx.__version__ + " (tests/make_r_training_reference.py)",
           "replays": SOURCE + ".nd", "replays_sha256": digest,
           "r_call": "mx.model.FeedForward.create(symbol, X = mx.io.arrayiter(data, label, "
                     f"batch.size = {bs}, shuffle = FALSE), ctx = mx.cpu(), num.round = 1, "
                     "optimizer = \"adam\", arg.params = init, learning.rate = "
                     f"{r_settings['learning.rate']}, wd = {r_settings['wd']})",
           "optimizer": "adam", "r_settings": r_settings, "steps": steps, "batch_size": bs,
           "semantics": "R package 1.9.1: adam_update per parameter, lr fixed, no bias "
                        "correction, wd on every parameter, rescale_grad = 1/batch_size"}
    with open(prefix + ".json", "w") as f:
        json.dump(doc, f, indent=1)
    print("wrote", prefix + ".{nd,json}")


# ------------------------------------------------------------------ optimizers on fixed inputs
CASES = {
    "sgd": ("sgd", {"learning.rate": 0.1, "wd": 0.01, "clip_gradient": 0.5}),
    "sgd_momentum": ("sgd", {"learning.rate": 0.1, "momentum": 0.9, "wd": 0.01,
                             "rescale.grad": 0.25}),
    "rmsprop": ("rmsprop", {"learning.rate": 0.01, "wd": 0.01}),
    "rmsprop_plain": ("rmsprop", {"learning.rate": 0.01, "centered": False, "gamma1": 0.9,
                                  "wd": 0.01, "clip_gradient": 0.5}),
    "adam": ("adam", {"learning.rate": 0.01, "wd": 0.01, "rescale.grad": 0.25}),
    "adam_clip": ("adam", {"learning.rate": 0.05, "beta1": 0.8, "beta2": 0.99, "epsilon": 1e-6,
                           "wd": 0.02, "clip_gradient": 0.5}),
    "adagrad": ("adagrad", {"learning.rate": 0.1, "wd": 0.01, "clip_gradient": 0.5}),
    "adagrad_default": ("adagrad", {}),
    "adadelta": ("adadelta", {"wd": 0.01, "rescale.grad": 0.5}),
    "adadelta_clip": ("adadelta", {"rho": 0.8, "epsilon": 1e-4, "clip_gradient": 0.5}),
    "nag": ("nag", {"learning.rate": 0.05, "momentum": 0.8, "wd": 0.01}),
    "nag_clip": ("nag", {"learning.rate": 0.05, "momentum": 0.8, "wd": 0.01,
                         "clip_gradient": 0.5, "rescale.grad": 0.5}),
    "nag_no_momentum": ("nag", {"learning.rate": 0.05, "wd": 0.01}),
}


def r_optimizers():
    rng = np.random.RandomState(7)
    w0 = [rng.uniform(-1, 1, shape).astype(np.float32) for shape in ((5, 4), (3,))]
    grads = [[rng.uniform(-3, 3, w.shape).astype(np.float32) for w in w0] for _ in range(4)]
    doc = {"written_by": "MXNet " + mx.__version__ + " (tests/make_r_training_reference.py)",
           "weights": [w.tolist() for w in w0],
           "grads": [[g.tolist() for g in step] for step in grads], "cases": {}}
    for key, (name, settings) in CASES.items():
        updater = RUpdater(name, settings, [w.shape for w in w0])
        weights = [mx.nd.array(w) for w in w0]
        for step in grads:
            weights = updater(weights, [mx.nd.array(g) for g in step])
        doc["cases"][key] = {"name": name, "r_settings": settings,
                             "final": [w.asnumpy().tolist() for w in weights]}
    path = os.path.join(HERE, "rpkg-optimizers.json")
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    print("wrote", path)


if __name__ == "__main__":
    lenet_adam_rpkg()
    r_optimizers()
