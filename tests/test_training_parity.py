"""Training parity with MXNet 1.9.1: the saved runs in tests/fixtures/mxnet-1.9.1/train-*.

Each fixture holds the initial parameters, the batches and MXNet's parameters after the
steps (Module, ``rescale_grad = 1/batch_size``, optimizer settings in the JSON).  We replay
the same steps through our Module API and compare every parameter.
"""
import json

import numpy as np
import pytest

import pybridge as mx

FIXDIR = "mxnet-1.9.1"


def _load(fixtures_dir, name):
    meta = json.loads((fixtures_dir / FIXDIR / f"{name}.json").read_text())
    arrays = mx.nd.load(str(fixtures_dir / FIXDIR / f"{name}.nd"))
    return meta, arrays


def _group(arrays, prefix):
    return {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}


def _replay(meta, arrays, api):
    sym = mx.sym.load_json(json.dumps(meta["symbol"]))
    bs, steps = meta["batch_size"], meta["steps"]
    assert meta["rescale_grad"] == "1/batch_size"
    batches = [(arrays[f"batch{k}:data"], arrays[f"batch{k}:label"]) for k in range(steps)]
    mod = mx.mod.Module(sym, data_names=["data"], label_names=["softmax_label"])
    mod.bind(data_shapes=[("data", batches[0][0].shape)],
             label_shapes=[("softmax_label", batches[0][1].shape)])
    mod.init_params(arg_params=_group(arrays, "init:"), aux_params=_group(arrays, "init_aux:"))
    mod.init_optimizer(optimizer=meta["optimizer"], optimizer_params=meta["optimizer_params"])
    if api == "steps":
        for data, label in batches:
            mod.forward_backward(mx.io.DataBatch([data], [label]))
            mod.update()
    else:                                       # the same batches through Module.fit's loop
        x = np.concatenate([d.asnumpy() for d, _ in batches])
        y = np.concatenate([lab.asnumpy() for _, lab in batches])
        it = mx.io.NDArrayIter(x, y, batch_size=bs)
        mod.fit(it, num_epoch=1, optimizer=meta["optimizer"],
                optimizer_params=meta["optimizer_params"])
    return mod.get_params()


@pytest.mark.parametrize("name", ["train-mlp-sgd", "train-lenet-adam"])
@pytest.mark.parametrize("api", ["steps", "fit"])
def test_module_reproduces_mxnet_training(fixtures_dir, name, api):
    meta, arrays = _load(fixtures_dir, name)
    arg, aux = _replay(meta, arrays, api)
    final = _group(arrays, "final:")
    assert sorted(final) == sorted(arg)
    for key, want in final.items():
        want = want.asnumpy()
        got = arg[key].asnumpy()
        init = arrays[f"init:{key}"].asnumpy()
        assert not np.allclose(want, init), f"{key} did not move in the fixture"
        rel = np.abs(got - want).max() / max(np.abs(want).max(), 1e-12)
        assert rel < 1e-4, f"{name} {key}: relative error {rel:.2e}"
    for key, want in _group(arrays, "final_aux:").items():
        np.testing.assert_allclose(aux[key].asnumpy(), want.asnumpy(), rtol=1e-4, atol=1e-6)


def test_module_fit_epochs_match_mxnet(fixtures_dir):
    """Module.fit over 3 epochs (padded last batch, acc + ce, validation) as MXNet 1.9.1."""
    meta, arrays = _load(fixtures_dir, "train-module-fit")
    sym = mx.sym.load_json(json.dumps(meta["symbol"]))
    bs = meta["batch_size"]
    train = mx.io.NDArrayIter(arrays["data"], arrays["label"], batch_size=bs)
    val = mx.io.NDArrayIter(arrays["val_data"], arrays["val_label"], batch_size=bs)
    mod = mx.mod.Module(sym)
    mod.fit(train, eval_data=val, eval_metric=meta["eval_metric"], num_epoch=meta["num_epoch"],
            optimizer=meta["optimizer"], optimizer_params=meta["optimizer_params"],
            arg_params=_group(arrays, "init:"))
    for kind in ("train", "validation"):
        for epoch, name_values in enumerate(meta["history"][kind]):
            for name, value in name_values:
                got = mod.history[kind][name][epoch]
                assert got == pytest.approx(value, rel=1e-5), (kind, epoch, name)
    arg, _ = mod.get_params()
    for key, want in _group(arrays, "final:").items():
        np.testing.assert_allclose(arg[key].asnumpy(), want.asnumpy(), rtol=1e-4, atol=1e-6)
