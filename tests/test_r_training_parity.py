"""Training parity through R: mx.model.FeedForward.create replays MXNet 1.9.1's MLP/SGD run.

The fixture (tests/fixtures/mxnet-1.9.1/train-mlp-sgd.*) holds MXNet's initial parameters, the
batches, and its parameters after the steps (Module, rescale_grad = 1/batch_size, which is also
what the R package's FeedForward uses). R gets the same symbol, data (in batch order, no
shuffling) and initial parameters, trains one round, and we compare every parameter.
The real R package applies weight decay to every parameter, biases included, while MXNet
Python's optimizers give biases wd_mult = 0; so the weights are compared with MXNet's run
directly, and the whole result with our Python Module replaying the same steps with weight
decay on every parameter. (The LeNet/Adam fixture is not replayed through R: the R package's
`adam` has the real R package's semantics, without Python's bias correction.)
"""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import pybridge as mx

sys.path.insert(0, os.path.dirname(__file__))
from battery import rpkg  # noqa: E402

pytestmark = pytest.mark.skipif(not rpkg.have_r(), reason="R is not installed")
R_OPTION = {"learning_rate": "learning.rate", "momentum": "momentum", "wd": "wd"}


def test_feedforward_create_in_r_reproduces_mxnet_sgd(fixtures_dir, tmp_path):
    name = "train-mlp-sgd"
    meta = json.loads((fixtures_dir / "mxnet-1.9.1" / f"{name}.json").read_text())
    arrays = mx.nd.load(str(fixtures_dir / "mxnet-1.9.1" / f"{name}.nd"))
    assert meta["rescale_grad"] == "1/batch_size"
    steps, bs = meta["steps"], meta["batch_size"]
    (tmp_path / "symbol.json").write_text(json.dumps(meta["symbol"]))
    data = np.concatenate([arrays[f"batch{k}:data"].asnumpy() for k in range(steps)])
    label = np.concatenate([arrays[f"batch{k}:label"].asnumpy() for k in range(steps)])
    inputs = {"data": mx.nd.array(data), "label": mx.nd.array(label)}
    inputs.update({k: v for k, v in arrays.items() if k.startswith("init:")})
    mx.nd.save(str(tmp_path / "inputs.nd"), inputs)
    settings = [f"{R_OPTION[k]}={v!r}" for k, v in meta["optimizer_params"].items()]
    proc = subprocess.run(["Rscript", str(rpkg.BATTERY / "r_training_parity.R"),
                           str(tmp_path / "symbol.json"), str(tmp_path / "inputs.nd"),
                           str(tmp_path / "out.nd"), meta["optimizer"], str(bs)] + settings,
                          env=rpkg.r_env(), capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = mx.nd.load(str(tmp_path / "out.nd"))
    final = {k[len("final:"):]: v for k, v in arrays.items() if k.startswith("final:")}
    assert sorted(got) == sorted(final)
    r_semantics = _python_replay_with_wd_on_every_parameter(meta, arrays)
    for key, want in final.items():
        w, g = want.asnumpy(), got[key].asnumpy()
        assert not np.allclose(w, arrays[f"init:{key}"].asnumpy()), f"{key} did not move"
        if key.endswith("_weight"):
            rel = np.abs(g - w).max() / max(np.abs(w).max(), 1e-12)
            assert rel < 1e-4, f"R FeedForward {key} vs MXNet: relative error {rel:.2e}"
        ref = r_semantics[key].asnumpy()
        rel = np.abs(g - ref).max() / max(np.abs(ref).max(), 1e-12)
        assert rel < 1e-5, f"R FeedForward {key} vs Module with R's weight decay: {rel:.2e}"
    bias_gap = max(np.abs(final[k].asnumpy() - r_semantics[k].asnumpy()).max()
                   for k in final if k.endswith("_bias"))
    assert bias_gap > 1e-7        # weight decay on biases really changes them (test can fail)


def _python_replay_with_wd_on_every_parameter(meta, arrays):
    sym = mx.sym.load_json(json.dumps(meta["symbol"]))
    bs = meta["batch_size"]
    mod = mx.mod.Module(sym, data_names=["data"], label_names=["softmax_label"])
    first = arrays["batch0:data"]
    mod.bind(data_shapes=[("data", first.shape)], label_shapes=[("softmax_label", (bs,))])
    mod.init_params(arg_params={k[5:]: v for k, v in arrays.items() if k.startswith("init:")})
    opt = mx.optimizer.create(meta["optimizer"], rescale_grad=1.0 / bs, **meta["optimizer_params"])
    mod.init_optimizer(optimizer=opt)
    opt.set_wd_mult({name: 1.0 for name in sym.list_arguments() if name.endswith("_bias")})
    for k in range(meta["steps"]):
        mod.forward_backward(mx.io.DataBatch([arrays[f"batch{k}:data"]], [arrays[f"batch{k}:label"]]))
        mod.update()
    return mod.get_params()[0]
