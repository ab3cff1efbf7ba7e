"""Optimizer steps, metrics and schedules against values written by real MXNet 1.9.1.

The reference file is tests/fixtures/mxnet-1.9.1/training-components.json, made by
tests/make_training_reference.py in the MXNet 1.9.1 reference environment.
"""
import json
import pathlib

import numpy as np
import pytest

import pybridge as mx


REF = json.loads((pathlib.Path(__file__).parent / "fixtures" / "mxnet-1.9.1" /
                  "training-components.json").read_text())


@pytest.fixture(scope="module")
def ref():
    return REF


def _cases(section):
    return sorted(REF[section]["cases"] if section == "optimizers" else REF[section])


@pytest.mark.parametrize("key", _cases("optimizers"))
def test_optimizer_steps_match_mxnet(ref, key):
    case = ref["optimizers"]["cases"][key]
    upd = mx.optimizer.get_updater(mx.optimizer.create(case["name"], **case["kwargs"]))
    w = mx.nd.array(ref["optimizers"]["weight"])
    for g in ref["optimizers"]["grads"]:
        upd(0, mx.nd.array(g), w)
    want = np.array(case["final"], np.float32)
    np.testing.assert_allclose(w.asnumpy(), want, rtol=2e-6, atol=2e-7)


@pytest.mark.parametrize("key", _cases("metrics"))
def test_metric_values_match_mxnet(ref, key):
    case = ref["metrics"][key]
    m = mx.metric.create(case["name"], **case["kwargs"])
    for b in case["batches"]:
        m.update([mx.nd.array(b["label"])], [mx.nd.array(b["pred"])])
    name, value = m.get()
    assert name == case["result"][0]
    assert value == pytest.approx(case["result"][1], rel=1e-6)


@pytest.mark.parametrize("key", _cases("schedulers"))
def test_schedules_match_mxnet(ref, key):
    case = ref["schedulers"][key]
    klass = {"factor": mx.lr_scheduler.FactorScheduler,
             "multifactor": mx.lr_scheduler.MultiFactorScheduler,
             "poly": mx.lr_scheduler.PolyScheduler,
             "cosine": mx.lr_scheduler.CosineScheduler}[key]
    sched = klass(**case["kwargs"])
    np.testing.assert_allclose([sched(n) for n in range(len(case["lr"]))], case["lr"], rtol=1e-12)
