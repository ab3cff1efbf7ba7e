"""Module and FeedForward: the API, the training loop's conventions, callbacks and files."""
import logging

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError


def _softmax_net(num_hidden=3):
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=num_hidden, name="fc")
    return mx.sym.SoftmaxOutput(fc, name="softmax")


def _blobs(n=96, seed=0):
    """Three well-separated Gaussian blobs in 4-d."""
    rng = np.random.RandomState(seed)
    y = rng.randint(0, 3, n)
    centers = np.array([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]], np.float32)
    x = centers[y] + rng.randn(n, 4).astype(np.float32) * 0.3
    return x.astype(np.float32), y.astype(np.float32)


def _bound(batch=8, **kw):
    mod = mx.mod.Module(_softmax_net(), **kw)
    mod.bind(data_shapes=[("data", (batch, 4))], label_shapes=[("softmax_label", (batch,))])
    return mod


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def test_forward_backward_update_match_numpy_sgd():
    x, y = _blobs(8)
    rng = np.random.RandomState(1)
    w0 = rng.randn(3, 4).astype(np.float32) * 0.1
    b0 = rng.randn(3).astype(np.float32) * 0.1
    mod = _bound()
    mod.init_params(arg_params={"fc_weight": mx.nd.array(w0), "fc_bias": mx.nd.array(b0)})
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.5, "wd": 0.1})
    mod.forward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]), is_train=True)
    prob = _softmax(x @ w0.T + b0)
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), prob, rtol=1e-5, atol=1e-6)
    mod.backward()
    mod.update()
    grad_z = prob - np.eye(3)[y.astype(int)]          # SoftmaxOutput's gradient, unnormalized
    gw, gb = grad_z.T @ x / 8, grad_z.sum(0) / 8      # rescale_grad = 1/batch_size
    w1 = (1 - 0.5 * 0.1) * w0 - 0.5 * gw              # weight decay on the weight only
    b1 = b0 - 0.5 * gb
    arg, _ = mod.get_params()
    np.testing.assert_allclose(arg["fc_weight"].asnumpy(), w1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(arg["fc_bias"].asnumpy(), b1, rtol=1e-5, atol=1e-6)


def test_fit_learns_logs_and_keeps_history(caplog):
    x, y = _blobs()
    mx.random.seed(3)
    mod = mx.mod.Module(_softmax_net())
    train = mx.io.NDArrayIter(x, y, batch_size=16, shuffle=True)
    val = mx.io.NDArrayIter(x[:32], y[:32], batch_size=16)
    with caplog.at_level(logging.INFO):
        mod.fit(train, eval_data=val, num_epoch=4, optimizer_params={"learning_rate": 0.5},
                initializer=mx.init.Xavier())
    text = caplog.text
    for epoch in range(4):
        assert f"Epoch[{epoch}] Train-accuracy=" in text
        assert f"Epoch[{epoch}] Time cost=" in text
        assert f"Epoch[{epoch}] Validation-accuracy=" in text
    hist = mod.history
    assert len(hist["train"]["accuracy"]) == 4 and len(hist["validation"]["accuracy"]) == 4
    assert hist["train"]["accuracy"][-1] > 0.9
    score = dict(mod.score(val, "acc"))
    assert score["accuracy"] == pytest.approx(hist["validation"]["accuracy"][-1])
    pred = mod.predict(val).asnumpy()
    assert pred.shape == (32, 3)
    assert np.mean(pred.argmax(1) == y[:32]) == pytest.approx(score["accuracy"])


def test_fit_is_repeatable_under_mx_random_seed():
    x, y = _blobs()

    def run():
        mx.random.seed(11)
        mod = mx.mod.Module(_softmax_net())
        mod.fit(mx.io.NDArrayIter(x, y, batch_size=10, shuffle=True, last_batch_handle="roll_over"),
                num_epoch=2, initializer=mx.init.Uniform(0.1),
                optimizer="adam", optimizer_params={"learning_rate": 0.01})
        return {k: v.asnumpy() for k, v in mod.get_params()[0].items()}

    a, b = run(), run()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])


def test_callbacks_conventions_and_early_stop():
    x, y = _blobs(32)
    seen_batches, seen_epochs = [], []

    def batch_cb(param):
        seen_batches.append((param.epoch, param.nbatch))

    def epoch_cb(epoch, sym, arg, aux):
        seen_epochs.append(epoch)
        assert set(arg) == {"fc_weight", "fc_bias"}
        return epoch < 1                          # False after epoch 1: stop

    mod = mx.mod.Module(_softmax_net())
    mod.fit(mx.io.NDArrayIter(x, y, batch_size=16), num_epoch=5,
            batch_end_callback=batch_cb, epoch_end_callback=[epoch_cb])
    assert seen_epochs == [0, 1]
    assert seen_batches == [(0, 0), (0, 1), (1, 0), (1, 1)]   # Module: nbatch from 0


def test_custom_metric_callable_and_duck_typed_iterator():
    x, y = _blobs(24)

    class Plain:
        """An iterator written elsewhere: only reset/iter_next/getdata/getlabel/getpad."""
        def __init__(self):
            self.provide_data = [mx.io.DataDesc("data", (8, 4))]
            self.provide_label = [mx.io.DataDesc("softmax_label", (8,))]
            self.batch_size = 8
            self.pos = -8

        def reset(self):
            self.pos = -8

        def iter_next(self):
            self.pos += 8
            return self.pos < 24

        def getdata(self):
            return [mx.nd.array(x[self.pos:self.pos + 8])]

        def getlabel(self):
            return [mx.nd.array(y[self.pos:self.pos + 8])]

        def getpad(self):
            return 0

    calls = []

    def my_acc(label, pred):
        calls.append(label.shape)
        return float(np.mean(pred.argmax(1) == label))

    mod = mx.mod.Module(_softmax_net())
    mod.fit(Plain(), num_epoch=2, eval_metric=my_acc)
    assert len(calls) == 6 and "my_acc" in mod.history["train"]


def test_r_style_loop_and_reporter():
    x, y = _blobs(32)
    lines, batches, epochs = [], [], []
    model = mx.model.FeedForward(_softmax_net(), num_epoch=3, numpy_batch_size=16,
                                 learning_rate=0.3)

    def epoch_cb(epoch, sym, arg, aux):
        epochs.append((epoch, model_hist_len()))
        return True

    def model_hist_len():
        return len(model.history["validation"].get("accuracy", []))

    model.fit(x, y, eval_data=(x, y), reporter=mx.mod.RReporter(lines.append),
              style=mx.mod.loop.R, epoch_end_callback=epoch_cb,
              batch_end_callback=lambda p: batches.append(p.nbatch))
    assert lines[0] == "Start training with 1 devices"
    assert lines[1].startswith("[1] Train-accuracy=") and lines[2].startswith("[1] Validation-accuracy=")
    assert len(lines) == 7
    value = float(lines[1].split("=")[1])
    assert value == pytest.approx(model.history["train"]["accuracy"][0], rel=1e-14)
    assert batches[:2] == [1, 2]                   # R and FeedForward count batches from 1
    assert epochs == [(0, 1), (1, 2), (2, 3)]      # R: epoch callback after validation
    assert mx.mod.reporting.r_number(0.5) == "0.5" and mx.mod.reporting.r_number(1 / 3) == \
        "0.333333333333333"


def test_feedforward_create_predict_score_save_load(tmp_path, caplog):
    x, y = _blobs(50)
    mx.random.seed(0)
    with caplog.at_level(logging.INFO):
        model = mx.model.FeedForward.create(_softmax_net(), x, y, num_epoch=5,
                                            numpy_batch_size=20, learning_rate=0.5,
                                            momentum=0.9, initializer=mx.init.Xavier(),
                                            eval_data=(x, y))
    assert "Epoch[4] Validation-accuracy=" in caplog.text
    # MXNet 1.x FeedForward's own lines: start, a reset per epoch, no training metric line
    assert "Start training with [cpu(0)]" in caplog.text
    assert "Epoch[4] Resetting Data Iterator" in caplog.text
    assert "Train-accuracy" not in caplog.text and len(model.history["train"]["accuracy"]) == 5
    prob = model.predict(x)
    assert prob.shape == (50, 3)                   # padding of the last batch removed
    acc = model.score(mx.io.NDArrayIter(x, y, 20))
    assert acc == pytest.approx(np.mean(prob.argmax(1) == y)) and acc > 0.9
    prefix = str(tmp_path / "ff")
    model.save(prefix)
    loaded = mx.model.FeedForward.load(prefix, 5)
    np.testing.assert_allclose(loaded.predict(x), prob, rtol=1e-6)
    outs, data, label = model.predict(x, return_data=True)
    np.testing.assert_array_equal(data, x)
    np.testing.assert_array_equal(label, np.zeros(50))


def test_feedforward_epoch_size_spans_passes(caplog):
    x, y = _blobs(40)
    seen = []
    model = mx.model.FeedForward(_softmax_net(), num_epoch=2, epoch_size=3, numpy_batch_size=20)
    with caplog.at_level(logging.INFO):
        model.fit(x, y, batch_end_callback=lambda p: seen.append((p.epoch, p.nbatch)))
    assert seen == [(0, 1), (0, 2), (0, 3), (1, 1), (1, 2), (1, 3)]
    assert "Epoch[0] Resetting Data Iterator" in caplog.text


def test_module_checkpoint_round_trip_and_fixed_params(tmp_path):
    x, y = _blobs(16)
    mod = mx.mod.Module(_softmax_net(), fixed_param_names=["fc_bias"])
    mod.bind([("data", (8, 4))], [("softmax_label", (8,))])
    mod.init_params(mx.init.Xavier())
    bias0 = mod.get_params()[0]["fc_bias"].asnumpy().copy()
    mod.init_optimizer(optimizer_params={"learning_rate": 1.0})
    for k in range(2):
        mod.forward_backward(mx.io.DataBatch([mx.nd.array(x[8 * k:8 * k + 8])],
                                             [mx.nd.array(y[8 * k:8 * k + 8])]))
        mod.update()
    arg, _ = mod.get_params()
    np.testing.assert_array_equal(arg["fc_bias"].asnumpy(), bias0)
    prefix = str(tmp_path / "m")
    mod.save_checkpoint(prefix, 3, save_optimizer_states=True)
    back = mx.mod.Module.load(prefix, 3, load_optimizer_states=True)
    back.bind([("data", (8, 4))], [("softmax_label", (8,))], for_training=True)
    back.init_optimizer(optimizer_params={"learning_rate": 1.0})
    for key, value in arg.items():
        np.testing.assert_array_equal(back.get_params()[0][key].asnumpy(), value.asnumpy())
    batch = mx.io.DataBatch([mx.nd.array(x[:8])], [mx.nd.array(y[:8])])
    mod.forward(batch, is_train=False)
    back.forward(batch, is_train=False)
    np.testing.assert_array_equal(mod.get_outputs()[0].asnumpy(), back.get_outputs()[0].asnumpy())


def test_forward_reshapes_for_a_new_batch_size():
    mod = _bound(batch=8)
    mod.init_params()
    mod.forward(mx.io.DataBatch([mx.nd.ones((5, 4))]), is_train=False)
    assert mod.get_outputs()[0].shape == (5, 3)


def test_module_errors_name_the_problem():
    with pytest.raises(MXNetError, match="Module.*data_names.*'x'"):
        mx.mod.Module(_softmax_net(), data_names=["x"])
    mod = mx.mod.Module(_softmax_net())
    with pytest.raises(MXNetError, match="Module.init_params: call bind"):
        mod.init_params()
    mod = _bound()
    with pytest.raises(MXNetError, match="Module.init_params: fc_bias is not presented"):
        mod.init_params(arg_params={"fc_weight": mx.nd.zeros((3, 4))})
    mod.init_params()
    with pytest.raises(MXNetError, match="Module.update: call init_optimizer"):
        mod.update()
    with pytest.raises(MXNetError, match="fit: please specify number of epochs"):
        mx.mod.Module(_softmax_net()).fit(mx.io.NDArrayIter(np.zeros((4, 4)), np.zeros(4), 2))
    with pytest.raises(MXNetError, match="FeedForward.fit: y must be specified"):
        mx.model.FeedForward(_softmax_net(), num_epoch=1).fit(np.zeros((4, 4)))


def test_callback_helpers(tmp_path, caplog):
    x, y = _blobs(64)
    prefix = str(tmp_path / "cb")
    mod = mx.mod.Module(_softmax_net())
    with caplog.at_level(logging.INFO):
        mod.fit(mx.io.NDArrayIter(x, y, batch_size=8), num_epoch=2,
                batch_end_callback=[mx.callback.Speedometer(8, frequent=2),
                                    mx.callback.log_train_metric(4)],
                epoch_end_callback=mx.callback.do_checkpoint(prefix))
    assert "Speed:" in caplog.text and "samples/sec" in caplog.text
    assert "Iter[0] Batch[4] Train-accuracy=" in caplog.text
    sym, arg, aux = mx.model.load_checkpoint(prefix, 2)
    assert sorted(arg) == ["fc_bias", "fc_weight"]
    np.testing.assert_array_equal(arg["fc_weight"].asnumpy(),
                                  mod.get_params()[0]["fc_weight"].asnumpy())


def test_feedforward_feeds_iterator_label_to_auto_named_output():
    # the deck's nets end in an unnamed SoftmaxOutput (label 'softmaxoutput<k>_label') while
    # iterators provide 'softmax_label': MXNet R maps one onto the other
    x, y = _blobs(40)
    net = mx.sym.SoftmaxOutput(mx.sym.FullyConnected(mx.sym.Variable("data"), num_hidden=3))
    label_arg = [a for a in net.list_arguments() if a.endswith("label")][0]
    assert label_arg != "softmax_label"
    mx.random.seed(1)
    model = mx.model.FeedForward(net, num_epoch=6, learning_rate=0.5, numpy_batch_size=10,
                                 initializer=mx.init.Xavier())
    model.fit(mx.io.NDArrayIter(x, y, batch_size=10, shuffle=True))
    assert model.history["train"]["accuracy"][-1] > 0.9
    assert label_arg not in model.arg_params
    assert model.score(mx.io.NDArrayIter(x, y, batch_size=10)) > 0.9


def test_validation_with_another_batch_size_does_not_disturb_training():
    x, y = _blobs(48)

    def run(with_eval):
        mx.random.seed(5)
        mod = mx.mod.Module(_softmax_net())
        val = mx.io.NDArrayIter(x[:21], y[:21], batch_size=7) if with_eval else None
        mod.fit(mx.io.NDArrayIter(x, y, batch_size=16), eval_data=val, num_epoch=3,
                optimizer="sgd", optimizer_params={"learning_rate": 0.3, "momentum": 0.9})
        return mod

    plain, evaluated = run(False), run(True)
    for key, value in plain.get_params()[0].items():
        np.testing.assert_array_equal(evaluated.get_params()[0][key].asnumpy(), value.asnumpy())
    assert len(evaluated.history["validation"]["accuracy"]) == 3
    assert evaluated.data_shapes[0].shape == (7, 4)      # rebound for the last forward


R_VALUES = [2 / 3, 0.5, 1.0, 100000.0, 123456.0, 1e-5, 0.0001, 0.00012, 1234567.0, -2.5, 1e15,
            0.1 + 0.2, 1e-300, 0.9187, 12345678901234567.0]


def test_r_number_matches_r_as_character():
    import shutil
    import subprocess
    rscript = shutil.which("Rscript")
    if rscript is None:
        pytest.skip("R is not installed")
    code = "for (v in c(%s)) cat(as.character(v), '\\n')" % ", ".join(repr(v) for v in R_VALUES)
    out = subprocess.run([rscript, "-e", code], capture_output=True, text=True, timeout=60)
    want = out.stdout.split()
    assert len(want) == len(R_VALUES)
    assert [mx.mod.reporting.r_number(v) for v in R_VALUES] == want


def test_bad_arguments_give_mxnet_errors():
    with pytest.raises(MXNetError, match="Module: 'symbol' must be a Symbol"):
        mx.mod.Module("not a symbol")
    mod = _bound()
    mod.init_params()
    with pytest.raises(MXNetError, match="Module.forward: 'data_batch' must be a DataBatch"):
        mod.forward(None)
    with pytest.raises(MXNetError, match="Module.reshape: data shapes must be a list"):
        mod.reshape(3.5)
    it = mx.io.NDArrayIter(np.ones((8, 4), np.float32), np.zeros(8), 4)
    with pytest.raises(MXNetError, match="predict: 'num_batch'"):
        mod.predict(it, num_batch="two")
    with pytest.raises(MXNetError, match="get_outputs: 'merge_multi_context'"):
        mod.get_outputs(merge_multi_context="yes")
    with pytest.raises(MXNetError, match="Xavier: 'magnitude' must be a finite number"):
        mx.init.Xavier(magnitude="big")
    with pytest.raises(MXNetError, match="metric.create: a config dict needs a 'metric' key"):
        mx.metric.create({"name": "x"})
