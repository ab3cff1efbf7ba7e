"""Write tests/fixtures/mxnet-1.9.1/train-bucketing.nd/.json with real MXNet 1.9.1.

    /tmp/mxnet-ref/bin/python tests/make_bucketing_reference.py

(the reference environment comes from tools/mxnet-reference.sh).  Not a test;
tests/test_bucketing.py imports ``make_sym_gen`` so both engines build the same graph.
It records ``mx.mod.BucketingModule`` training a small recurrent network
unrolled to three sequence lengths (buckets 3, 5 and 8; default bucket 8), whose weights are
shared across the buckets:

* ``steps``: bind, ``init_params`` overwritten with saved values, SGD with momentum and weight
  decay, then forward/backward/update over batches whose buckets come in a mixed order; the
  output of each forward (``stepK:output``) and the parameters at the end (``final:NAME``).
* ``fit``: ``BucketingModule.fit`` for two epochs on an iterator of bucketed batches, with
  validation; the per-epoch metric values and the final parameters (``fit_final:NAME``).

tests/test_bucketing.py replays both with the engine.
"""
import json
import os

import numpy as np

HERE = os.path.join(os.path.dirname(__file__), "fixtures", "mxnet-1.9.1")
VOCAB, EMBED, HIDDEN, CLASSES, BATCH = 12, 6, 7, 4, 5
BUCKETS = (3, 5, 8)


def make_sym_gen(mx):
    """``sym_gen`` for the engine ``mx`` (real MXNet or pybridge)."""
    return lambda seq_len: sym_gen(mx, seq_len)


def sym_gen(mx, seq_len):
    """Embedding, an Elman recurrence unrolled ``seq_len`` steps with shared weights, softmax."""
    data = mx.sym.Variable("data")
    label = mx.sym.Variable("softmax_label")
    embed = mx.sym.Embedding(data, input_dim=VOCAB, output_dim=EMBED, name="embed")
    steps = mx.sym.split(embed, num_outputs=seq_len, axis=1, squeeze_axis=True, name="steps")
    i2h_w, i2h_b = mx.sym.Variable("i2h_weight"), mx.sym.Variable("i2h_bias")
    h2h_w, h2h_b = mx.sym.Variable("h2h_weight"), mx.sym.Variable("h2h_bias")
    hidden = None
    for t in range(seq_len):
        pre = mx.sym.FullyConnected(steps[t], weight=i2h_w, bias=i2h_b, num_hidden=HIDDEN,
                                    name=f"t{t}_i2h")
        if hidden is not None:
            pre = pre + mx.sym.FullyConnected(hidden, weight=h2h_w, bias=h2h_b,
                                              num_hidden=HIDDEN, name=f"t{t}_h2h")
        hidden = mx.sym.Activation(pre, act_type="tanh", name=f"t{t}_h")
    out = mx.sym.FullyConnected(hidden, num_hidden=CLASSES, name="cls")
    return mx.sym.SoftmaxOutput(out, label, name="softmax"), ("data",), ("softmax_label",)


def make_batches(rng, keys):
    """A bucketed batch per key: token ids and a label learnable from the last token."""
    batches = []
    for key in keys:
        data = rng.randint(0, VOCAB, (BATCH, key)).astype(np.float32)
        label = (data[:, -1] % CLASSES).astype(np.float32)
        batches.append((key, data, label))
    return batches


class BucketIter:
    """Batches in a fixed order, each with its bucket key and shapes (MXNet's protocol)."""

    def __init__(self, mx, batches):
        self.mx = mx
        self.batch_size = BATCH
        self.batches = batches
        self.default_bucket_key = max(BUCKETS)
        self.provide_data = [mx.io.DataDesc("data", (BATCH, self.default_bucket_key))]
        self.provide_label = [mx.io.DataDesc("softmax_label", (BATCH,))]
        self.cursor = 0

    def reset(self):
        self.cursor = 0

    def __iter__(self):
        return self

    def __next__(self):
        return self.next()

    def next(self):
        if self.cursor >= len(self.batches):
            raise StopIteration
        key, data, label = self.batches[self.cursor]
        self.cursor += 1
        mx = self.mx
        return mx.io.DataBatch([mx.nd.array(data)], [mx.nd.array(label)], pad=0, bucket_key=key,
                               provide_data=[mx.io.DataDesc("data", data.shape)],
                               provide_label=[mx.io.DataDesc("softmax_label", label.shape)])


def new_module(mx, init):
    mod = mx.mod.BucketingModule(make_sym_gen(mx), default_bucket_key=max(BUCKETS),
                                 context=mx.cpu())
    mod.bind(data_shapes=[("data", (BATCH, max(BUCKETS)))],
             label_shapes=[("softmax_label", (BATCH,))])
    mod.init_params(mx.init.Xavier(magnitude=2.0))
    if init is not None:
        mod.set_params({k: mx.nd.array(v) for k, v in init.items()}, {})
    return mod


def main():
    import mxnet as mx
    rng = np.random.RandomState(7)
    mx.random.seed(7)
    mod = new_module(mx, None)
    init = {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
    optimizer_params = {"learning_rate": 0.2, "momentum": 0.9, "wd": 0.001}
    mod.init_optimizer(optimizer="sgd", optimizer_params=optimizer_params)
    step_keys = [8, 3, 5, 3, 8, 5, 5, 3]
    step_batches = make_batches(rng, step_keys)
    arrays = {f"init:{k}": mx.nd.array(v) for k, v in init.items()}
    for i, (key, data, label) in enumerate(step_batches):
        batch = mx.io.DataBatch([mx.nd.array(data)], [mx.nd.array(label)], bucket_key=key,
                                provide_data=[mx.io.DataDesc("data", data.shape)],
                                provide_label=[mx.io.DataDesc("softmax_label", label.shape)])
        mod.forward(batch, is_train=True)
        arrays[f"step{i}:output"] = mod.get_outputs()[0].copy()
        mod.backward()
        mod.update()
        arrays[f"step{i}:data"] = mx.nd.array(data)
        arrays[f"step{i}:label"] = mx.nd.array(label)
    for k, v in mod.get_params()[0].items():
        arrays[f"final:{k}"] = v.copy()

    train = make_batches(rng, [3, 8, 5, 5, 3, 8, 3, 5, 8])
    val = make_batches(rng, [5, 3, 8])
    for i, (key, data, label) in enumerate(train):
        arrays[f"train{i}:data"], arrays[f"train{i}:label"] = mx.nd.array(data), mx.nd.array(label)
    for i, (key, data, label) in enumerate(val):
        arrays[f"val{i}:data"], arrays[f"val{i}:label"] = mx.nd.array(data), mx.nd.array(label)
    fit_mod = mx.mod.BucketingModule(make_sym_gen(mx), default_bucket_key=max(BUCKETS),
                                     context=mx.cpu())
    scores = {"train": [], "val": []}

    def record(kind):
        def callback(param):
            scores[kind].append(dict(param.eval_metric.get_name_value()))
        return callback

    fit_mod.fit(BucketIter(mx, train), eval_data=BucketIter(mx, val), eval_metric=["acc", "ce"],
                optimizer="sgd", optimizer_params=optimizer_params,
                arg_params={k: mx.nd.array(v) for k, v in init.items()}, aux_params={},
                num_epoch=2, eval_end_callback=record("val"))
    train_scores = fit_mod.score(BucketIter(mx, train), ["acc", "ce"])
    for k, v in fit_mod.get_params()[0].items():
        arrays[f"fit_final:{k}"] = v.copy()

    mx.nd.save(os.path.join(HERE, "train-bucketing.nd"), arrays)
    meta = {"buckets": list(BUCKETS), "default_bucket_key": max(BUCKETS), "batch_size": BATCH,
            "vocab": VOCAB, "embed": EMBED, "hidden": HIDDEN, "classes": CLASSES,
            "optimizer": "sgd", "optimizer_params": optimizer_params,
            "step_keys": step_keys, "train_keys": [b[0] for b in train],
            "val_keys": [b[0] for b in val], "fit_num_epoch": 2,
            "fit_validation": scores["val"], "fit_train_score_after": dict(train_scores),
            "mxnet": mx.__version__}
    with open(os.path.join(HERE, "train-bucketing.json"), "w") as f:
        json.dump(meta, f, indent=1)


if __name__ == "__main__":
    main()
