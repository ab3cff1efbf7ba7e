"""Metrics against NumPy formulas, with MXNet 1.9.1's batch conventions."""
import math

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError


def _batches(n_batches=3, n=8, k=4, seed=0):
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(n_batches):
        pred = rng.rand(n, k).astype(np.float32)
        pred /= pred.sum(axis=1, keepdims=True)
        label = rng.randint(0, k, n).astype(np.float32)
        out.append((label, pred))
    return out


def _feed(metric, batches):
    for label, pred in batches:
        metric.update([mx.nd.array(label)], [mx.nd.array(pred)])
    return metric.get()


def test_accuracy_argmax_over_axis1():
    batches = _batches()
    name, value = _feed(mx.metric.create("acc"), batches)
    correct = sum(int((p.argmax(1) == l).sum()) for l, p in batches)
    assert name == "accuracy"
    assert value == pytest.approx(correct / sum(len(l) for l, _ in batches))


def test_accuracy_label_shape_n1_and_class_predictions():
    m = mx.metric.Accuracy()
    m.update([mx.nd.array([[1], [0], [2]])], [mx.nd.array([[0.1, 0.9, 0], [1, 0, 0], [0, 1, 0]])])
    assert m.get()[1] == pytest.approx(2 / 3)
    m.reset()
    m.update([mx.nd.array([1, 2, 3])], [mx.nd.array([1, 2, 0])])   # same shape: compared directly
    assert m.get()[1] == pytest.approx(2 / 3) and m.num_inst == 3


def test_top_k_accuracy():
    batches = _batches(k=6)
    name, value = _feed(mx.metric.create("top_k_accuracy", top_k=3), batches)
    hits = sum(int(sum(l[i] in np.argsort(p[i])[-3:] for i in range(len(l)))) for l, p in batches)
    assert name == "top_k_accuracy_3"
    assert value == pytest.approx(hits / sum(len(l) for l, _ in batches))


@pytest.mark.parametrize("name,fn", [
    ("mse", lambda d: np.mean(d ** 2)),
    ("rmse", lambda d: np.sqrt(np.mean(d ** 2))),
    ("mae", lambda d: np.mean(np.abs(d))),
])
def test_regression_metrics_average_per_batch(name, fn):
    rng = np.random.RandomState(3)
    batches = [(rng.rand(n).astype(np.float32), rng.rand(n).astype(np.float32))
               for n in (4, 7, 9)]                  # unequal sizes: per-batch means differ
    m = mx.metric.create(name)
    for label, pred in batches:
        m.update([mx.nd.array(label)], [mx.nd.array(pred)])
    expect = np.mean([fn(l.astype(np.float64) - p) for l, p in batches])
    assert m.get() == (name, pytest.approx(expect, rel=1e-5))
    assert m.num_inst == 3


def test_cross_entropy_and_nll():
    batches = _batches()
    for name, shown in (("ce", "cross-entropy"), ("nll_loss", "nll-loss")):
        got = _feed(mx.metric.create(name), batches)
        total = sum(-np.log(p[np.arange(len(l)), l.astype(int)] + 1e-12).sum() for l, p in batches)
        assert got[0] == shown
        assert got[1] == pytest.approx(total / sum(len(l) for l, _ in batches), rel=1e-5)


def test_perplexity_with_ignore_label():
    label = np.array([0, 1, 1, 2], np.float32)
    pred = np.array([[.3, .7, 0], [0, 1, 0], [.4, .6, 0], [.2, .3, .5]], np.float32)
    m = mx.metric.Perplexity(ignore_label=2)
    m.update([mx.nd.array(label)], [mx.nd.array(pred)])
    expect = math.exp(-(np.log(.3) + np.log(1.0) + np.log(.6)) / 3)
    assert m.get()[1] == pytest.approx(expect, rel=1e-6)


def test_f1_macro_and_micro():
    rng = np.random.RandomState(5)
    batches = []
    for _ in range(3):
        pred = rng.rand(10, 2).astype(np.float32)
        batches.append((rng.randint(0, 2, 10).astype(np.float32), pred))

    def f1(l, p):
        pl = p.argmax(1)
        tp = ((pl == 1) & (l == 1)).sum()
        fp = ((pl == 1) & (l == 0)).sum()
        fn = ((pl == 0) & (l == 1)).sum()
        prec = tp / (tp + fp) if tp + fp else 0.
        rec = tp / (tp + fn) if tp + fn else 0.
        return 2 * prec * rec / (prec + rec) if prec + rec else 0.

    macro = _feed(mx.metric.F1(), batches)[1]
    assert macro == pytest.approx(np.mean([f1(l, p) for l, p in batches]))
    micro = _feed(mx.metric.F1(average="micro"), batches)[1]
    assert micro == pytest.approx(f1(np.concatenate([l for l, _ in batches]),
                                     np.concatenate([p for _, p in batches])))
    with pytest.raises(MXNetError, match="binary"):
        mx.metric.F1().update([mx.nd.array([0, 1, 2])], [mx.nd.array(np.eye(3))])


def test_loss_metric():
    m = mx.metric.Loss()
    m.update(None, [mx.nd.array([1, 2, 3]), mx.nd.array([[4, 5]])])
    assert m.get() == ("loss", pytest.approx(15 / 5))


def test_custom_metric_value_and_tuple():
    def mean_abs(label, pred):
        assert isinstance(label, np.ndarray) and isinstance(pred, np.ndarray)
        return float(np.abs(label - pred.ravel()).mean())

    m = mx.metric.create(mean_abs)
    m.update([mx.nd.array([1, 2])], [mx.nd.array([1.5, 2.5])])
    m.update([mx.nd.array([0])], [mx.nd.array([2])])
    assert m.get() == ("mean_abs", pytest.approx((0.5 + 2.0) / 2))
    lam = mx.metric.np(lambda l, p: (float(np.sum(l)), l.size))
    lam.update([mx.nd.array([1, 2, 3])], [mx.nd.array([0, 0, 0])])
    assert lam.get() == ("custom(<lambda>)", pytest.approx(2.0))


def test_composite_and_list_create():
    batches = _batches()
    comp = mx.metric.create(["acc", "ce"])
    names, values = _feed(comp, batches)
    assert names == ["accuracy", "cross-entropy"]
    assert values[0] == pytest.approx(_feed(mx.metric.Accuracy(), batches)[1])
    assert values[1] == pytest.approx(_feed(mx.metric.CrossEntropy(), batches)[1])
    assert comp.get_name_value() == list(zip(names, values))


def test_update_dict_selects_names():
    m = mx.metric.Accuracy(output_names=["out2"], label_names=["lab"])
    m.update_dict({"lab": mx.nd.array([1, 0])},
                  {"out1": mx.nd.array([[1, 0], [1, 0]]), "out2": mx.nd.array([[0, 1], [1, 0]])})
    assert m.get()[1] == 1.0


def test_reset_local_keeps_global():
    m = mx.metric.Accuracy()
    m.update([mx.nd.array([1, 1])], [mx.nd.array([[0, 1], [1, 0]])])
    m.reset_local()
    m.update([mx.nd.array([1])], [mx.nd.array([[0, 1]])])
    assert m.get()[1] == 1.0 and m.get_global()[1] == pytest.approx(2 / 3)


def test_empty_metric_is_nan_and_unknown_name():
    assert math.isnan(mx.metric.create("rmse").get()[1])
    with pytest.raises(MXNetError, match="metric.create: unknown metric 'accurcy'"):
        mx.metric.create("accurcy")
    with pytest.raises(MXNetError, match="does not match"):
        mx.metric.Accuracy().update([mx.nd.array([1])], [mx.nd.array([1]), mx.nd.array([1])])
