"""mx.nd.save / mx.nd.load: MXNet's binary NDArray list format, and atomic writes.

Expected values come from outside our code: what real MXNet 1.9.1 loaded from each fixture
(tests/fixtures/serialization/mxnet-1.9.1-load.json, made by make_reference.py), facts stated
in the fixture READMEs and meta files, and byte layouts assembled here with ``struct`` from
the format description.
"""
import hashlib
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest

import pybridge as mx
from pybridge import MXNetError
from pybridge.fileio import atomic_write, write_bytes, write_text
from pybridge.ndarray import serialization as ser

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
REFERENCE = json.load(open(os.path.join(FIXTURES, "serialization", "mxnet-1.9.1-load.json")))
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

ALL_DTYPES = ["float32", "float64", "float16", "uint8", "int32", "int8", "int64", "bool"]
# The mshadow flag of each dtype, as MXNet's headers number them.
FLAGS = {"float32": 0, "float64": 1, "float16": 2, "uint8": 3, "int32": 4, "int8": 5,
         "int64": 6, "bool": 7}


def sha256_le(arr):
    arr = np.asarray(arr)
    return hashlib.sha256(arr.astype(arr.dtype.newbyteorder("<")).tobytes()).hexdigest()


def as_items(loaded):
    return list(loaded.items()) if isinstance(loaded, dict) else [(None, v) for v in loaded]


# ------------------------------------------------------------------ real MXNet fixtures
@pytest.mark.parametrize("rel", sorted(REFERENCE["files"]))
def test_fixture_loads_like_mxnet_1_9_1(rel):
    ref = REFERENCE["files"][rel]
    loaded = mx.nd.load(os.path.join(FIXTURES, rel))
    assert isinstance(loaded, dict if ref["kind"] == "dict" else list)
    items = as_items(loaded)
    if ref["kind"] == "dict":
        assert [k for k, _ in items] == ref["names"]
    assert len(items) == len(ref["arrays"])
    for (name, nd), want in zip(items, ref["arrays"]):
        assert isinstance(nd, mx.nd.NDArray)
        assert nd.context == mx.cpu()
        host = nd.asnumpy()
        assert host.dtype.name == want["dtype"], name
        assert list(host.shape) == want["shape"], name
        assert sha256_le(host) == want["sha256"], name
        if "values" in want:
            np.testing.assert_array_equal(host.astype(np.float64).reshape(-1), want["values"])


@pytest.mark.parametrize("rel", sorted(
    r for r in REFERENCE["files"] if r.startswith("mxnet-1.9.1/")) + [
    "serialization/bool-int-list.nd"])
def test_resaving_a_mxnet_file_reproduces_it_byte_for_byte(rel, tmp_path):
    # MXNet 1.9.1 wrote these (dense, V2, on the CPU): saving what we loaded must give
    # the very same bytes
    original = open(os.path.join(FIXTURES, rel), "rb").read()
    mx.nd.save(str(tmp_path / "again.nd"), mx.nd.load(os.path.join(FIXTURES, rel)))
    assert (tmp_path / "again.nd").read_bytes() == original


def test_dtypes_dict_has_every_dtype_in_the_readme():
    loaded = mx.nd.load(os.path.join(FIXTURES, "mxnet-1.9.1", "dtypes-dict.nd"))
    assert sorted(np.dtype(v.dtype).name for v in loaded.values()) == sorted(
        ["float32", "float64", "float16", "uint8", "int32", "int64", "int8"])


def test_legacy_v0_file_is_six_aranges():
    loaded = mx.nd.load(os.path.join(FIXTURES, "mxnet-legacy", "legacy_ndarray.v0"))
    assert isinstance(loaded, list) and len(loaded) == 6
    for nd in loaded:
        np.testing.assert_array_equal(nd.asnumpy(), np.arange(128, dtype=np.float32))


@pytest.mark.parametrize("name,epoch", [("mlp", 0), ("lenet", 3), ("resnet18-narrow", 0)])
def test_params_keys_and_shapes_match_the_symbol_meta(name, epoch):
    meta = json.load(open(os.path.join(FIXTURES, "mxnet-1.9.1", f"{name}-meta.json")))
    params = mx.nd.load(os.path.join(FIXTURES, "mxnet-1.9.1", f"{name}-{epoch:04d}.params"))
    arg_shapes = dict(zip(meta["arguments"], map(tuple, meta["arg_shapes"])))
    aux_shapes = dict(zip(meta["auxiliary_states"], map(tuple, meta["aux_shapes"])))
    inputs = {"data", "softmax_label"}
    want = {f"arg:{k}": s for k, s in arg_shapes.items() if k not in inputs}
    want.update({f"aux:{k}": s for k, s in aux_shapes.items()})
    assert {k: v.shape for k, v in params.items()} == want


def test_io_files_have_data_and_output():
    for name, batch in [("mlp", 8), ("lenet", 8), ("resnet18-narrow", 2)]:
        meta = json.load(open(os.path.join(FIXTURES, "mxnet-1.9.1", f"{name}-meta.json")))
        io = mx.nd.load(os.path.join(FIXTURES, "mxnet-1.9.1", f"{name}-io.nd"))
        assert io["data"].shape == tuple(meta["data_shape"])
        assert io["output"].shape == tuple(meta["out_shapes"][0])
        # a softmax output: rows are probabilities
        np.testing.assert_allclose(io["output"].asnumpy().sum(axis=1), np.ones(batch), rtol=1e-5)


def test_sparse_records_load_dense():
    loaded = mx.nd.load(os.path.join(FIXTURES, "serialization", "sparse-dict.nd"))
    rs = np.zeros((5, 3), np.float32)
    rs[[1, 3]] = np.arange(6, dtype=np.float32).reshape(2, 3)
    csr = np.zeros((3, 4), np.float32)
    csr[0, 0], csr[2, 2], csr[2, 1] = 1, 2, 3  # values (1,2,3), indices (0,2,1), indptr (0,1,1,3)
    np.testing.assert_array_equal(loaded["rs"].asnumpy(), rs)
    np.testing.assert_array_equal(loaded["csr"].asnumpy(), csr)


def test_npshape_file_scalar_and_empty():
    loaded = mx.nd.load(os.path.join(FIXTURES, "serialization", "npshape-scalar-empty.nd"))
    assert loaded["scalar"].shape == () and loaded["scalar"].asscalar() == np.float32(5.5)
    assert loaded["empty"].shape == (0, 3)
    assert loaded["m"].dtype == np.float64


# ------------------------------------------------------------------ the bytes we write
def v2_record(arr, magic=0xF993FAC9, dev=(1, 0)):
    arr = np.asarray(arr)
    return (struct.pack("<Iii", magic, 0, arr.ndim) + struct.pack(f"<{arr.ndim}q", *arr.shape)
            + struct.pack("<iii", dev[0], dev[1], FLAGS[arr.dtype.name])
            + arr.astype(arr.dtype.newbyteorder("<")).tobytes())


def list_file(records, names=()):
    out = struct.pack("<QQQ", 0x112, 0, len(records)) + b"".join(records)
    out += struct.pack("<Q", len(names))
    for n in names:
        out += struct.pack("<Q", len(n.encode())) + n.encode()
    return out


def test_written_bytes_follow_the_format(tmp_path):
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([-1, 2**40], dtype=np.int64)
    path = str(tmp_path / "x.nd")
    mx.nd.save(path, {"a": mx.nd.array(a), "bé": mx.nd.array(b, dtype="int64")})
    assert open(path, "rb").read() == list_file([v2_record(a), v2_record(b)], ["a", "bé"])
    mx.nd.save(path, [mx.nd.array(a)])
    assert open(path, "rb").read() == list_file([v2_record(a)])
    mx.nd.save(path, mx.nd.array(a))  # a single NDArray is a list of one
    assert open(path, "rb").read() == list_file([v2_record(a)])


def test_scalar_or_empty_makes_the_whole_file_v3():
    a, s = np.ones((2,), np.float32), np.array(3.0, np.float64)
    got = ser.save_tobuffer([mx.nd.array(a), mx.nd.array(s, dtype="float64")])
    assert got == list_file([v2_record(a, 0xF993FACA), v2_record(s, 0xF993FACA)])


def test_v1_record_is_read():
    # V1: magic 0xF993fac8, int32 ndim + int64 dims, no storage type.
    a = np.arange(4, dtype=np.float64).reshape(2, 2)
    rec = struct.pack("<Iiqq", 0xF993FAC8, 2, 2, 2) + struct.pack("<iii", 1, 0, 1) + a.tobytes()
    out = mx.nd.load_frombuffer(list_file([rec], ["w"]))
    np.testing.assert_array_equal(out["w"].asnumpy(), a)


def test_none_records_load_as_empty_arrays():
    # V2 with ndim 0, V3 with ndim -1: MXNet's "none" array; nothing follows the shape.
    recs = [struct.pack("<Iii", 0xF993FAC9, 0, 0), struct.pack("<Iii", 0xF993FACA, 0, -1),
            struct.pack("<I", 0)]  # V0 with ndim 0
    out = mx.nd.load_frombuffer(list_file(recs + [v2_record(np.ones(2, np.float32))]))
    assert [o.shape for o in out] == [(0,), (0,), (0,), (2,)]


def test_gpu_context_is_recorded_and_loads_on_cpu():
    rec = v2_record(np.ones(3, np.float32), dev=(2, 1))
    out = mx.nd.load_frombuffer(list_file([rec]))
    assert out[0].context == mx.cpu()


def test_load_frombuffer_accepts_bytes_bytearray_and_str():
    raw = open(os.path.join(FIXTURES, "mxnet-1.9.1", "list-unnamed.nd"), "rb").read()
    for buf in (raw, bytearray(raw), memoryview(raw), raw.decode("latin-1")):
        out = mx.nd.load_frombuffer(buf)
        assert [o.shape for o in out] == [(2, 3), (1,)]


# ------------------------------------------------------------------ round trips
def random_array(rng, dtype, shape):
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if np.issubdtype(np.dtype(dtype), np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, shape, endpoint=True, dtype=dtype)
    return (rng.standard_normal(shape) * 100).astype(dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 1, 3, 2, 2), (), (0,), (3, 0, 2)])
def test_round_trip_every_dtype_and_shape(tmp_path, dtype, shape):
    rng = np.random.default_rng(zlib.crc32(repr((dtype, shape)).encode()))
    host = random_array(rng, dtype, shape)
    path = str(tmp_path / "rt.nd")
    mx.nd.save(path, {"x": mx.nd.array(host, dtype=dtype)})
    back = mx.nd.load(path)["x"]
    assert back.dtype == np.dtype(dtype).type and back.shape == shape
    np.testing.assert_array_equal(back.asnumpy(), host)


def test_round_trip_list_dict_and_order(tmp_path):
    rng = np.random.default_rng(1)
    hosts = [random_array(rng, d, (3, 2)) for d in ALL_DTYPES]
    path = str(tmp_path / "rt.nd")
    mx.nd.save(path, [mx.nd.array(h, dtype=h.dtype) for h in hosts])
    back = mx.nd.load(path)
    assert isinstance(back, list) and len(back) == len(hosts)
    for b, h in zip(back, hosts):
        np.testing.assert_array_equal(b.asnumpy(), h)
    names = [f"arg:w{i}" for i in range(len(hosts))][::-1]
    mx.nd.save(path, dict(zip(names, (mx.nd.array(h, dtype=h.dtype) for h in hosts))))
    back = mx.nd.load(path)
    assert list(back) == names
    for n, h in zip(names, hosts):
        np.testing.assert_array_equal(back[n].asnumpy(), h)


def test_round_trip_empty_list_and_dict(tmp_path):
    path = str(tmp_path / "e.nd")
    mx.nd.save(path, [])
    assert mx.nd.load(path) == []
    mx.nd.save(path, {})
    assert mx.nd.load(path) == []  # MXNet cannot tell an empty dict from an empty list


def test_loaded_arrays_are_writable_copies():
    raw = bytearray(open(os.path.join(FIXTURES, "mxnet-1.9.1", "list-unnamed.nd"), "rb").read())
    out = mx.nd.load_frombuffer(raw)
    raw[:] = b"\0" * len(raw)
    np.testing.assert_array_equal(out[1].asnumpy(), [1.0])
    out[1][0] = 5
    assert out[1].asscalar() == 5


def test_save_accepts_pathlike(tmp_path):
    mx.nd.save(tmp_path / "p.nd", [mx.nd.ones((2,))])
    assert mx.nd.load(tmp_path / "p.nd")[0].shape == (2,)


# ------------------------------------------------------------------ bad input
def test_save_rejects_bad_data(tmp_path):
    path = str(tmp_path / "x.nd")
    with pytest.raises(MXNetError, match="save: data needs to either be a NDArray") as e:
        mx.nd.save(path, 5)
    assert isinstance(e.value, ValueError)
    with pytest.raises(MXNetError, match="save only accept dict str->NDArray") as e:
        mx.nd.save(path, {1: mx.nd.ones(1)})
    assert isinstance(e.value, TypeError)
    with pytest.raises(MXNetError, match="save only accept"):
        mx.nd.save(path, [mx.nd.ones(1), np.ones(1)])
    with pytest.raises(MXNetError, match="save: fname"):
        mx.nd.save(3, [])
    assert not os.path.exists(path)


def test_save_into_missing_directory(tmp_path):
    bad = str(tmp_path / "no" / "such" / "x.nd")
    with pytest.raises(MXNetError, match=r"save: cannot write file '.*x\.nd'"):
        mx.nd.save(bad, [mx.nd.ones(1)])


def test_load_missing_file_names_it(tmp_path):
    with pytest.raises(MXNetError, match=r"load: cannot open file '.*nope\.nd'"):
        mx.nd.load(str(tmp_path / "nope.nd"))
    with pytest.raises(MXNetError, match="load: fname required"):
        mx.nd.load(42)
    with pytest.raises(MXNetError, match="load_frombuffer: buf required"):
        mx.nd.load_frombuffer(42)


def test_every_truncation_is_reported():
    raw = open(os.path.join(FIXTURES, "mxnet-1.9.1", "dtypes-dict.nd"), "rb").read()
    for cut in range(len(raw)):
        with pytest.raises(MXNetError, match=r"^load_frombuffer: buffer is truncated"):
            mx.nd.load_frombuffer(raw[:cut])


def good_file():
    return list_file([v2_record(np.arange(6, dtype=np.float32).reshape(2, 3))], ["a"])


def patched(offset, fmt, value):
    raw = bytearray(good_file())
    struct.pack_into(fmt, raw, offset, value)
    return bytes(raw)


# offsets in good_file(): 0 list magic, 16 count, 24 record magic, 28 stype, 32 ndim,
# 36 dims (2 x int64), 52 dev_type, 56 dev_id, 60 dtype flag, 64 data (24 B), 88 name count
@pytest.mark.parametrize("offset,fmt,value,message", [
    (0, "<Q", 0x113, "not an MXNet NDArray file: bad magic 0x113"),
    (16, "<Q", 10**15, "claims 1000000000000000 arrays"),
    (28, "<i", 7, "unknown storage type 7"),
    (32, "<i", -3, "ndim -3"),
    (32, "<i", 1000, "ndim 1000"),
    (36, "<q", -2, "negative dim"),
    (36, "<q", 10**12, r"claims data of shape \(1000000000000, 3\)"),
    (44, "<q", 2**40, "is truncated"),
    (44, "<q", 2**55, r"shape \(2, 36028797018963968\), too large for any array"),
    (36, "<q", 0, "name count mismatch"),  # (0, 3) has no data: its 24 bytes are misread
    (60, "<i", 99, "unknown dtype flag 99"),
    (60, "<i", 12, "dtype bfloat16"),
    (88, "<Q", 2, "name count mismatch, 2 names for 1 arrays"),
    (96, "<Q", 2**63, "is truncated: name 0 needs 9223372036854775808 bytes"),
    (24, "<I", 0x12345678, "neither an NDArray magic"),
])
def test_hostile_headers_raise_clear_errors(offset, fmt, value, message):
    with pytest.raises(MXNetError, match="^load_frombuffer: buffer .*" + message):
        mx.nd.load_frombuffer(patched(offset, fmt, value))


@pytest.mark.parametrize("magic,dims", [(0xF993FAC9, (0, 2**40, 2**40)),
                                        (0xF993FACA, (0, 0x3B0919903B5DF18F))])  # fuzz finds
def test_zero_dim_does_not_hide_an_impossible_shape(magic, dims):
    # a shape with a 0 holds no data, but NumPy cannot describe one this large
    rec = struct.pack(f"<Iii{len(dims)}q", magic, 0, len(dims), *dims) + \
        struct.pack("<iii", 1, 0, 0)
    with pytest.raises(MXNetError, match="too large for any array"):
        mx.nd.load_frombuffer(list_file([rec]))


def test_hostile_header_in_a_file_names_load_and_the_file(tmp_path):
    path = tmp_path / "bad.nd"
    path.write_bytes(patched(60, "<i", 99))
    with pytest.raises(MXNetError, match=r"^load: file '.*bad\.nd' is corrupt: array 0 has "
                                         r"unknown dtype flag 99"):
        mx.nd.load(str(path))


def test_invalid_utf8_name():
    raw = good_file()[:-1] + b"\xff"
    with pytest.raises(MXNetError, match="name 0 is not valid UTF-8"):
        mx.nd.load_frombuffer(raw)


def test_hostile_sparse_records():
    # row_sparse with a row index past the end, and a csr whose dense form is enormous
    def rs(idx, shape=(3, 2), aux_flag=6):
        return (struct.pack("<Iii", 0xF993FAC9, 1, 2) + struct.pack("<qq", 1, 2)  # sshape
                + struct.pack("<iqq", 2, *shape) + struct.pack("<iii", 1, 0, 0)
                + struct.pack("<iiq", aux_flag, 1, 1)  # aux: int64, shape (1,)
                + np.ones(2, np.float32).tobytes() + struct.pack("<q", idx))
    np.testing.assert_array_equal(mx.nd.load_frombuffer(list_file([rs(2)]))[0].asnumpy(),
                                  [[0, 0], [0, 0], [1, 1]])
    with pytest.raises(MXNetError, match="row index out of range"):
        mx.nd.load_frombuffer(list_file([rs(3)]))
    with pytest.raises(MXNetError, match="has float64 sparse indices"):
        mx.nd.load_frombuffer(list_file([rs(0, aux_flag=1)]))
    with pytest.raises(MXNetError, match="dense form needs"):
        mx.nd.load_frombuffer(list_file([rs(0, shape=(10**9, 10**3))]))
    with pytest.raises(MXNetError, match="dense form needs 268435464 bytes"):
        mx.nd.load_frombuffer(list_file([rs(0, shape=(2**25 + 1, 2))]))  # just over the cap


# ------------------------------------------------------------------ atomic writes
def test_atomic_write_failure_keeps_old_file(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"old")
    with pytest.raises(RuntimeError):
        with atomic_write(str(path)) as f:
            f.write(b"new, partial")
            raise RuntimeError("boom")
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["f.bin"]  # the temporary file is gone


def test_atomic_write_replaces_and_keeps_mode(tmp_path):
    path = tmp_path / "f.txt"
    write_text(str(path), "één\n")
    assert path.read_text(encoding="utf-8") == "één\n"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask
    os.chmod(path, 0o640)
    write_bytes(str(path), b"two")
    assert path.read_bytes() == b"two" and stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["f.txt"]


def test_atomic_write_through_symlink(tmp_path):
    target = tmp_path / "target.nd"
    link = tmp_path / "link.nd"
    target.write_bytes(b"old")
    link.symlink_to(target)
    mx.nd.save(str(link), [mx.nd.ones((2,))])
    assert link.is_symlink()
    assert mx.nd.load(str(target))[0].shape == (2,)


def test_atomic_write_rejects_bad_mode(tmp_path):
    with pytest.raises(MXNetError, match="mode"):
        with atomic_write(str(tmp_path / "x"), mode="a"):
            pass


def test_sigkill_during_save_leaves_previous_file_loadable(tmp_path):
    path = tmp_path / "model.params"
    old = {"arg:w": mx.nd.array(np.arange(12, dtype=np.float32).reshape(3, 4))}
    mx.nd.save(str(path), old)
    before = path.read_bytes()
    # The child starts a big save (64 arrays of 1 MiB) and announces itself after writing
    # some records; the record writer then stalls so the kill lands mid-file.
    child = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {ROOT!r})
        import pybridge as mx
        from pybridge.ndarray import serialization as ser
        written = [0]
        original = ser._write_record
        def slow(f, nd, magic):
            original(f, nd, magic)
            written[0] += 1
            if written[0] == 8:
                f.flush()
                print("mid-write", flush=True)
                time.sleep(60)
        ser._write_record = slow
        mx.nd.save({str(path)!r}, [mx.nd.ones((512, 512)) for _ in range(64)])
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "mid-write"
        temps = [p for p in os.listdir(tmp_path) if p.endswith(".tmp")]
        assert len(temps) == 1 and os.path.getsize(tmp_path / temps[0]) > 8 * 2**20
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert path.read_bytes() == before
    np.testing.assert_array_equal(mx.nd.load(str(path))["arg:w"].asnumpy(),
                                  np.arange(12, dtype=np.float32).reshape(3, 4))


# ------------------------------------------------------------------ optional: real MXNet
@pytest.mark.skipif(not os.environ.get("MXNET_REF_PYTHON"),
                    reason="set MXNET_REF_PYTHON to a python with mxnet 1.9.1 to run")
def test_files_we_write_load_in_real_mxnet(tmp_path):
    rng = np.random.default_rng(7)
    cases = {
        "dict.nd": {f"arg:{d}": random_array(rng, d, (3, 5)) for d in ALL_DTYPES},
        "list.nd": [random_array(rng, d, (2, 2, 3)) for d in ALL_DTYPES],
        "npshape.nd": {"scalar": np.array(2.5, np.float32), "empty": np.zeros((0, 4), np.int32),
                       "m": np.ones((2, 3), np.float16)},
    }
    expected = {}
    for fname, data in cases.items():
        if isinstance(data, dict):
            mx.nd.save(str(tmp_path / fname), {k: mx.nd.array(v, dtype=v.dtype)
                                               for k, v in data.items()})
            items = list(data.items())
        else:
            mx.nd.save(str(tmp_path / fname), [mx.nd.array(v, dtype=v.dtype) for v in data])
            items = [(None, v) for v in data]
        expected[fname] = {
            "kind": "dict" if isinstance(data, dict) else "list",
            "names": [k for k, _ in items] if isinstance(data, dict) else [],
            "arrays": [{"dtype": v.dtype.name, "shape": list(v.shape), "sha256": sha256_le(v)}
                       for _, v in items]}
    script = textwrap.dedent(f"""
        import json, sys
        sys.path.insert(0, {os.path.join(FIXTURES, 'serialization')!r})
        from make_reference import describe
        out = {{f: describe({str(tmp_path)!r} + '/' + f, np_shape=f.startswith('np'))
               for f in {sorted(cases)!r}}}
        print(json.dumps(out))
    """)
    got = json.loads(subprocess.run([os.environ["MXNET_REF_PYTHON"], "-c", script],
                                    capture_output=True, text=True, check=True).stdout)
    for fname, want in expected.items():
        for arr in got[fname]["arrays"]:
            arr.pop("values", None)
        assert got[fname] == want, fname


@pytest.mark.skipif(mx.num_gpus() == 0, reason="needs CuPy and a GPU")
def test_gpu_array_saves_with_its_context_and_loads_on_cpu(tmp_path):
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    path = str(tmp_path / "g.nd")
    mx.nd.save(path, [mx.nd.array(host, ctx=mx.gpu(0))])
    assert open(path, "rb").read() == list_file([v2_record(host, dev=(2, 0))])
    back = mx.nd.load(path)[0]
    assert back.context == mx.cpu()
    np.testing.assert_array_equal(back.asnumpy(), host)
