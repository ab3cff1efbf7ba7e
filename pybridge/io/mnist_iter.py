"""``mx.io.MNISTIter``: the MNIST IDX files as batches, pixels scaled by 1/256 as MXNet."""
import gzip
import logging

import numpy as np

from ..base import MXNetError
from .record_iter import BatchedArrays, normalize_kwargs


def _read_idx(path, where, name):
    if not isinstance(path, str):
        raise MXNetError(f"{where}: '{name}' must be a file path, got {path!r}")
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise MXNetError(f"{where}: cannot read {name} file '{path}': {exc}") from None
    if len(raw) < 8:
        raise MXNetError(f"{where}: invalid mnist format in '{path}'")
    ndim = raw[3]
    if raw[2] != 0x08 or ndim not in (1, 3):
        raise MXNetError(f"{where}: invalid mnist format in '{path}' (not an unsigned-byte IDX "
                         f"file of 1 or 3 dimensions)")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    start = 4 + 4 * ndim
    count = int(np.prod(dims))
    if len(raw) < start + count:
        raise MXNetError(f"{where}: invalid mnist format in '{path}' (file is truncated)")
    return np.frombuffer(raw, np.uint8, count, start).reshape(dims)


def MNISTIter(**kwargs):
    """MNIST batches: data (batch, 1, 28, 28), or (batch, 784) with ``flat=True``; label (batch,).

    Parameters (MXNet's): image, label, batch_size=128, shuffle=True, flat=False, seed=0,
    silent=False, num_parts=1, part_index=0.  The last incomplete batch is dropped.  With
    ``shuffle`` the examples are permuted once, from ``seed`` (NumPy's generator; MXNet's
    C++ shuffle order is not reproduced).  Other keyword arguments are ignored, as MXNet.
    """
    where = "MNISTIter"
    kw = normalize_kwargs(kwargs)
    image = kw.get("image", "./train-images-idx3-ubyte")
    label_path = kw.get("label", "./train-labels-idx1-ubyte")
    images = _read_idx(image, where, "image")
    labels = _read_idx(label_path, where, "label")
    if images.ndim != 3 or labels.ndim != 1:
        raise MXNetError(f"{where}: 'image' must be a 3-d IDX file and 'label' a 1-d one")
    num_parts, part_index = int(kw.get("num_parts", 1)), int(kw.get("part_index", 0))
    if not 0 <= part_index < num_parts:
        raise MXNetError(f"{where}: part_index must be in [0, num_parts), got {part_index}")

    def part(count):
        return (int(count / num_parts * part_index), int(count / num_parts * (part_index + 1)))

    a, b = part(images.shape[0])
    images = images[a:b].astype(np.float32) * np.float32(1.0 / 256.0)
    a, b = part(labels.shape[0])
    labels = labels[a:b].astype(np.float32)
    if labels.shape[0] != images.shape[0]:
        raise MXNetError(f"{where}: {images.shape[0]} images but {labels.shape[0]} labels")
    shuffle = bool(kw.get("shuffle", True))
    if shuffle:
        order = np.random.RandomState(int(kw.get("seed", 0))).permutation(images.shape[0])
        images, labels = images[order], labels[order]
    flat = bool(kw.get("flat", False))
    rows, cols = images.shape[1:]
    data = images.reshape(-1, rows * cols) if flat else images.reshape(-1, 1, rows, cols)
    it = BatchedArrays(where, data, labels.reshape(-1, 1), kw.get("batch_size", 128),
                       round_batch=False, drop_last=True)
    if not bool(kw.get("silent", False)):
        logging.info("MNISTIter: load %d images, shuffle=%d, shape=%s", images.shape[0],
                     int(shuffle), it.provide_data[0].shape)
    return it
