"""Data iterators: NDArrayIter batching modes, CSVIter and MNISTIter on small files."""
import gzip
import logging

import numpy as np
import pytest

import pybridge as mx
from pybridge.base import MXNetError


def _epoch(it):
    return [(b.data[0].asnumpy(), b.label[0].asnumpy() if b.label else None, b.pad) for b in it]


def _rows(x):
    return x[:, 0].astype(int).tolist()


def test_ndarrayiter_pad_mode():
    x = np.arange(10, dtype=np.float32).reshape(10, 1)
    it = mx.io.NDArrayIter(x, np.arange(10), batch_size=4)
    batches = _epoch(it)
    assert [_rows(d) for d, _, _ in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]
    assert [p for _, _, p in batches] == [0, 0, 2]
    it.reset()
    assert len(_epoch(it)) == 3


def test_ndarrayiter_pad_wraps_more_than_once():
    it = mx.io.NDArrayIter(np.arange(3, dtype=np.float32).reshape(3, 1), batch_size=8)
    (d, _, pad), = _epoch(it)
    assert _rows(d) == [0, 1, 2, 0, 1, 2, 0, 1] and pad == 5


def test_ndarrayiter_discard_mode():
    it = mx.io.NDArrayIter(np.arange(10).reshape(10, 1), batch_size=4, last_batch_handle="discard")
    assert [_rows(d) for d, _, _ in _epoch(it)] == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_ndarrayiter_roll_over_carries_remainder():
    x = np.arange(10).reshape(10, 1)
    it = mx.io.NDArrayIter(x, batch_size=4, last_batch_handle="roll_over")
    first = [_rows(d) for d, _, _ in _epoch(it)]
    it.reset()
    second = _epoch(it)
    assert first == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert [_rows(d) for d, _, _ in second] == [[8, 9, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]]
    assert second[0][2] == 2                       # MXNet reports the carried count as pad
    it.reset()
    assert [_rows(d) for d, _, _ in _epoch(it)] == first


def test_ndarrayiter_shuffle_repeats_under_mx_random_seed():
    x = np.arange(12, dtype=np.float32).reshape(12, 1)

    def two_epochs():
        mx.random.seed(7)
        it = mx.io.NDArrayIter(x, np.arange(12), batch_size=4, shuffle=True)
        ep1 = np.concatenate([d for d, _, _ in _epoch(it)])
        it.reset()
        return ep1, np.concatenate([d for d, _, _ in _epoch(it)])

    a1, a2 = two_epochs()
    b1, b2 = two_epochs()
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert sorted(a1.ravel().tolist()) == list(range(12)) and not np.array_equal(a1, a2)
    assert not np.array_equal(a1.ravel(), np.arange(12))


def test_ndarrayiter_labels_follow_data_when_shuffled():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    it = mx.io.NDArrayIter(x, x[:, 0] * 10, batch_size=5, shuffle=True)
    for d, l, _ in _epoch(it):
        np.testing.assert_array_equal(l, d[:, 0] * 10)


def test_ndarrayiter_names_shapes_and_dicts():
    it = mx.io.NDArrayIter({"b": np.zeros((6, 3)), "a": np.ones((6, 2, 2))},
                           {"lab": np.zeros(6)}, batch_size=4)
    assert [d.name for d in it.provide_data] == ["a", "b"]          # sorted, as MXNet
    assert it.provide_data[0].shape == (4, 2, 2) and it.provide_label[0].shape == (4,)
    assert it.provide_data[0].dtype == np.float32
    it2 = mx.io.NDArrayIter([np.zeros((5, 1)), np.ones((5, 1))], batch_size=5)
    assert [d.name for d in it2.provide_data] == ["_0_data", "_1_data"]
    it3 = mx.io.NDArrayIter(np.zeros((5, 1)), np.zeros(5), 5, data_name="x", label_name="y")
    assert (it3.provide_data[0].name, it3.provide_label[0].name) == ("x", "y")


def test_ndarrayiter_iter_next_protocol():
    it = mx.io.NDArrayIter(np.arange(6).reshape(6, 1), np.arange(6), batch_size=3)
    seen = []
    while it.iter_next():
        seen.append(_rows(it.getdata()[0].asnumpy()))
        assert it.getpad() == 0
    assert seen == [[0, 1, 2], [3, 4, 5]]


def test_ndarrayiter_bad_arguments():
    with pytest.raises(MXNetError, match="NDArrayIter.*last_batch_handle"):
        mx.io.NDArrayIter(np.zeros((4, 1)), batch_size=2, last_batch_handle="drop")
    with pytest.raises(MXNetError, match="NDArrayIter.*batch_size"):
        mx.io.NDArrayIter(np.zeros((4, 1)), batch_size=0)
    with pytest.raises(MXNetError, match="NDArrayIter.*'softmax_label' has 3"):
        mx.io.NDArrayIter(np.zeros((4, 1)), np.zeros(3), batch_size=2)
    with pytest.raises(MXNetError, match="NDArrayIter"):
        mx.io.NDArrayIter("not an array", batch_size=2)


def test_databatch_and_datadesc():
    d = mx.io.DataDesc("data", (2, 3))
    assert d.name == "data" and d.shape == (2, 3) and d.dtype == np.float32 and d.layout == "NCHW"
    assert mx.io.DataDesc.get_batch_axis("TNC") == 1
    b = mx.io.DataBatch([mx.nd.ones((2, 3))], [mx.nd.zeros((2,))], pad=1)
    assert "data shapes: [(2, 3)]" in str(b)
    with pytest.raises(MXNetError, match="DataBatch"):
        mx.io.DataBatch(mx.nd.ones((2, 3)))


def _csv(path, rows):
    path.write_text("\n".join(",".join(str(v) for v in r) for r in rows) + "\n")
    return str(path)


def test_csviter_round_batch_like_mxnet_docs(tmp_path):
    rows = [[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]]
    data = _csv(tmp_path / "d.csv", rows)
    it = mx.io.CSVIter(data_csv=data, data_shape=(3,), batch_size=3)
    first = _epoch(it)
    assert [d[:, 0].tolist() for d, _, _ in first] == [[1, 2, 3], [4, 1, 2]]
    assert [p for _, _, p in first] == [0, 2]
    assert first[0][1].tolist() == [0, 0, 0]                       # no label_csv: zeros
    it.reset()
    assert [d[:, 0].tolist() for d, _, _ in _epoch(it)] == [[3, 4, 1]]


def test_csviter_no_round_batch_and_labels(tmp_path):
    rows = [[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]]
    data = _csv(tmp_path / "d.csv", rows)
    label = _csv(tmp_path / "l.csv", [[7], [8], [9], [10]])
    it = mx.io.CSVIter(data_csv=data, data_shape=(3,), label_csv=label, batch_size=3,
                       round_batch=False)
    batches = _epoch(it)
    assert [d[:, 0].tolist() for d, _, _ in batches] == [[1, 2, 3], [4, 2, 3]]
    assert batches[1][2] == 2 and batches[0][1].tolist() == [7, 8, 9]
    assert it.provide_label[0].shape == (3,) and it.provide_data[0].shape == (3, 3)
    it.reset()
    assert len(_epoch(it)) == 2


def test_csviter_reshape_and_errors(tmp_path):
    data = _csv(tmp_path / "d.csv", [list(range(6)), list(range(6, 12))])
    it = mx.io.CSVIter(data_csv=data, data_shape=(2, 3), batch_size=2)
    (d, _, _), = _epoch(it)
    np.testing.assert_array_equal(d, np.arange(12).reshape(2, 2, 3))
    with pytest.raises(MXNetError, match="CSVIter.*row-length=6"):
        mx.io.CSVIter(data_csv=data, data_shape=(4,), batch_size=2)
    with pytest.raises(MXNetError, match="CSVIter.*does not exist"):
        mx.io.CSVIter(data_csv=str(tmp_path / "missing.csv"), data_shape=(6,), batch_size=2)
    with pytest.raises(MXNetError, match="CSVIter.*batch_size"):
        mx.io.CSVIter(data_csv=data, data_shape=(6,))


def _idx_files(tmp_path, n=10, gz=False):
    rng = np.random.RandomState(0)
    imgs = rng.randint(0, 256, (n, 4, 5)).astype(np.uint8)
    labels = rng.randint(0, 10, n).astype(np.uint8)
    img_bytes = bytes([0, 0, 8, 3]) + b"".join(int(v).to_bytes(4, "big") for v in imgs.shape) \
        + imgs.tobytes()
    lab_bytes = bytes([0, 0, 8, 1]) + n.to_bytes(4, "big") + labels.tobytes()
    opener = gzip.open if gz else open
    ext = ".gz" if gz else ""
    ip, lp = tmp_path / f"img{ext}", tmp_path / f"lab{ext}"
    with opener(ip, "wb") as f:
        f.write(img_bytes)
    with opener(lp, "wb") as f:
        f.write(lab_bytes)
    return str(ip), str(lp), imgs, labels


def test_mnistiter_scaling_shapes_and_drop_last(tmp_path, caplog):
    ip, lp, imgs, labels = _idx_files(tmp_path)
    with caplog.at_level(logging.INFO):
        it = mx.io.MNISTIter(image=ip, label=lp, batch_size=4, shuffle=False)
    assert "MNISTIter: load 10 images" in caplog.text
    batches = _epoch(it)
    assert len(batches) == 2                                      # last 2 examples dropped
    assert batches[0][0].shape == (4, 1, 4, 5)
    np.testing.assert_allclose(batches[0][0][:, 0], imgs[:4] / 256.0, rtol=1e-7)
    np.testing.assert_array_equal(batches[1][1], labels[4:8])
    flat = mx.io.MNISTIter(image=ip, label=lp, batch_size=5, shuffle=False, flat=True, silent=True)
    assert flat.provide_data[0].shape == (5, 20) and flat.provide_label[0].shape == (5,)


def test_mnistiter_shuffle_keeps_pairs_and_accepts_r_style_names(tmp_path):
    ip, lp, imgs, labels = _idx_files(tmp_path, gz=True)
    it = mx.io.MNISTIter(**{"image": ip, "label": lp, "batch.size": 5, "shuffle": True,
                            "flat": True, "silent": True, "seed": 3, "data.shape": (20,)})
    got = _epoch(it)
    pairs = {tuple(imgs[i].ravel().tolist()): labels[i] for i in range(10)}
    for d, l, _ in got:
        for row, lab in zip(d, l):
            assert pairs[tuple((row * 256).round().astype(int).tolist())] == lab
    assert sorted(np.concatenate([l for _, l, _ in got]).tolist()) == sorted(labels.tolist())


def test_mnistiter_bad_file(tmp_path):
    bad = tmp_path / "bad"
    bad.write_bytes(b"\x00\x00\x09\x03abc")
    with pytest.raises(MXNetError, match="MNISTIter.*invalid mnist format"):
        mx.io.MNISTIter(image=str(bad), label=str(bad))
    with pytest.raises(MXNetError, match="MNISTIter.*cannot read"):
        mx.io.MNISTIter(image=str(tmp_path / "nope"), label=str(bad))


def test_resize_iter():
    base = mx.io.NDArrayIter(np.arange(6).reshape(6, 1), batch_size=2)
    it = mx.io.ResizeIter(base, 5)
    assert len(_epoch(it)) == 5
