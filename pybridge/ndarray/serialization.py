"""``mx.nd.save`` / ``mx.nd.load``: MXNet's binary NDArray list format, little-endian.

File layout (MXNet 1.x, ``NDArray::Save`` of a list):

    uint64 0x112 (list magic) | uint64 reserved (0)
    uint64 count | count NDArray records
    uint64 name count (0 or count) | per name: uint64 length + UTF-8 bytes

NDArray record layouts, told apart by their first uint32:

    V2 0xF993fac9 / V3 0xF993faca:  int32 storage type | [sparse: storage shape]
        shape (int32 ndim, int64 dims) | context (int32 dev_type, int32 dev_id)
        int32 dtype flag | [sparse: per aux array int32 dtype flag + shape] | data | [aux data]
    V1 0xF993fac8:  shape (int32 ndim, int64 dims) | context | dtype flag | data
    V0 (no magic):  the uint32 is ndim, then uint32 dims | context | dtype flag | data

V2 treats ndim 0 as "no array" (MXNet's *none* NDArray: nothing follows the shape); V3 uses
NumPy shape semantics (ndim 0 is a scalar, -1 marks an unknown ndim or dim).  We write V2, as
MXNet 1.9.1 does by default, except that a list holding a 0-d or zero-size array is written
entirely as V3, since V2 cannot express those (real MXNet loads such a file inside
``mx.util.np_shape(True)``).  Sparse records (row_sparse, csr) are loaded as dense arrays.

Everything read from a file is checked before use: no allocation is larger than the bytes
the file still holds, so a hostile header cannot make us allocate 10^12 elements.
"""
import os
import struct

import numpy as np

from ..base import MXNetError
from ..context import cpu
from ..fileio import atomic_write
from .ndarray import NDArray

__all__ = ["save", "load", "load_frombuffer"]

LIST_MAGIC = 0x112
V1_MAGIC = 0xF993FAC8
V2_MAGIC = 0xF993FAC9
V3_MAGIC = 0xF993FACA

# mshadow type flags <-> NumPy dtypes (little-endian on disk).
FLAG_TO_DTYPE = {0: np.float32, 1: np.float64, 2: np.float16, 3: np.uint8, 4: np.int32,
                 5: np.int8, 6: np.int64, 7: np.bool_}
DTYPE_TO_FLAG = {np.dtype(t): f for f, t in FLAG_TO_DTYPE.items()}
# Flags MXNet defines but the engine has no dtype for (named in the error message).
_UNSUPPORTED_FLAGS = {8: "int16", 9: "uint16", 10: "uint32", 11: "uint64", 12: "bfloat16"}

# Storage types and how many auxiliary arrays each carries (row_sparse: row indices;
# csr: indptr, column indices).
_STYPES = {0: ("default", 0), 1: ("row_sparse", 1), 2: ("csr", 2)}

# A sparse record's dense form is not bounded by the file's size; cap it (raise this to load
# bigger sparse arrays from files you trust).
MAX_DENSIFIED_BYTES = 256 << 20

_MAX_NDIM = 32  # MXNet arrays never have more; anything larger is corruption
_MAX_EXTENT = 2**55  # times any itemsize stays below NumPy's limit; far above any real array


class _Reader:
    """Sequential little-endian reads from a byte buffer; every read is bounds-checked."""

    def __init__(self, buf, where, source):
        self.buf, self.pos = memoryview(buf), 0
        self.where, self.source = where, source
        self.context = "the file header"  # what is being read, for error messages

    def fail(self, problem):
        raise MXNetError(f"{self.where}: {self.source} {problem}")

    def remaining(self):
        return len(self.buf) - self.pos

    def take(self, nbytes, what):
        if nbytes > self.remaining():
            self.fail(f"is truncated: {self.context} needs {nbytes} bytes for {what} at offset "
                      f"{self.pos}, only {self.remaining()} left")
        out = self.buf[self.pos:self.pos + nbytes]
        self.pos += nbytes
        return out

    def unpack(self, fmt, what):
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self.take(size, what))

    def u32(self, what):
        return self.unpack("<I", what)[0]

    def i32(self, what):
        return self.unpack("<i", what)[0]

    def u64(self, what):
        return self.unpack("<Q", what)[0]


# ---------------------------------------------------------------------------- reading
def _check_dims(r, dims, what):
    if any(d < 0 for d in dims):
        r.fail(f"is corrupt: {r.context} has {what} {dims} with a negative dim")
    # NumPy cannot even describe a shape whose nonzero dims multiply past its size limit
    # (a zero dim elsewhere would make it "empty"); no real array comes near.
    extent = 1
    for d in dims:
        extent *= max(d, 1)
    if extent > _MAX_EXTENT:
        r.fail(f"is corrupt: {r.context} has {what} {dims}, too large for any array")
    return tuple(int(d) for d in dims)


def _read_shape(r, what, np_semantics=False):
    """A shape: int32 ndim then ndim int64 dims.

    Returns a tuple, or None for an unknown shape (V3's -1 markers)."""
    ndim = r.i32(f"the ndim of {what}")
    if np_semantics and ndim == -1:
        return None
    if ndim < 0 or ndim > _MAX_NDIM:
        r.fail(f"is corrupt: {r.context} has {what} with ndim {ndim} "
               f"(expected 0..{_MAX_NDIM})")
    dims = r.unpack(f"<{ndim}q", f"the {ndim} dims of {what}") if ndim else ()
    if np_semantics and -1 in dims:
        return None
    return _check_dims(r, dims, what)


def _dtype_of(r, flag, what="dtype flag"):
    if flag in FLAG_TO_DTYPE:
        return np.dtype(FLAG_TO_DTYPE[flag])
    if flag in _UNSUPPORTED_FLAGS:
        r.fail(f"holds an array of dtype {_UNSUPPORTED_FLAGS[flag]} (flag {flag}) in "
               f"{r.context}, which is not supported")
    r.fail(f"is corrupt: {r.context} has unknown {what} {flag}")


def _read_values(r, shape, dtype, what):
    """``prod(shape)`` values of ``dtype``; the size is checked against the bytes left
    before anything is allocated."""
    count = 1
    for d in shape:
        count *= d  # Python ints: no overflow, so a huge claim stays huge and is refused
    nbytes = count * dtype.itemsize
    if nbytes > r.remaining():
        r.fail(f"is truncated: {r.context} claims {what} of shape {shape} ({dtype.name}, "
               f"{nbytes} bytes) but only {r.remaining()} bytes are left")
    raw = r.take(nbytes, what)
    if dtype == np.bool_:  # any nonzero byte is True (NumPy would keep the raw byte)
        return (np.frombuffer(raw, dtype=np.uint8) != 0).reshape(shape)
    return np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)


def _read_context(r):
    dev_type, dev_id = r.unpack("<ii", "the context")
    # Like MXNet, the saved context is only informative: loaded arrays go on the CPU.
    return dev_type, dev_id


def _none_array():
    """MXNet's *none* NDArray (a record with no shape): an empty float32 array."""
    return NDArray(np.empty((0,), dtype=np.float32), cpu())


def _read_legacy(r, first_word):
    """V1 (int64 dims) or V0 (no magic: ``first_word`` is the uint32 ndim) record."""
    if first_word == V1_MAGIC:
        shape = _read_shape(r, "its shape")
    else:
        ndim = first_word
        if ndim > _MAX_NDIM:
            r.fail(f"is corrupt: {r.context} starts with {ndim:#x}, neither an NDArray magic "
                   f"number nor a plausible ndim of the legacy layout")
        shape = _check_dims(r, r.unpack(f"<{ndim}I", f"the {ndim} dims of its shape"),
                            "its shape")
    if len(shape) == 0:
        return _none_array()
    _read_context(r)
    dtype = _dtype_of(r, r.i32("the dtype flag"))
    return NDArray(_read_values(r, shape, dtype, "data"), cpu())


def _read_record(r):
    magic = r.u32("the record magic")
    if magic not in (V2_MAGIC, V3_MAGIC):
        return _read_legacy(r, magic)
    np_sem = magic == V3_MAGIC
    stype = r.i32("the storage type")
    if stype not in _STYPES:
        r.fail(f"is corrupt: {r.context} has unknown storage type {stype}")
    stype_name, n_aux = _STYPES[stype]
    if np_sem and n_aux:
        r.fail(f"is corrupt: {r.context} is a V3 (NumPy-shape) record with storage type "
               f"{stype_name}; V3 allows only dense arrays")
    storage_shape = _read_shape(r, "its storage shape", np_sem) if n_aux else None
    shape = _read_shape(r, "its shape", np_sem)
    if shape is None or (not np_sem and len(shape) == 0):
        return _none_array()
    _read_context(r)
    dtype = _dtype_of(r, r.i32("the dtype flag"))
    if not n_aux:
        return NDArray(_read_values(r, shape, dtype, "data"), cpu())
    aux_meta = []
    for i in range(n_aux):
        aux_dtype = _dtype_of(r, r.i32(f"aux dtype flag {i}"), "aux dtype flag")
        if aux_dtype.kind not in "iu":
            r.fail(f"is corrupt: {r.context} has {aux_dtype.name} sparse indices")
        aux_meta.append((aux_dtype, _read_shape(r, f"aux shape {i}")))
    values = _read_values(r, storage_shape, dtype, "sparse values")
    aux = [_read_values(r, s, t, f"aux array {i}") for i, (t, s) in enumerate(aux_meta)]
    return NDArray(_densify(r, stype_name, shape, values, aux), cpu())


def _densify(r, stype_name, shape, values, aux):
    """Dense array from a row_sparse or csr record, checking its indices."""
    dense_bytes = int(np.prod(shape, dtype=object)) * values.dtype.itemsize
    if dense_bytes > MAX_DENSIFIED_BYTES:
        r.fail(f"holds a {stype_name} array of shape {shape} whose dense form needs "
               f"{dense_bytes} bytes (limit {MAX_DENSIFIED_BYTES})")

    def bad(problem):
        r.fail(f"is corrupt: {r.context} ({stype_name}, shape {shape}) {problem}")

    if stype_name == "row_sparse":
        idx = aux[0].reshape(-1)
        if values.ndim != len(shape) or values.shape[1:] != shape[1:] \
                or values.shape[0] != idx.size:
            bad(f"has values of shape {values.shape} for {idx.size} row indices")
        if idx.size and (idx.min() < 0 or idx.max() >= shape[0]):
            bad("has a row index out of range")
        dense = np.zeros(shape, dtype=values.dtype)
        dense[idx.astype(np.int64)] = values
        return dense
    indptr, indices = aux[0].reshape(-1), aux[1].reshape(-1)
    if len(shape) != 2 or indptr.size != shape[0] + 1:
        bad(f"has {indptr.size} indptr entries")
    nnz = values.size
    if indices.size != nnz or indptr[0] != 0 or indptr[-1] != nnz or np.any(np.diff(indptr) < 0):
        bad("has inconsistent indptr/indices")
    if nnz and (indices.min() < 0 or indices.max() >= shape[1]):
        bad("has a column index out of range")
    dense = np.zeros(shape, dtype=values.dtype)
    rows = np.repeat(np.arange(shape[0]), np.diff(indptr).astype(np.int64))
    dense[rows, indices.astype(np.int64)] = values.reshape(-1)
    return dense


def _parse(buf, where, source):
    r = _Reader(buf, where, source)
    header, _reserved = r.unpack("<QQ", "the list header")
    if header != LIST_MAGIC:
        r.fail(f"is not an MXNet NDArray file: bad magic {header:#x} (expected {LIST_MAGIC:#x})")
    count = r.u64("the array count")
    # Every record takes at least 4 bytes: refuse a count the file cannot hold.
    if count > r.remaining() // 4:
        r.fail(f"is truncated: it claims {count} arrays but only {r.remaining()} bytes are left")
    arrays = []
    for i in range(count):
        r.context = f"array {i}"
        arrays.append(_read_record(r))
    r.context = "the name list"
    n_names = r.u64("the name count")
    if n_names not in (0, count):
        r.fail(f"is corrupt: name count mismatch, {n_names} names for {count} arrays")
    names = []
    for i in range(n_names):
        r.context = f"name {i}"
        length = r.u64("the name length")
        raw = r.take(length, "the name")
        try:
            names.append(bytes(raw).decode("utf-8"))
        except UnicodeDecodeError:
            r.fail(f"is corrupt: name {i} is not valid UTF-8")
    # Like MXNet, bytes after the name list are ignored.
    if not names:
        return arrays
    return dict(zip(names, arrays))


def load(fname):
    """Load a list of NDArrays, or a dict of str -> NDArray, from an MXNet NDArray file.

    The arrays are placed on ``mx.cpu()``.  Files written by MXNet 0.x-1.9 load."""
    if not isinstance(fname, (str, os.PathLike)):
        raise MXNetError(f"load: fname required to be a string, got {type(fname).__name__}")
    fname = os.fspath(fname)
    try:
        with open(fname, "rb") as f:
            buf = f.read()
    except OSError as exc:
        raise MXNetError(f"load: cannot open file '{fname}': {exc.strerror or exc}") from None
    return _parse(buf, "load", f"file '{fname}'")


def load_frombuffer(buf):
    """Load a list or dict of NDArrays from the bytes of an MXNet NDArray file."""
    if isinstance(buf, str):
        buf = buf.encode("latin-1")  # MXNet 1.x Python accepted a str holding raw bytes
    if not isinstance(buf, (bytes, bytearray, memoryview)):
        raise MXNetError(f"load_frombuffer: buf required to be a string or bytes, "
                         f"got {type(buf).__name__}")
    return _parse(buf, "load_frombuffer", "buffer")


# ---------------------------------------------------------------------------- writing
def _host_array(nd):
    """The array's values as a C-contiguous little-endian NumPy array (no copy on CPU)."""
    data = nd.handle
    if not isinstance(data, np.ndarray):
        data = data.get()  # CuPy -> host
    # (not np.ascontiguousarray: it turns a 0-d array into a 1-d one)
    return np.asarray(data, dtype=data.dtype.newbyteorder("<"), order="C")


def _write_record(f, nd, magic):
    host = _host_array(nd)
    flag = DTYPE_TO_FLAG.get(np.dtype(host.dtype.type))
    if flag is None:
        raise MXNetError(f"save: arrays of dtype {host.dtype.name} cannot be saved")
    ctx = nd.context
    f.write(struct.pack(f"<Iii{host.ndim}q", magic, 0, host.ndim, *host.shape))
    f.write(struct.pack("<iii", ctx.device_typeid, ctx.device_id, flag))
    if host.size:
        f.write(host.reshape(-1).view(np.uint8).data)


def _write_list(f, arrays, names):
    # V2 cannot express 0-d or zero-size arrays; such a list is written in V3.
    needs_v3 = any(a.ndim == 0 or a.size == 0 for a in arrays)
    magic = V3_MAGIC if needs_v3 else V2_MAGIC
    f.write(struct.pack("<QQQ", LIST_MAGIC, 0, len(arrays)))
    for nd in arrays:
        _write_record(f, nd, magic)
    f.write(struct.pack("<Q", len(names)))
    for name in names:
        raw = name.encode("utf-8")
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)


class _SaveTypeError(MXNetError, TypeError):
    """MXNet raises TypeError here; ours is also an MXNetError."""


class _SaveValueError(MXNetError, ValueError):
    """MXNet raises ValueError here; ours is also an MXNetError."""


def _arrays_and_names(data):
    if isinstance(data, NDArray):
        return [data], []
    if isinstance(data, dict):
        if any(not isinstance(k, str) for k in data) or \
                any(not isinstance(v, NDArray) for v in data.values()):
            raise _SaveTypeError("save: save only accept dict str->NDArray or list of NDArray")
        return list(data.values()), list(data.keys())
    if isinstance(data, (list, tuple)):
        if any(not isinstance(v, NDArray) for v in data):
            raise _SaveTypeError("save: save only accept dict str->NDArray or list of NDArray")
        return list(data), []
    raise _SaveValueError("save: data needs to either be a NDArray, dict of str, NDArray pairs "
                          "or a list of NDarrays.")


def save(fname, data):
    """Save an NDArray, a list of NDArrays or a dict of str -> NDArray to ``fname``.

    The file is replaced atomically: a crash mid-write leaves any previous file intact."""
    if not isinstance(fname, (str, os.PathLike)):
        raise MXNetError(f"save: fname required to be a string, got {type(fname).__name__}")
    arrays, names = _arrays_and_names(data)
    with atomic_write(os.fspath(fname), where="save") as f:
        _write_list(f, arrays, names)


def save_tobuffer(data):
    """The bytes ``save`` would write (handy for tests and in-memory transport)."""
    import io
    arrays, names = _arrays_and_names(data)
    out = io.BytesIO()
    _write_list(out, arrays, names)
    return out.getvalue()
