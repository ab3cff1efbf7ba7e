"""Executor: MXNet 1.9.1 checkpoints give MXNet's outputs; gradients match finite differences."""
import json

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError
from pybridge.checkpoint import load_checkpoint

REF = "mxnet-1.9.1"


@pytest.fixture(autouse=True)
def _fresh_names():
    with mx.sym.NameManager():
        yield


def _mlp(hidden=5, classes=3):
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=hidden, name="fc1")
    act = mx.sym.Activation(fc1, act_type="tanh", name="tanh1")
    fc2 = mx.sym.FullyConnected(act, num_hidden=classes, name="fc2")
    return mx.sym.SoftmaxOutput(fc2, name="softmax")


def _fill(ex, rng, scale=0.5):
    for name, arr in ex.arg_dict.items():
        if name.endswith("label"):
            continue
        arr[:] = rng.normal(0, scale, arr.shape)


# ---------------------------------------------------------------- MXNet checkpoints
@pytest.mark.parametrize("name,epoch", [("mlp", 0), ("lenet", 3), ("resnet18-narrow", 0)])
def test_mxnet_checkpoint_inference_matches_mxnet(fixtures_dir, name, epoch):
    meta = json.loads((fixtures_dir / REF / f"{name}-meta.json").read_text())
    sym, arg_params, aux_params = load_checkpoint(str(fixtures_dir / REF / name), epoch)
    io = mx.nd.load(str(fixtures_dir / REF / f"{name}-io.nd"))
    ex = sym.simple_bind(mx.cpu(), grad_req="null", data=tuple(meta["data_shape"]))
    ex.copy_params_from(arg_params, aux_params)
    out = ex.forward(is_train=False, data=io["data"])[0].asnumpy()
    ref = io["output"].asnumpy()
    assert out.dtype == np.float32 and out.shape == ref.shape
    assert np.abs(out - ref).max() / np.abs(ref).max() < 1e-5


# ---------------------------------------------------------------- gradients
def test_mlp_softmax_gradients_match_finite_differences():
    """FC + tanh + FC + SoftmaxOutput: the gradient MXNet defines is d(cross-entropy)."""
    rng = np.random.default_rng(1)
    sym = _mlp()
    n, d = 4, 6
    shapes = {"data": (n, d), "softmax_label": (n,)}
    ex = sym.simple_bind(mx.cpu(), **shapes)
    _fill(ex, rng)
    labels = rng.integers(0, 3, n)
    ex.arg_dict["softmax_label"][:] = labels
    ex.forward(is_train=True)
    ex.backward()
    # float64 copy of the graph for central differences of the loss, through the executor
    args64 = {k: mx.nd.array(v.asnumpy(), dtype="float64") for k, v in ex.arg_dict.items()}
    ev = sym.bind(mx.cpu(), args64, grad_req="null")

    def loss():
        p = ev.forward(is_train=False)[0].asnumpy()
        return -np.log(p[np.arange(n), labels]).sum()

    eps = 1e-6
    for name in ("fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias", "data"):
        arr = args64[name]
        base = arr.asnumpy()
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            for sign in (1, -1):
                shifted = base.copy()
                shifted[idx] += sign * eps
                arr[:] = shifted
                numeric[idx] += sign * loss() / (2 * eps)
        arr[:] = base
        np.testing.assert_allclose(ex.grad_dict[name].asnumpy(), numeric, rtol=2e-3, atol=2e-5,
                                   err_msg=name)


def test_grad_req_add_null_and_out_grads():
    rng = np.random.default_rng(2)
    x = mx.sym.Variable("x")
    w = mx.sym.Variable("w")
    y = mx.sym.FullyConnected(x, weight=w, num_hidden=3, no_bias=True, name="fc")
    ex = y.simple_bind(mx.cpu(), grad_req={"w": "add", "x": "null"}, x=(2, 4))
    assert "x" not in ex.grad_dict and ex.grad_dict["w"].shape == (3, 4)
    _fill(ex, rng)
    xv = ex.arg_dict["x"].asnumpy()
    head = rng.normal(size=(2, 3)).astype(np.float32)
    for _ in range(2):
        ex.forward(is_train=True)
        ex.backward(out_grads=mx.nd.array(head))
    np.testing.assert_allclose(ex.grad_dict["w"].asnumpy(), 2 * head.T @ xv, rtol=1e-5)
    ex2 = y.simple_bind(mx.cpu(), grad_req="write", x=(2, 4))
    _fill(ex2, rng)
    ex2.forward(is_train=True)
    ex2.backward()       # heads seeded with ones
    np.testing.assert_allclose(ex2.grad_dict["x"].asnumpy(),
                               np.ones((2, 3)) @ ex2.arg_dict["w"].asnumpy(), rtol=1e-5)
    with pytest.raises(MXNetError, match="out_grad"):
        ex2.forward(is_train=True)
        ex2.backward(out_grads=mx.nd.ones((5, 5)))


def test_outputs_are_stable_objects_and_written_in_place():
    rng = np.random.default_rng(3)
    ex = _mlp().simple_bind(mx.cpu(), data=(2, 6))
    _fill(ex, rng)
    outputs = ex.outputs
    first = ex.forward()[0].asnumpy()
    ex.arg_dict["data"][:] = rng.normal(size=(2, 6))
    second = ex.forward(is_train=True)
    assert second is outputs or second[0] is outputs[0]
    assert not np.allclose(first, outputs[0].asnumpy())
    assert ex.output_dict["softmax_output"] is outputs[0]


def test_forward_matches_numpy_and_kwargs():
    rng = np.random.default_rng(4)
    sym = _mlp(hidden=4, classes=2)
    ex = sym.simple_bind(mx.cpu(), grad_req="null", data=(3, 5))
    _fill(ex, rng)
    x = rng.normal(size=(3, 5)).astype(np.float32)
    out = ex.forward(data=mx.nd.array(x))[0].asnumpy()
    a = {k: v.asnumpy() for k, v in ex.arg_dict.items()}
    h = np.tanh(x @ a["fc1_weight"].T + a["fc1_bias"])
    z = h @ a["fc2_weight"].T + a["fc2_bias"]
    p = np.exp(z - z.max(1, keepdims=True))
    np.testing.assert_allclose(out, p / p.sum(1, keepdims=True), rtol=1e-5)
    with pytest.raises(MXNetError, match="unknown argument 'nope'"):
        ex.forward(nope=x)
    with pytest.raises(MXNetError, match="data"):
        ex.forward(data=np.zeros((4, 5)))


def test_batchnorm_training_updates_moving_stats_and_inference_uses_them():
    rng = np.random.default_rng(5)
    x = mx.sym.Variable("x")
    bn = mx.sym.BatchNorm(x, fix_gamma=False, momentum=0.9, eps=1e-5, name="bn")
    ex = bn.simple_bind(mx.cpu(), x=(8, 3))
    assert ex.aux_dict["bn_moving_mean"].shape == (3,)
    ex.arg_dict["bn_gamma"][:] = 1
    ex.aux_dict["bn_moving_var"][:] = 1
    xv = rng.normal(2.0, 3.0, size=(8, 3)).astype(np.float32)
    out = ex.forward(is_train=True, x=mx.nd.array(xv))[0].asnumpy()
    np.testing.assert_allclose(out, (xv - xv.mean(0)) / np.sqrt(xv.var(0) + 1e-5), rtol=1e-3,
                               atol=1e-4)
    ex.backward(out_grads=mx.nd.ones((8, 3)))
    np.testing.assert_allclose(ex.aux_dict["bn_moving_mean"].asnumpy(), 0.1 * xv.mean(0),
                               rtol=1e-4)
    mean = ex.aux_dict["bn_moving_mean"].asnumpy()
    var = ex.aux_dict["bn_moving_var"].asnumpy()
    out = ex.forward(is_train=False)[0].asnumpy()
    np.testing.assert_allclose(out, (xv - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)


def test_dropout_only_in_training():
    x = mx.sym.Variable("x")
    ex = mx.sym.Dropout(x, p=0.5).simple_bind(mx.cpu(), x=(50, 40))
    ex.arg_dict["x"][:] = 1
    assert np.all(ex.forward(is_train=False)[0].asnumpy() == 1)
    out = ex.forward(is_train=True)[0].asnumpy()
    assert set(np.unique(out)) <= {0.0, 2.0} and 0.3 < (out == 0).mean() < 0.7


# ---------------------------------------------------------------- binding and parameters
def test_bind_with_given_arrays_and_shape_errors():
    sym = _mlp(hidden=4, classes=2)
    shapes = dict(zip(sym.list_arguments(), sym.infer_shape(data=(3, 5))[0]))
    args = {k: mx.nd.zeros(s) for k, s in shapes.items()}
    grads = {k: mx.nd.zeros(s) for k, s in shapes.items() if k != "softmax_label"}
    ex = sym.bind(mx.cpu(), args, args_grad=grads)
    assert ex.arg_dict["fc1_weight"] is args["fc1_weight"]
    assert ex.grad_dict["fc1_weight"] is grads["fc1_weight"] and "softmax_label" not in ex.grad_dict
    bad = dict(args, fc1_weight=mx.nd.zeros((7, 5)))
    with pytest.raises(MXNetError, match="fc1_weight"):
        sym.bind(mx.cpu(), bad)
    missing = {k: v for k, v in args.items() if k != "fc2_bias"}
    with pytest.raises(MXNetError, match="fc2_bias"):
        sym.bind(mx.cpu(), missing)
    with pytest.raises(MXNetError, match="grad_req"):
        sym.simple_bind(mx.cpu(), grad_req="sometimes", data=(3, 5))
    with pytest.raises(MXNetError, match="cannot infer the shape"):
        sym.simple_bind(mx.cpu())


def test_copy_params_from_checks_names_and_shapes():
    ex = _mlp(hidden=4, classes=2).simple_bind(mx.cpu(), data=(3, 5))
    w = np.arange(20, dtype=np.float32).reshape(4, 5)
    ex.copy_params_from({"fc1_weight": mx.nd.array(w)})
    np.testing.assert_array_equal(ex.arg_dict["fc1_weight"].asnumpy(), w)
    with pytest.raises(MXNetError, match="'fc1_weight'.*\\(5, 4\\)"):
        ex.copy_params_from({"fc1_weight": mx.nd.zeros((5, 4))})
    with pytest.raises(MXNetError, match="extra"):
        ex.copy_params_from({"extra": mx.nd.zeros((1,))})
    ex.copy_params_from({"extra": mx.nd.zeros((1,))}, allow_extra_params=True)


def test_reshape_monitor_and_eval():
    rng = np.random.default_rng(6)
    ex = _mlp().simple_bind(mx.cpu(), data=(2, 6))
    _fill(ex, rng)
    with pytest.raises(MXNetError, match="softmax_label"):
        ex.reshape(data=(5, 6))                 # the label's shape changes too
    big = ex.reshape(data=(5, 6), softmax_label=(5,))
    assert big.outputs[0].shape == (5, 3)
    assert big.arg_dict["fc1_weight"] is ex.arg_dict["fc1_weight"]
    seen = []
    ex.set_monitor_callback(lambda name, arr: seen.append((name, arr.shape)))
    ex.forward()
    assert ("fc1_output", (2, 5)) in seen and ("softmax_output", (2, 3)) in seen
    a = mx.sym.Variable("a")
    out = (a * 3).eval(ctx=mx.cpu(), a=mx.nd.ones((2,)))
    np.testing.assert_array_equal(out[0].asnumpy(), [3, 3])


def test_backward_needs_a_training_forward():
    ex = _mlp().simple_bind(mx.cpu(), data=(2, 6))
    ex.forward(is_train=False)
    with pytest.raises(MXNetError, match="forward\\(is_train=True\\)"):
        ex.backward()


def test_shared_variable_gradient_accumulates_over_uses():
    a = mx.sym.Variable("a")
    ex = (a * a + a).simple_bind(mx.cpu(), a=(3,))
    ex.arg_dict["a"][:] = np.array([1.0, 2.0, -3.0])
    ex.forward(is_train=True)
    ex.backward()
    np.testing.assert_allclose(ex.grad_dict["a"].asnumpy(), 2 * np.array([1, 2, -3]) + 1)


def test_training_step_matches_mxnet(fixtures_dir):
    """tests/executor_cases.py's graph: one forward(is_train=True) + backward, compared with
    the outputs, gradients and BatchNorm statistics MXNet 1.9.1 produced from the same inputs."""
    import executor_cases
    ref = mx.nd.load(str(fixtures_dir / REF / "executor-step.nd"))
    sym = executor_cases.build(mx)
    ex = sym.simple_bind(mx.cpu(), grad_req="write", **executor_cases.SHAPES)
    ex.copy_params_from({k[4:]: v for k, v in ref.items() if k.startswith("arg:")},
                        {k[4:]: v for k, v in ref.items() if k.startswith("aux:")})
    out = ex.forward(is_train=True)[0].asnumpy()
    ex.backward()
    np.testing.assert_allclose(out, ref["out:0"].asnumpy(), rtol=1e-5, atol=1e-6)
    for name, grad in ex.grad_dict.items():
        expected = ref[f"grad:{name}"].asnumpy()
        np.testing.assert_allclose(grad.asnumpy(), expected, rtol=1e-4,
                                   atol=1e-5 * max(1.0, np.abs(expected).max()), err_msg=name)
    for name, value in ex.aux_dict.items():
        np.testing.assert_allclose(value.asnumpy(), ref[f"aux_after:{name}"].asnumpy(),
                                   rtol=1e-5, err_msg=name)


def test_bind_rejects_arrays_on_another_device():
    x = mx.sym.Variable("x")
    (x * 2).bind(mx.cpu(0), {"x": mx.nd.zeros((2,), ctx=mx.cpu(1))})   # CPUs share memory
    with pytest.raises(MXNetError, match="'x' is on cpu\\(0\\)"):
        (x * 2).bind(mx.gpu(0), {"x": mx.nd.zeros((2,))})
