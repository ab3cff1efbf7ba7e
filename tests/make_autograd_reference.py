"""Write tests/fixtures/mxnet-1.9.1/autograd.json with real MXNet 1.9.1.

    /tmp/mxnet-ref/bin/python tests/make_autograd_reference.py

Not a test: tests/test_autograd.py imports CASES and runs the same programs on our engine.
Each case takes the engine module ``mx``, builds its inputs from a fixed-seed NumPy generator,
records a small imperative program with mx.autograd and returns named results (gradients,
outputs, flags) as nested lists or plain values.  Dropout's mask is random, so its cases
return only what does not depend on the mask.
"""
import json
import os

import numpy as np

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "mxnet-1.9.1")


def _inputs(mx, seed, *shapes, positive=False):
    rng = np.random.RandomState(seed)
    out = []
    for shape in shapes:
        data = rng.uniform(0.5, 2.0, shape) if positive else rng.uniform(-1.0, 1.0, shape)
        out.append(mx.nd.array(data.astype(np.float32)))
    return out


def _attach(*arrays, grad_req="write"):
    for a in arrays:
        a.attach_grad(grad_req=grad_req)


def _l(arr):
    return arr.asnumpy().tolist()


def elementwise_chain(mx):
    x, = _inputs(mx, 1, (3, 4))
    _attach(x)
    with mx.autograd.record():
        y = mx.nd.tanh(x) * mx.nd.sigmoid(x) + mx.nd.log(x * x + 1) - x / 3
        y = mx.nd.exp(y) ** 2 + mx.nd.sqrt(mx.nd.abs(x) + 1) - 1 / (x + 3)
    y.backward()
    return {"y": _l(y), "x.grad": _l(x.grad)}


def broadcasting(mx):
    a, b = _inputs(mx, 2, (3, 1), (1, 4))
    _attach(a, b)
    with mx.autograd.record():
        c = a * b + a - b / 2
        d = mx.nd.broadcast_mul(c, mx.nd.sum(c, axis=0, keepdims=True))
    d.backward()
    return {"d": _l(d), "a.grad": _l(a.grad), "b.grad": _l(b.grad)}


def dot_fully_connected(mx):
    x, w, b, v = _inputs(mx, 3, (4, 5), (3, 5), (3,), (3, 2))
    _attach(x, w, b, v)
    with mx.autograd.record():
        h = mx.nd.FullyConnected(x, w, b, num_hidden=3)
        out = mx.nd.dot(mx.nd.relu(h), v)
        loss = (out * out).sum()
    loss.backward()
    return {"loss": _l(loss), "x.grad": _l(x.grad), "w.grad": _l(w.grad),
            "b.grad": _l(b.grad), "v.grad": _l(v.grad)}


def convolution_pooling(mx):
    x, w, b, hg = _inputs(mx, 4, (2, 2, 6, 6), (3, 2, 3, 3), (3,), (2, 3, 3, 3))
    _attach(x, w, b)
    with mx.autograd.record():
        c = mx.nd.Convolution(x, w, b, kernel=(3, 3), pad=(1, 1), num_filter=3)
        y = mx.nd.Pooling(mx.nd.relu(c), kernel=(2, 2), stride=(2, 2), pool_type="max")
    y.backward(hg)
    return {"y": _l(y), "x.grad": _l(x.grad), "w.grad": _l(w.grad), "b.grad": _l(b.grad)}


def softmax_cross_entropy(mx):
    logits, = _inputs(mx, 5, (4, 5))
    label = mx.nd.array([0, 3, 1, 4])
    _attach(logits)
    with mx.autograd.record():
        loss = mx.nd.softmax_cross_entropy(logits, label)
        nll = -mx.nd.pick(mx.nd.log_softmax(logits), label, axis=1).mean()
        total = loss + nll * 2
    total.backward()
    return {"total": _l(total), "logits.grad": _l(logits.grad)}


def slicing(mx):
    x, = _inputs(mx, 6, (4, 5))
    _attach(x)
    with mx.autograd.record():
        y = x[1:3] * 2 + x[0]
        z = y.sum() + x[:, 1:4].sum() * 3 + x[2, 3] * 5 + x[3].reshape((5, 1)).sum()
    z.backward()
    return {"z": _l(z), "x.grad": _l(x.grad)}


def variable_reuse(mx):
    x, = _inputs(mx, 7, (2, 3))
    _attach(x)
    with mx.autograd.record():
        y = x * x + x * 3 + mx.nd.exp(x) * x
        y = y * x
    y.backward()
    return {"y": _l(y), "x.grad": _l(x.grad)}


def grad_req_add(mx):
    x, = _inputs(mx, 8, (3,))
    _attach(x, grad_req="add")
    for k in (2, 3):
        with mx.autograd.record():
            y = x * x * k
        y.backward()
    return {"x.grad": _l(x.grad)}


def head_grads(mx):
    x, hg1, hg2 = _inputs(mx, 9, (2, 3), (2, 3), (3, 2))
    _attach(x)
    with mx.autograd.record():
        y1 = x * x
        y2 = mx.nd.transpose(mx.nd.sin(x))
    mx.autograd.backward([y1, y2], [hg1, hg2])
    return {"x.grad": _l(x.grad)}


def pause_inside_record(mx):
    x, = _inputs(mx, 10, (3,))
    _attach(x)
    with mx.autograd.record():
        y = x * 2
        with mx.autograd.pause():
            z = y * 3          # not recorded: a constant in the graph
            paused = [mx.autograd.is_recording(), mx.autograd.is_training()]
        w = y * z
    w.backward()
    return {"x.grad": _l(x.grad), "paused": paused}


def dropout_modes(mx):
    x, = _inputs(mx, 11, (50, 40), positive=True)
    _attach(x)
    with mx.autograd.record():
        y = mx.nd.Dropout(x, p=0.5)
        flags = [mx.autograd.is_recording(), mx.autograd.is_training()]
    y.backward()
    g, yv, xv = x.grad.asnumpy(), y.asnumpy(), x.asnumpy()
    train = {"grad_values": sorted(set(np.round(g.ravel(), 5).tolist())),
             "y_is_x_times_grad": bool(np.allclose(yv, xv * g, rtol=1e-5)),
             "kept_fraction_in_0.4_0.6": bool(0.4 < (g > 0).mean() < 0.6), "flags": flags}
    with mx.autograd.record(train_mode=False):
        y = mx.nd.Dropout(x, p=0.5)
        flags = [mx.autograd.is_recording(), mx.autograd.is_training()]
    y.backward()
    predict = {"y_equals_x": bool(np.array_equal(y.asnumpy(), xv)),
               "grad": sorted(set(x.grad.asnumpy().ravel().tolist())), "flags": flags}
    return {"train": train, "predict": predict}


def batchnorm_train(mx):
    x, gamma, beta, hg = _inputs(mx, 12, (4, 3, 2, 2), (3,), (3,), (4, 3, 2, 2))
    mean, var = mx.nd.zeros((3,)), mx.nd.ones((3,))
    _attach(x, gamma, beta)
    with mx.autograd.record():
        y = mx.nd.BatchNorm(x, gamma, beta, mean, var, fix_gamma=False, momentum=0.9)
    y.backward(hg)
    with mx.autograd.record(train_mode=False):
        y_pred = mx.nd.BatchNorm(x, gamma, beta, mean, var, fix_gamma=False)
    return {"y": _l(y), "x.grad": _l(x.grad), "gamma.grad": _l(gamma.grad),
            "beta.grad": _l(beta.grad), "moving_mean": _l(mean), "moving_var": _l(var),
            "y_predict": _l(y_pred)}


def retain_graph(mx):
    x, = _inputs(mx, 13, (3,))
    _attach(x)
    with mx.autograd.record():
        y = x * x * x
    y.backward(retain_graph=True)
    g1 = _l(x.grad)
    y.backward()
    g2 = _l(x.grad)
    return {"g1": g1, "g2": g2, "third": _error(mx, y.backward)}


def grad_function(mx):
    x, = _inputs(mx, 14, (3,))
    _attach(x)
    with mx.autograd.record():
        y = mx.nd.exp(x) + x * x
    dx = mx.autograd.grad(y, [x], retain_graph=True)
    dx2 = mx.autograd.grad(y, x, head_grads=y)
    # a single NDArray as variables still gives a list (MXNet 1.9.1 rebinds it first)
    return {"dx": _l(dx[0]), "dx2_type": type(dx2).__name__, "dx2": _l(dx2[0]),
            "x.grad_untouched": _l(x.grad)}


def detach_and_grad_null(mx):
    x, w = _inputs(mx, 15, (3,), (3,))
    _attach(x)
    w.attach_grad(grad_req="null")
    with mx.autograd.record():
        y = x * w
        z = (y.detach() * x + y).sum()
    z.backward()
    return {"x.grad": _l(x.grad), "w.grad_is_None": w.grad is None}


def custom_function(mx):
    class Sigmoid(mx.autograd.Function):
        def forward(self, x):
            y = 1 / (1 + mx.nd.exp(-x))
            self.save_for_backward(y)
            return y

        def backward(self, dy):
            y, = self.saved_tensors
            return dy * y * (1 - y)

    x, = _inputs(mx, 17, (2, 3))
    _attach(x)
    f = Sigmoid()
    with mx.autograd.record():
        y = f(x) * x
    y.backward()
    return {"y": _l(y), "x.grad": _l(x.grad), "second_call": _error(mx, lambda: f(x))}


def array_methods(mx):
    x, = _inputs(mx, 18, (2, 3))
    _attach(x)
    with mx.autograd.record():
        parts = mx.nd.split(x.reshape((3, 2)), num_outputs=2, axis=1)
        y = x.copy().astype("float64").T * 2
        z = (parts[0] * 3 + parts[1].T.reshape((3, 1)) * 4).sum() + y.astype("float32").sum()
    z.backward()
    return {"z": _l(z), "x.grad": _l(x.grad)}


def _error(mx, fn):
    try:
        fn()
    except Exception as exc:  # noqa: BLE001  (recording what each engine raises)
        return str(exc).split("\nStack trace")[0].strip()
    return None


def errors(mx):
    x, = _inputs(mx, 16, (3,))
    y = x * 2
    out = {"backward_not_recorded": _error(mx, y.backward)}
    x.attach_grad()
    with mx.autograd.record():
        y = x * 2
    plain = mx.nd.ones((3,))
    out["grad_not_marked"] = _error(mx, lambda: mx.autograd.grad(y, [plain]))

    def inplace():
        with mx.autograd.record():
            x[:] = 1
    out["assign_in_record"] = _error(mx, inplace)

    def recorded(fn):   # a fresh plain array each: a refused record leaves MXNet's in a graph
        def run():
            with mx.autograd.record():
                fn(mx.nd.zeros((3,)))
        return run
    out["variable_iadd"] = _error(mx, recorded(lambda p: x.__iadd__(1)))
    out["plain_iadd_recorded"] = _error(mx, recorded(lambda p: p.__iadd__(x * 2)))
    out["plain_setitem_recorded"] = _error(mx, recorded(lambda p: p.__setitem__(0, x[1])))
    out["out_is_input"] = _error(mx, recorded(lambda p: mx.nd.elemwise_add(p, x, out=p)))
    out["plain_iadd_constant"] = _error(mx, recorded(lambda p: p.__iadd__(1)))
    out["grad_without_attach"] = plain.grad
    return out


CASES = {f.__name__: f for f in (
    elementwise_chain, broadcasting, dot_fully_connected, convolution_pooling,
    softmax_cross_entropy, slicing, variable_reuse, grad_req_add, head_grads,
    pause_inside_record, dropout_modes, batchnorm_train, retain_graph, grad_function,
    detach_and_grad_null, custom_function, array_methods, errors)}


def main():
    import mxnet as mx
    result = {"mxnet_version": mx.__version__}
    for name, case in CASES.items():
        result[name] = case(mx)
    with open(os.path.join(HERE, "autograd.json"), "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
