"""``mx.io.CSVIter``: batches from CSV files (one example per row), MXNet 1.x semantics."""
import os

import numpy as np

from ..base import MXNetError
from ..registry import Kind
from .record_iter import BatchedArrays, normalize_kwargs

_DTYPES = {"float32": np.float32, "int32": np.int32, "int64": np.int64}


def _read_csv(path, dtype, where, name):
    if not isinstance(path, str):
        raise MXNetError(f"{where}: '{name}' must be a file or directory path, got {path!r}")
    if os.path.isdir(path):
        files = sorted(os.path.join(path, f) for f in os.listdir(path)
                       if os.path.isfile(os.path.join(path, f)))
    elif os.path.isfile(path):
        files = [path]
    else:
        raise MXNetError(f"{where}: {name} '{path}' does not exist")
    parts = []
    for fname in files:
        try:
            arr = np.loadtxt(fname, delimiter=",", dtype=np.float64, ndmin=2)
        except ValueError as exc:
            raise MXNetError(f"{where}: cannot parse {name} '{fname}': {exc}") from None
        if arr.size:
            parts.append(arr)
    if not parts:
        raise MXNetError(f"{where}: {name} '{path}' holds no rows")
    widths = {p.shape[1] for p in parts}
    if len(widths) != 1:
        raise MXNetError(f"{where}: rows of {name} '{path}' have different lengths {sorted(widths)}")
    return np.concatenate(parts).astype(dtype)


def _shape(where, name, value):
    try:
        shape = Kind.shape(value)
    except ValueError as exc:
        raise MXNetError(f"{where}: invalid value for '{name}': {exc}") from None
    if not shape or any(d < 1 for d in shape):
        raise MXNetError(f"{where}: '{name}' must be a non-empty shape of positive sizes, "
                         f"got {value!r}")
    return shape


def CSVIter(**kwargs):
    """CSV rows reshaped to ``data_shape``; labels from ``label_csv`` (all 0 without it).

    Parameters (MXNet's): data_csv, data_shape, label_csv='NULL', label_shape=(1,),
    batch_size, round_batch=True, dtype='float32', data_name='data',
    label_name='softmax_label'.  Other keyword arguments are accepted and ignored, as MXNet.
    """
    where = "CSVIter"
    kw = normalize_kwargs(kwargs)
    for req in ("data_csv", "data_shape", "batch_size"):
        if req not in kw:
            raise MXNetError(f"{where}: required parameter '{req}' is missing")
    dtype_name = str(kw.get("dtype", "float32"))
    if dtype_name not in _DTYPES:
        raise MXNetError(f"{where}: dtype '{dtype_name}' is not supported for CSVIter; "
                         f"expected one of {', '.join(_DTYPES)}")
    dtype = _DTYPES[dtype_name]
    data_shape = _shape(where, "data_shape", kw["data_shape"])
    label_shape = _shape(where, "label_shape", kw.get("label_shape", (1,)))
    data = _read_csv(kw["data_csv"], dtype, where, "data_csv")
    if data.shape[1] != int(np.prod(data_shape)):
        raise MXNetError(f"{where}: The data size in CSV do not match size of shape: specified "
                         f"shape={data_shape}, the csv row-length={data.shape[1]}")
    label_csv = kw.get("label_csv", "NULL")
    if label_csv in (None, "NULL"):
        label = np.zeros((data.shape[0], 1), dtype)
        label_shape = (1,)
    else:
        label = _read_csv(label_csv, dtype, where, "label_csv")
        if label.shape[1] != int(np.prod(label_shape)):
            raise MXNetError(f"{where}: The data size in CSV do not match size of shape: "
                             f"specified shape={label_shape}, the csv row-length={label.shape[1]}")
        if label.shape[0] < data.shape[0]:
            raise MXNetError(f"{where}: Data CSV's row is smaller than the number of rows in "
                             f"label_csv")
        label = label[:data.shape[0]]
    it = BatchedArrays(where, data.reshape((-1,) + data_shape),
                       label.reshape((-1,) + label_shape), kw["batch_size"],
                       round_batch=kw.get("round_batch", True),
                       data_name=kw.get("data_name", "data"),
                       label_name=kw.get("label_name", "softmax_label"))
    return it
