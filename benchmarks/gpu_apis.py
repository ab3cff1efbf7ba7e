"""The training APIs above the operators on a GPU, for gpu_check.py: each check runs the same
program on ``mx.cpu()`` and on the device and returns (largest relative error, detail).

* BucketingModule: the real-MXNet bucketed run of tests/fixtures/mxnet-1.9.1/train-bucketing.*
  (three buckets sharing weights, SGD with momentum), on the device, against the CPU and
  against MXNet 1.9.1's own final parameters;
* mx.rnn: a bidirectional 2-layer FusedRNNCell (the fused RNN operator) and a stack of
  LSTM/GRU cells unrolled with their default (inferred-shape) begin states, forward+backward;
* KVStore: values pushed from device arrays summed, then the optimizer run on push;
* autograd: recorded imperative computation and its gradients.
"""
import json
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))


def rel_err(got, want):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    return float(np.abs(got - want).max() / max(np.abs(want).max(), 1e-12))


def bucketing(mx, dev):
    import make_bucketing_reference as ref
    folder = ROOT / "tests" / "fixtures" / "mxnet-1.9.1"
    meta = json.loads((folder / "train-bucketing.json").read_text())
    arrays = {k: v.asnumpy() for k, v in mx.nd.load(str(folder / "train-bucketing.nd")).items()}
    init = {k[5:]: v for k, v in arrays.items() if k.startswith("init:")}
    runs = {}
    for ctx in (mx.cpu(), dev):
        mod = mx.mod.BucketingModule(ref.make_sym_gen(mx), meta["default_bucket_key"],
                                     context=ctx)
        mod.bind([("data", (meta["batch_size"], meta["default_bucket_key"]))],
                 [("softmax_label", (meta["batch_size"],))])
        mod.init_params(arg_params={k: mx.nd.array(v) for k, v in init.items()}, aux_params={})
        mod.init_optimizer(optimizer=meta["optimizer"], optimizer_params=meta["optimizer_params"])
        outs = []
        for i, key in enumerate(meta["step_keys"]):
            data, label = arrays[f"step{i}:data"], arrays[f"step{i}:label"]
            mod.forward(mx.io.DataBatch([mx.nd.array(data, ctx=ctx)], [mx.nd.array(label, ctx=ctx)],
                                        bucket_key=key,
                                        provide_data=[mx.io.DataDesc("data", data.shape)],
                                        provide_label=[mx.io.DataDesc("softmax_label",
                                                                      label.shape)]))
            outs.append(mod.get_outputs()[0].asnumpy())
            mod.backward()
            mod.update()
        runs[ctx] = outs, {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
    (cpu_outs, cpu_params), (dev_outs, dev_params) = runs[mx.cpu()], runs[dev]
    vs_cpu = max([rel_err(d, c) for d, c in zip(dev_outs, cpu_outs)] +
                 [rel_err(dev_params[k], cpu_params[k]) for k in cpu_params])
    vs_mxnet = max(rel_err(dev_params[k], arrays[f"final:{k}"]) for k in cpu_params)
    return max(vs_cpu, vs_mxnet), (f"{len(outs)} steps over buckets {sorted(set(meta['step_keys']))}: "
                                   f"vs CPU {vs_cpu:.1e}, final params vs MXNet 1.9.1 {vs_mxnet:.1e}")


def rnn_cells(mx, dev):
    worst, parts = 0.0, []
    for label, make, layout in (
            ("FusedRNNCell lstm 2 layers bidirectional",
             lambda: mx.rnn.FusedRNNCell(16, num_layers=2, mode="lstm", bidirectional=True,
                                         prefix="f_"), "TNC"),
            ("LSTMCell+GRUCell stack", lambda: _stack(mx), "NTC")):
        data = mx.sym.var("data")
        outputs, _ = make().unroll(6, data, layout=layout, merge_outputs=True)
        shape = (6, 4, 8) if layout == "TNC" else (4, 6, 8)
        results = {}
        for ctx in (mx.cpu(), dev):
            exe = outputs.simple_bind(ctx, data=shape)
            rng = np.random.default_rng(0)
            for name, arr in exe.arg_dict.items():
                arr[:] = (rng.standard_normal(arr.shape) * 0.3).astype(np.float32)
            out = exe.forward(is_train=True)[0]
            exe.backward(mx.nd.ones(out.shape, ctx=ctx))
            results[ctx] = [out.asnumpy()] + [g.asnumpy() for g in exe.grad_dict.values()]
        err = max(rel_err(d, c) for d, c in zip(results[dev], results[mx.cpu()]))
        worst = max(worst, err)
        parts.append(f"{label} {err:.1e}")
    return worst, "forward+backward vs CPU, default begin states: " + "; ".join(parts)


def _stack(mx):
    stack = mx.rnn.SequentialRNNCell()
    stack.add(mx.rnn.LSTMCell(16, prefix="l0_"))
    stack.add(mx.rnn.GRUCell(16, prefix="l1_"))
    return stack


def kvstore(mx, dev):
    rng = np.random.default_rng(1)
    pushes = [rng.standard_normal((4, 5)).astype(np.float32) for _ in range(3)]
    results = {}
    for ctx in (mx.cpu(), dev):
        kv = mx.kv.create("device")
        kv.init(3, mx.nd.zeros((4, 5), ctx=ctx))
        kv.push(3, [mx.nd.array(p, ctx=ctx) for p in pushes])
        summed = mx.nd.zeros((4, 5), ctx=ctx)
        kv.pull(3, out=summed)
        kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
        for p in pushes:
            kv.push(3, mx.nd.array(p, ctx=ctx))
        updated = mx.nd.zeros((4, 5), ctx=ctx)
        kv.pull(3, out=updated)
        results[ctx] = summed.asnumpy(), updated.asnumpy()
    sum_err = rel_err(results[dev][0], sum(pushes))
    upd_err = rel_err(results[dev][1], results[mx.cpu()][1])
    return max(sum_err, upd_err), (f"push of 3 device arrays summed {sum_err:.1e}; SGD momentum "
                                   f"on push vs CPU {upd_err:.1e}")


def autograd(mx, dev):
    rng = np.random.default_rng(2)
    x0 = rng.standard_normal((8, 5)).astype(np.float32)
    w0 = rng.standard_normal((5, 3)).astype(np.float32)
    grads = {}
    for ctx in (mx.cpu(), dev):
        x, w = mx.nd.array(x0, ctx=ctx), mx.nd.array(w0, ctx=ctx)
        x.attach_grad()
        w.attach_grad()
        with mx.autograd.record():
            y = mx.nd.softmax(mx.nd.tanh(mx.nd.dot(x, w)) * 2, axis=1)
            loss = (y * y).sum()
        loss.backward()
        grads[ctx] = x.grad.asnumpy(), w.grad.asnumpy()
    err = max(rel_err(d, c) for d, c in zip(grads[dev], grads[mx.cpu()]))
    return err, f"dot/tanh/softmax/sum recorded, gradients of both inputs vs CPU {err:.1e}"


CHECKS = [("BucketingModule training (real-MXNet fixture)", bucketing),
          ("mx.rnn cells unrolled", rnn_cells),
          ("KVStore with device arrays", kvstore),
          ("mx.autograd", autograd)]
