"""A training step (forward is_train=True + backward) run by real MXNet 1.9.1, for comparison.

    /tmp/mxnet-ref/bin/python tests/executor_cases.py   # writes fixtures/mxnet-1.9.1/executor-step.nd

The graph (conv, BatchNorm, relu, max-pool, flatten, FC, tanh, elementwise arithmetic, FC,
SoftmaxOutput) is built by ``build(mx)``; inputs are random (seeded) and stored in the file
with MXNet's outputs, gradients (grad_req 'write') and updated BatchNorm statistics:
keys ``arg:NAME``, ``aux:NAME`` (before the step), ``out:0``, ``grad:NAME``, ``aux_after:NAME``.
"""
import os

import numpy as np

SHAPES = {"data": (4, 2, 8, 8), "softmax_label": (4,)}


def build(mx):
    data = mx.sym.Variable("data")
    conv = mx.sym.Convolution(data, kernel=(3, 3), pad=(1, 1), num_filter=3, name="conv")
    bn = mx.sym.BatchNorm(conv, fix_gamma=False, momentum=0.8, name="bn")
    act = mx.sym.Activation(bn, act_type="relu", name="relu")
    pool = mx.sym.Pooling(act, kernel=(2, 2), stride=(2, 2), pool_type="max", name="pool")
    flat = mx.sym.Flatten(pool, name="flat")
    fc1 = mx.sym.FullyConnected(flat, num_hidden=6, name="fc1")
    h = mx.sym.Activation(fc1, act_type="tanh", name="tanh")
    mixed = h * 0.5 + h * h - 0.25
    fc2 = mx.sym.FullyConnected(mixed, num_hidden=5, name="fc2")
    return mx.sym.SoftmaxOutput(fc2, name="softmax")


def inputs(sym_arg_names, arg_shapes, aux_names, aux_shapes):
    rng = np.random.RandomState(7)
    args = {}
    for name, shape in zip(sym_arg_names, arg_shapes):
        if name == "softmax_label":
            args[name] = rng.randint(0, 5, shape).astype(np.float32)
        else:
            args[name] = rng.normal(0, 0.5, shape).astype(np.float32)
    aux = {n: rng.uniform(0.5, 1.5, s).astype(np.float32) for n, s in zip(aux_names, aux_shapes)}
    return args, aux


if __name__ == "__main__":
    import mxnet as mx
    sym = build(mx)
    arg_shapes, _, aux_shapes = sym.infer_shape(**SHAPES)
    args, aux = inputs(sym.list_arguments(), arg_shapes, sym.list_auxiliary_states(), aux_shapes)
    ex = sym.simple_bind(mx.cpu(), grad_req="write", **SHAPES)
    ex.copy_params_from({k: mx.nd.array(v) for k, v in args.items()},
                        {k: mx.nd.array(v) for k, v in aux.items()})
    out = ex.forward(is_train=True)[0].asnumpy()
    ex.backward()
    save = {f"arg:{k}": mx.nd.array(v) for k, v in args.items()}
    save.update({f"aux:{k}": mx.nd.array(v) for k, v in aux.items()})
    save["out:0"] = mx.nd.array(out)
    save.update({f"grad:{k}": v.copy() for k, v in ex.grad_dict.items()})
    save.update({f"aux_after:{k}": v.copy() for k, v in ex.aux_dict.items()})
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "mxnet-1.9.1",
                        "executor-step.nd")
    mx.nd.save(path, save)
    print("wrote", path, sorted(save))
