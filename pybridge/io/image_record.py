"""``mx.io.ImageRecordIter``: batches of images from a RecordIO file, MXNet 1.9.1 semantics.

Records are decoded with OpenCV as MXNet does (``imdecode`` in colour for 3 channels, grey for
1, unchanged for 4), augmented by ``image_augment.augment``, turned from BGR into RGB, then
``(pixel - mean) * scale / std`` (mean from ``mean_r/g/b`` or a mean image), optionally
mirrored, and returned NCHW float32.  ``round_batch`` (default) completes the last batch from
the start of the data (``pad`` says how many) and the next epoch resumes after them.

Where this differs from MXNet 1.9.1, on purpose: the shuffle order and random augmentations
come from NumPy generators (``seed``, ``seed_aug``), not MXNet's C++ streams; with
``round_batch=False`` the last batch reports its padding (MXNet 1.9.1 reports pad 0 there and
leaves those rows uninitialised: its parser computes the pad after marking the batch full);
with ``shuffle`` and no index file the whole partition is permuted (MXNet permutes within each
64 MB chunk).
"""
import logging
import os

import numpy as np

from ..base import MXNetError
from ..context import cpu
from ..ndarray.ndarray import NDArray
from .. import recordio
from .base import DataDesc
from .csv_iter import _shape
from .image_augment import AUG_PARAMS, augment
from .record_iter import BufferedBatches

_WHERE = "ImageRecordIter"
_RAND_MAGIC = 111          # MXNet seeds its generators from this constant plus the seeds

# name -> (default, type) of the iterator's own parameters (the augmenter's are AUG_PARAMS).
_PARAMS = {
    "path_imgrec": ("", str), "path_imgidx": ("", str), "path_imglist": ("", str),
    "aug_seq": ("aug_default", str), "label_width": (1, int), "batch_size": (None, int),
    "round_batch": (True, bool), "shuffle": (False, bool), "seed": (0, int),
    "seed_aug": (None, int), "num_parts": (1, int), "part_index": (0, int),
    "mirror": (False, bool), "rand_mirror": (False, bool), "mean_img": ("", str),
    "mean_r": (0.0, float), "mean_g": (0.0, float), "mean_b": (0.0, float),
    "mean_a": (0.0, float), "std_r": (1.0, float), "std_g": (1.0, float),
    "std_b": (1.0, float), "std_a": (1.0, float), "scale": (1.0, float),
    "max_random_contrast": (0.0, float), "max_random_illumination": (0.0, float),
    "verbose": (True, bool), "dtype": ("float32", str), "data_name": ("data", str),
    "label_name": ("softmax_label", str),
    # accepted for compatibility; decoding here is sequential and unbuffered
    "preprocess_threads": (4, int), "prefetch_buffer": (4, int), "device_id": (0, int),
    "ctx": ("gpu", str), "shuffle_chunk_size": (0, int), "shuffle_chunk_seed": (0, int),
}


class _Params:
    pass


def _convert(name, value, kind):
    if value is None:
        return None
    try:
        if kind is bool:
            if isinstance(value, str):
                low = value.strip().lower()
                if low not in ("true", "false", "1", "0"):
                    raise ValueError
                return low in ("true", "1")
            return bool(value)
        if kind is int:
            if isinstance(value, bool) or float(value) != int(float(value)):
                raise ValueError
            return int(float(value))
        if kind is float:
            return float(value)
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        if not isinstance(value, str):
            raise ValueError
        return value
    except (TypeError, ValueError):
        raise MXNetError(f"{_WHERE}: invalid value for '{name}': expected "
                         f"{kind.__name__}, got {value!r}") from None


def _parse(kwargs):
    kw = {k.replace(".", "_"): v for k, v in kwargs.items()}
    p = _Params()
    for table in (_PARAMS, AUG_PARAMS):
        for name, (default, kind) in table.items():
            setattr(p, name, _convert(name, kw.get(name, default), kind))
    for req in ("path_imgrec", "data_shape", "batch_size"):
        if kw.get(req) is None or (req == "path_imgrec" and kw[req] == ""):
            raise MXNetError(f"{_WHERE}: required parameter '{req}' is missing")
    p.data_shape = _shape(_WHERE, "data_shape", kw["data_shape"])
    if len(p.data_shape) != 3 or p.data_shape[0] not in (1, 3, 4):
        raise MXNetError(f"{_WHERE}: data_shape must be (channels, height, width) with 1, 3 or "
                         f"4 channels, got {tuple(p.data_shape)}")
    if p.batch_size < 1 or p.label_width < 1:
        raise MXNetError(f"{_WHERE}: batch_size and label_width must be positive, got "
                         f"{p.batch_size} and {p.label_width}")
    if not 0 <= p.part_index < p.num_parts:
        raise MXNetError(f"{_WHERE}: part_index must be in [0, num_parts), got {p.part_index}")
    if p.aug_seq != "aug_default":
        raise MXNetError(f"{_WHERE}: aug_seq '{p.aug_seq}' is not supported (only "
                         f"'aug_default')")
    if p.dtype != "float32":
        raise MXNetError(f"{_WHERE}: dtype '{p.dtype}' is not supported; only float32")
    if not (0 <= p.inter_method <= 4 or p.inter_method in (9, 10)):
        raise MXNetError(f"{_WHERE}: invalid inter_method {p.inter_method}: valid values are "
                         f"0, 1, 2, 3, 4, 9, 10")
    for name in ("path_imgrec", "path_imgidx", "path_imglist"):
        path = getattr(p, name)
        if path and not os.path.isfile(path):
            raise MXNetError(f"{_WHERE}: {name} '{path}' does not exist")
    return p


def _record_offsets(p):
    """Byte offsets of this partition's records, in file order."""
    if p.path_imgidx:
        rec = recordio.MXIndexedRecordIO(p.path_imgidx, p.path_imgrec, "r")
        offsets = sorted(rec.idx.values())
        rec.close()
        step = -(-len(offsets) // p.num_parts)
        return offsets[step * p.part_index: step * (p.part_index + 1)]
    rec = recordio.MXRecordIO(p.path_imgrec, "r")
    offsets = []
    while True:
        pos = rec.tell()
        if rec.read() is None:
            break
        offsets.append(pos)
    rec.close()
    # byte ranges as dmlc's InputSplit: a record belongs to the part its start falls in
    size = os.path.getsize(p.path_imgrec)
    step = -(-size // p.num_parts)
    lo, hi = step * p.part_index, step * (p.part_index + 1)
    return [o for o in offsets if lo <= o < hi]


def _read_imglist(p):
    labels = {}
    with open(p.path_imglist) as f:
        for n, line in enumerate(f, 1):
            fields = line.strip().split("\t")
            if len(fields) < p.label_width + 2:
                if fields == [""]:
                    continue
                raise MXNetError(f"{_WHERE}: line {n} of path_imglist '{p.path_imglist}' has "
                                 f"fewer than label_width={p.label_width} labels")
            labels[int(fields[0])] = np.array(fields[1:1 + p.label_width], np.float32)
    return labels


class ImageRecordIter(BufferedBatches):
    """Image batches (batch, channels, height, width) float32 from ``path_imgrec``."""

    def __init__(self, **kwargs):
        try:
            import cv2
        except ImportError:
            raise MXNetError(f"{_WHERE}: OpenCV is needed to decode images; install the "
                             f"'image' extra (pip install -e '.[image]')") from None
        self._cv2 = cv2
        p = self._p = _parse(kwargs)
        super().__init__(p.batch_size)
        self._offsets = _record_offsets(p)
        if not self._offsets:
            raise MXNetError(f"{_WHERE}: no records in '{p.path_imgrec}' (part {p.part_index} "
                             f"of {p.num_parts})")
        self._labels = _read_imglist(p) if p.path_imglist else None
        self._file = open(p.path_imgrec, "rb")
        self._order_rng = np.random.RandomState(_RAND_MAGIC + p.seed)
        self._aug_rng = np.random.RandomState(_RAND_MAGIC)
        c = p.data_shape[0]
        self._mean = np.array([p.mean_r, p.mean_g, p.mean_b, p.mean_a][:c] if c > 1 else
                              [p.mean_r], np.float32).reshape(-1, 1, 1)
        self._std = np.array([p.std_r, p.std_g, p.std_b, p.std_a][:c] if c > 1 else
                             [p.std_r], np.float32).reshape(-1, 1, 1)
        if p.verbose:
            logging.info("%s: %s, %d records", _WHERE, p.path_imgrec, len(self._offsets))
        if p.mean_img:
            self._mean = self._mean_image()
        self._where = _WHERE
        self._xbuf = np.zeros((p.batch_size,) + tuple(p.data_shape), np.float32)
        self._ybuf = np.zeros((p.batch_size, p.label_width), np.float32)
        self._index = np.zeros(p.batch_size, np.uint64)
        self._new_epoch()
        self._overflow = False
        self._pad = 0
        self._ready = False

    # --- descriptions ---------------------------------------------------------------------
    def _label_shape(self):
        w = self._p.label_width
        return (self.batch_size,) if w == 1 else (self.batch_size, w)

    @property
    def provide_data(self):
        return [DataDesc(self._p.data_name, self._xbuf.shape, np.float32)]

    @property
    def provide_label(self):
        return [DataDesc(self._p.label_name, self._label_shape(), np.float32)]

    # --- one image --------------------------------------------------------------------------
    def _load(self, pos):
        self._file.seek(pos)
        return recordio.unpack(recordio.read_record(self._file, self._p.path_imgrec))

    def _label_of(self, header):
        p = self._p
        if self._labels is not None:
            if int(header.id) not in self._labels:
                raise MXNetError(f"{_WHERE}: image {header.id} is not in path_imglist")
            return self._labels[int(header.id)]
        if header.flag > 0:
            if header.flag != p.label_width:
                raise MXNetError(f"{_WHERE}: rec file provide {header.flag}-dimensional label "
                                 f"but label_width is set to {p.label_width}")
            return header.label
        if p.label_width != 1:
            raise MXNetError(f"{_WHERE}: label_width must be 1 unless an imglist is provided "
                             f"or the rec file is packed with multi dimensional label")
        return np.float32(header.label)

    def _image(self, pos, rng, mean):
        """(C, H, W) float32 image, its label and id, for the record at byte ``pos``."""
        p, cv2 = self._p, self._cv2
        header, payload = self._load(pos)
        c, h, w = p.data_shape
        img = cv2.imdecode(np.frombuffer(payload, np.uint8), {1: 0, 3: 1, 4: -1}[c])
        if img is None:
            raise MXNetError(f"{_WHERE}: cannot decode the image of record {header.id} in "
                             f"'{p.path_imgrec}'")
        if c == 4 and (img.ndim != 3 or img.shape[2] != 4):
            raise MXNetError(f"{_WHERE}: Invalid image with index {header.id}. Expected 4 "
                             f"channels, got {1 if img.ndim == 2 else img.shape[2]}")
        label = self._label_of(header)
        res = augment(cv2, img, p, (h, w), rng)
        mirrored = (p.rand_mirror and rng.rand() < 0.5) or p.mirror
        contrast = np.float32((rng.rand() * p.max_random_contrast * 2
                               - p.max_random_contrast + 1) * p.scale)
        illumination = np.float32((rng.rand() * p.max_random_illumination * 2
                                   - p.max_random_illumination) * p.scale)
        chw = res.reshape(res.shape[0], res.shape[1], -1)
        if c >= 3:
            chw = chw[:, :, [2, 1, 0, 3][:c]]          # OpenCV's BGR(A) -> RGB(A)
        chw = chw.transpose(2, 0, 1).astype(np.float32)
        out = (chw - mean) * (contrast / self._std) + illumination / self._std
        if mirrored:
            out = out[:, :, ::-1]
        return out, label, header.id

    def _mean_image(self):
        """MXNet's mean image: loaded from ``mean_img``, or computed over the data and saved."""
        from ..ndarray import serialization
        path = self._p.mean_img
        if os.path.exists(path):
            loaded = serialization.load(path)
            arrays = list(loaded.values()) if isinstance(loaded, dict) else list(loaded)
            if len(arrays) != 1:
                raise MXNetError(f"{_WHERE}: Invalid mean image file format '{path}'")
            mean = arrays[0].asnumpy().astype(np.float32)
            if mean.shape != tuple(self._p.data_shape):
                raise MXNetError(f"{_WHERE}: mean image '{path}' has shape {mean.shape}, "
                                 f"data_shape is {tuple(self._p.data_shape)}")
            return mean
        logging.info("%s: Cannot find %s: create mean image, this will take some time...",
                     _WHERE, path)
        total = None
        for pos in self._offsets:
            img = self._image(pos, self._aug_rng, self._mean)[0]
            total = img.copy() if total is None else total + img   # float32, in order
        mean = total * np.float32(1.0 / len(self._offsets))
        serialization.save(path, {"mean_img": NDArray(mean, cpu())})
        logging.info("%s: Save mean image to %s..", _WHERE, path)
        return mean

    # --- batches ----------------------------------------------------------------------------
    def _new_epoch(self):
        n = len(self._offsets)
        self._order = self._order_rng.permutation(n) if self._p.shuffle else np.arange(n)
        self._cursor = 0

    def reset(self):
        if self._p.round_batch and self._overflow:
            self._overflow = False      # resume after the examples that completed the batch
        else:
            self._new_epoch()
        self._ready = False

    def iter_next(self):
        p = self._p
        self._ready = False
        self._pad = 0
        if self._overflow:
            return False
        take = list(self._order[self._cursor:self._cursor + p.batch_size])
        self._cursor += len(take)
        if not take:
            return False
        if len(take) < p.batch_size:
            if p.round_batch:
                if len(self._order) < p.batch_size:
                    raise MXNetError(f"{_WHERE}: number of input images must be bigger than "
                                     f"the batch size")
                self._pad = p.batch_size - len(take)
                self._new_epoch()
                take += list(self._order[:self._pad])
                self._cursor = self._pad
                self._overflow = True
            else:
                self._pad = p.batch_size - len(take)   # remaining rows keep the last batch's
        for row, k in enumerate(take):
            rng = self._aug_rng
            if p.seed_aug is not None:
                rng = np.random.RandomState(row + p.seed_aug + _RAND_MAGIC)
            img, label, ident = self._image(self._offsets[k], rng, self._mean)
            self._xbuf[row] = img
            self._ybuf[row] = label
            self._index[row] = ident
        self._ready = True
        return True

    def __del__(self):
        f = getattr(self, "_file", None)
        if f is not None:
            f.close()
