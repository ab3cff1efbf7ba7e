"""Shared machinery of the file iterators (CSVIter, MNISTIter): MXNet's batch loader.

``BatchedArrays`` turns whole in-memory arrays (one row per example) into fixed-size batches
the way MXNet's C++ ``BatchLoader`` does, including ``round_batch`` (the last batch is
completed from the start of the data and the next epoch resumes after those examples) and
the label flattening of ``MXDataIterGetLabel`` (a label batch of shape (N, 1) becomes (N,)).
"""
import numpy as np

from ..base import MXNetError
from ..context import cpu
from ..ndarray.ndarray import NDArray
from .base import DataBatch, DataDesc, DataIter


def normalize_kwargs(kwargs):
    """Keys as the engine spells them (R's ``batch.size`` is ``batch_size``)."""
    return {k.replace(".", "_"): v for k, v in kwargs.items()}


def positive_int(where, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer)) or \
            int(value) != value or value < 1:
        raise MXNetError(f"{where}: '{name}' must be a positive integer, got {value!r}")
    return int(value)


class BufferedBatches(DataIter):
    """The batch accessors of iterators that fill host buffers in ``iter_next``: ``_xbuf``
    and ``_ybuf`` (one row per example), ``_index``, ``_pad``, ``_ready``, ``_where`` (the name
    in messages) and ``_label_shape()``.  Each accessor returns a copy (MXNet hands out new
    arrays; the buffers are refilled by the next batch)."""

    def _check(self):
        if not self._ready:
            raise MXNetError(f"{self._where}: no current batch; call iter_next() first")

    def getdata(self):
        self._check()
        return [NDArray(self._xbuf.copy(), cpu())]

    def getlabel(self):
        self._check()
        return [NDArray(self._ybuf.reshape(self._label_shape()).copy(), cpu())]

    def getpad(self):
        return self._pad

    def getindex(self):
        return self._index.copy()

    def next(self):
        if not self.iter_next():
            raise StopIteration
        return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                         index=self.getindex(), provide_data=self.provide_data,
                         provide_label=self.provide_label)


class BatchedArrays(BufferedBatches):
    """Batches over ``data`` (N, ...) and ``label`` (N, ...) host arrays."""

    def __init__(self, where, data, label, batch_size, round_batch, drop_last=False,
                 data_name="data", label_name="softmax_label"):
        super().__init__(positive_int(where, "batch_size", batch_size))
        self._where = where
        self._x, self._y = data, label
        self._n = data.shape[0]
        if self._y.shape[0] != self._n:
            raise MXNetError(f"{where}: {self._n} data rows but {self._y.shape[0]} label rows")
        self.round_batch = bool(round_batch)
        self._drop_last = drop_last
        self.data_name, self.label_name = data_name, label_name
        self._xbuf = np.zeros((self.batch_size,) + data.shape[1:], data.dtype)
        self._ybuf = np.zeros((self.batch_size,) + label.shape[1:], label.dtype)
        self._index = np.zeros(self.batch_size, np.uint64)
        self._pos = 0
        self._overflow = 0
        self._pad = 0
        self._ready = False

    def _label_shape(self):
        shape = (self.batch_size,) + self._y.shape[1:]
        return shape[:1] if len(shape) == 2 and shape[1] == 1 else shape

    @property
    def provide_data(self):
        return [DataDesc(self.data_name, self._xbuf.shape, self._x.dtype.type)]

    @property
    def provide_label(self):
        return [DataDesc(self.label_name, self._label_shape(), self._y.dtype.type)]

    def reset(self):
        if not self.round_batch or self._overflow == 0:
            self._pos = 0
        else:
            self._overflow = 0
        self._ready = False

    def _copy(self, top, count):
        src = slice(self._pos, self._pos + count)
        self._xbuf[top:top + count] = self._x[src]
        self._ybuf[top:top + count] = self._y[src]
        self._index[top:top + count] = np.arange(self._pos, self._pos + count)
        self._pos += count

    def iter_next(self):
        self._pad = 0
        self._ready = False
        if self._overflow != 0:
            return False
        bs = self.batch_size
        if self._drop_last:
            if self._pos + bs > self._n:
                return False
            self._copy(0, bs)
            self._ready = True
            return True
        take = min(bs, self._n - self._pos)
        if take <= 0:
            return False
        self._copy(0, take)
        top = take
        if top < bs:
            if self.round_batch:
                self._pos = 0
                need = bs - top
                if need > self._n:
                    raise MXNetError(f"{self._where}: number of input must be bigger than "
                                     f"batch size")
                self._copy(top, need)
                self._overflow = need
                self._pad = need
            else:
                self._pad = bs - top    # the rest of the buffer keeps the previous batch's rows
        self._ready = True
        return True

