"""``mx.io.NDArrayIter``: batches from in-memory arrays, shuffled and sliced in bulk.

Arrays are kept whole; a batch is a slice (or, when shuffled, one gather with an index
vector) of each array, so an epoch costs one permutation and one copy per batch, with no
per-sample Python.  As in MXNet 1.x the examples are reshuffled at construction and at every
``reset``, each permutation applied on top of the previous order; the permutations come from
the engine's CPU generator (``mx.random.seed`` makes them repeat), where MXNet used
``numpy.random.shuffle``.
``last_batch_handle``: 'pad' fills the last batch from the start (``pad`` says how many),
'discard' drops it, 'roll_over' carries the remainder into the first batch of the next epoch.
``iter_next()`` and ``next()`` agree: a short last batch is never current ('discard' and
'roll_over'), where MXNet's ``iter_next`` returned True for it and only ``next`` refused it.
"""
from collections import OrderedDict

import numpy as np

from ..base import MXNetError
from ..ndarray.ndarray import NDArray, array
from .base import DataBatch, DataDesc, DataIter

_HANDLES = ("pad", "discard", "roll_over")


def _init_data(data, allow_empty, default_name, where):
    """``[(name, NDArray)]`` sorted by name, from an array, a list or a dict of arrays."""
    if data is None:
        data = []
    if isinstance(data, (np.ndarray, NDArray)) or (hasattr(data, "shape") and
                                                   not isinstance(data, (list, dict))):
        data = [data]
    if isinstance(data, (list, tuple)):
        if not allow_empty and len(data) == 0:
            raise MXNetError(f"{where}: '{default_name}' must not be empty")
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict((f"_{i}_{default_name}", d) for i, d in enumerate(data))
    if not isinstance(data, dict):
        raise MXNetError(f"{where}: input must be NDArray, numpy.ndarray, a list of them or a "
                         f"dict with them as values, got {type(data).__name__}")
    out = []
    for key, value in data.items():
        if not isinstance(value, NDArray):
            try:
                value = array(value)
            except MXNetError as exc:
                raise MXNetError(f"{where}: invalid value for '{key}': {exc}") from None
        if value.ndim == 0:
            raise MXNetError(f"{where}: '{key}' must have at least one dimension")
        out.append((key, value))
    return sorted(out, key=lambda kv: kv[0])


class NDArrayIter(DataIter):
    """Iterate over NDArrays / NumPy arrays (MXNet 1.x ``mx.io.NDArrayIter``)."""

    def __init__(self, data, label=None, batch_size=1, shuffle=False, last_batch_handle="pad",
                 data_name="data", label_name="softmax_label", layout="NCHW"):
        super().__init__(batch_size)
        where = "NDArrayIter"
        if isinstance(batch_size, bool) or int(batch_size) != batch_size or batch_size < 1:
            raise MXNetError(f"{where}: batch_size must be a positive integer, got {batch_size!r}")
        if last_batch_handle not in _HANDLES:
            raise MXNetError(f"{where}: last_batch_handle must be one of {', '.join(_HANDLES)}, "
                             f"got {last_batch_handle!r}")
        if layout.find("N") != 0:
            raise MXNetError(f"{where}: only layouts with the batch axis first are supported, "
                             f"got {layout!r}")
        self.data = _init_data(data, False, data_name, where)
        self.label = _init_data(label, True, label_name, where)
        self.num_data = self.data[0][1].shape[0]
        for key, value in self.data + self.label:
            if value.shape[0] != self.num_data:
                raise MXNetError(f"{where}: '{key}' has {value.shape[0]} examples, "
                                 f"'{self.data[0][0]}' has {self.num_data}")
        self.batch_size = int(batch_size)
        if last_batch_handle == "discard" and self.num_data < self.batch_size:
            raise MXNetError(f"{where}: batch_size ({batch_size}) must not exceed the number of "
                             f"examples ({self.num_data}) with last_batch_handle='discard'")
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.layout = layout
        self.idx = np.arange(self.num_data)
        self._order = None            # current example order (None: identity)
        self._carry = None            # roll_over: example ids left from the previous epoch
        self._batch_ids = None
        self.cursor = -self.batch_size
        self.reset()

    # ------------------------------------------------------------------ descriptions
    def _descs(self, source):
        return [DataDesc(k, (self.batch_size,) + tuple(v.shape[1:]), v.dtype, layout=self.layout)
                for k, v in source]

    @property
    def provide_data(self):
        return self._descs(self.data)

    @property
    def provide_label(self):
        return self._descs(self.label)

    # ------------------------------------------------------------------ iteration
    def _shuffle_data(self):
        from ..context import cpu
        from ..random import generator
        self.idx = self.idx[generator(cpu()).permutation(self.num_data)]
        self._order = self.idx.copy() if self._order is None else self._order[self.idx]

    def hard_reset(self):
        """Start over, dropping any rolled-over examples."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._carry = None

    def reset(self):
        if self.shuffle:
            self._shuffle_data()
        if self.last_batch_handle == "roll_over" and self._carry is not None:
            self.cursor = -len(self._carry) - self.batch_size
        else:
            self.cursor = -self.batch_size
            self._carry = None

    def _ids(self, start, stop):
        if self._order is None:
            return slice(start, stop)
        return self._order[start:stop]

    def iter_next(self):
        self.cursor += self.batch_size
        cur, bs, n = self.cursor, self.batch_size, self.num_data
        if cur >= n:
            self._batch_ids = None
            return False
        if cur < 0:                                   # roll_over: carried + new examples
            head = self._ids(0, cur + bs)
            head = np.arange(n)[head] if isinstance(head, slice) else head
            self._batch_ids = np.concatenate([self._carry, head])
            self._carry = None
        elif cur + bs <= n:
            self._batch_ids = self._ids(cur, cur + bs)
        elif self.last_batch_handle == "pad":
            order = self._order if self._order is not None else np.arange(n)
            fill = order[np.arange(cur + bs - n) % n]
            self._batch_ids = np.concatenate([order[cur:n], fill])
        else:                                         # short batch: discard or roll over
            if self.last_batch_handle == "roll_over":
                rest = self._ids(cur, n)
                self._carry = np.arange(n)[rest] if isinstance(rest, slice) else rest.copy()
            self._batch_ids = None
            return False
        return True

    def next(self):
        if not self.iter_next():
            raise StopIteration
        return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(),
                         index=None)

    def _batchify(self, source):
        if self._batch_ids is None:
            raise MXNetError("NDArrayIter: no current batch; call iter_next() (or reset()) first")
        ids = self._batch_ids
        out = []
        for _, arr in source:
            if isinstance(ids, slice):
                out.append(NDArray(arr._data[ids], arr._ctx))
            else:
                xp = arr._ctx.xp
                out.append(NDArray(arr._data[ids if xp is np else xp.asarray(ids)], arr._ctx))
        return out

    def getdata(self):
        return self._batchify(self.data)

    def getlabel(self):
        return self._batchify(self.label)

    def getpad(self):
        cur, bs, n = self.cursor, self.batch_size, self.num_data
        if self.last_batch_handle == "pad" and cur + bs > n:
            return cur + bs - n
        if self.last_batch_handle == "roll_over" and -bs < cur < 0:
            return -cur
        return 0
