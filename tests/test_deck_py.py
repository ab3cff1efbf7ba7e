"""examples/deck.py --smoke with our engine: what it prints and computes, checked independently.

Runs on the real MNIST/Fashion-MNIST IDX files when examples/get_data has fetched them into
data/, and always on small synthetic IDX files (ten classes, each a bright block in its own
place plus noise: learnable, so accuracy must rise above chance). Each run is one subprocess
with a 60 s limit.
"""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

REPO = pathlib.Path(__file__).resolve().parent.parent
DECK = REPO / "examples" / "deck.py"
REAL_DATA = REPO / "data"
TRAIN, TEST = 3000, 1000
# Experiments a round on 3,000 examples must lift clearly above chance (0.1); the lr 0.01
# LeNet and the lr 0.1 three-layer MLP on raw pixels barely move in one round, even in MXNet.
LEARNS = {"mlp_mnist": 0.5, "mlp_mnist_mxmlp": 0.5, "mlp_fmnist": 0.5, "lenet_fmnist_1": 0.25,
          "lenet_fmnist_10": 0.25, "lenet_mnist": 0.25, "finetune": 0.25}


def write_idx(path, array):
    """An unsigned-byte IDX file (MNIST's format), written independently of the engine."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + np.ascontiguousarray(array, dtype=np.uint8).tobytes())


def read_idx(path):
    raw = path.read_bytes()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def synthetic_data(root):
    rng = np.random.RandomState(7)
    for folder in ("mnist", "fashion"):
        (root / folder).mkdir(parents=True)
        for part, n in (("train", TRAIN), ("t10k", TEST)):
            labels = rng.randint(0, 10, n)
            images = rng.randint(0, 60, (n, 28, 28))
            for i, k in enumerate(labels):            # class k: a bright 8x8 block at its place
                r, c = 2 + 9 * (k // 4), 2 + 6 * (k % 4)
                images[i, r:r + 8, c:c + 8] += 190
            write_idx(root / folder / f"{part}-images-idx3-ubyte", images)
            write_idx(root / folder / f"{part}-labels-idx1-ubyte", labels)
    return root


def have_real_data():
    return all((REAL_DATA / d / f"{p}-{k}-idx{n}-ubyte").exists() for d in ("mnist", "fashion")
               for p in ("train", "t10k") for k, n in (("images", 3), ("labels", 1)))


@pytest.fixture(params=["synthetic", "real"])
def data_dir(request, tmp_path):
    if request.param == "real":
        if not have_real_data():
            pytest.skip("no MNIST/Fashion-MNIST IDX files in data/: run examples/get_data data")
        return REAL_DATA
    return synthetic_data(tmp_path / "data")


def run_smoke(data, tmp_path):
    out_json = tmp_path / "deck.json"
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", PYTHONUNBUFFERED="1")  # logs in order
    proc = subprocess.run([sys.executable, str(DECK), "--smoke", "--data", str(data),
                           "--out", str(tmp_path / "out"), "--json", str(out_json),
                           "--train-size", str(TRAIN), "--test-size", str(TEST)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=60, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:]
    return json.loads(out_json.read_text()), proc.stdout


def chunk_text(log, title):
    return log.split(f"==== {title} ====", 1)[1].split("\n==== ", 1)[0]


def test_deck_py_smoke(data_dir, tmp_path):
    res, log = run_smoke(data_dir, tmp_path)
    slides = res["slides"]
    assert res["engine"] == "pybridge"
    # The NDArray slides, against NumPy.
    a = np.arange(1, 6, dtype=np.float32)
    np.testing.assert_array_equal(slides["ones_times_2_plus_1"], np.full((2, 3), 3.0))
    np.testing.assert_allclose(slides["a_plus_1_over_a"], a + 1 / a, rtol=1e-6)
    np.testing.assert_allclose(slides["log_a_plus_10"], np.log(a + 10), rtol=1e-6)
    assert slides["random_normal_shape"] == [10]
    assert slides["dot_max_rel_err"] < 1e-5           # float32 dot vs NumPy's float64 product
    assert "[[3. 3. 3.]\n [3. 3. 3.]]" in chunk_text(log, "Configuration: test your installation")
    # The data as deck.py read it (through mx.io.MNISTIter), against the files read here.
    assert slides["mnist_shapes"] == [[TRAIN, 784], [TEST, 784]]
    for folder, key in (("mnist", "mnist_train_label_counts"),
                        ("fashion", "fmnist_train_label_counts")):
        labels = read_idx(pathlib.Path(data_dir) / folder / "train-labels-idx1-ubyte")[:TRAIN]
        assert slides[key] == np.bincount(labels, minlength=10).tolist()
    # Every experiment ran its one smoke round; those that learn beat chance clearly.
    exps = res["experiments"]
    assert set(exps) == {"mlp_mnist", "mlp_mnist_mxmlp", "mlp3_mnist", "mlp_fmnist",
                         "lenet_fmnist_1", "lenet_fmnist_10", "lenet_fmnist_lr001",
                         "lenet_mnist", "finetune", "scratch"}
    for name, exp in exps.items():
        assert exp["rounds"] == 1 and len(exp["epoch_s"]) == 1 and exp["epoch_s"][0] > 0, name
        assert 0.0 <= exp["val_acc"][0] <= 1.0, name
    for name, floor in LEARNS.items():
        assert exps[name]["val_acc"][0] > floor, (name, exps[name]["val_acc"])
    # FeedForward.create logs the validation line once per round, as MXNet.
    ff = chunk_text(log, "MLP on MNIST (FeedForward.create)")
    assert ff.count("Epoch[0] Validation-accuracy=") == 1, ff
    # Save, load, top-5 of the first test image; fine-tuning kept the convolutions.
    first_label = int(read_idx(pathlib.Path(data_dir) / "mnist" / "t10k-labels-idx1-ubyte")[0])
    assert slides["top5_true_label"] == first_label
    assert sorted(set(slides["top5"])) == sorted(slides["top5"]) and len(slides["top5"]) == 5
    assert all(0 <= k < 10 for k in slides["top5"])
    assert chunk_text(log, "Pre-trained model: save, load, predict the top-5 classes").count(
        "Predicted Top-classes: digit") == 5
    assert (tmp_path / "out" / "lenet-mnist-symbol.json").exists()
    assert (tmp_path / "out" / "lenet-mnist-0001.params").exists()
    assert slides["finetune_conv1_unchanged"] is True


def test_deck_py_rejects_finetune_without_its_base_model(tmp_path):
    proc = subprocess.run([sys.executable, str(DECK), "--only", "finetune"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "--only finetune needs lenet_mnist" in proc.stderr
