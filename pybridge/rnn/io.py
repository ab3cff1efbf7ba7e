"""Text data for recurrent language models: ``encode_sentences`` (tokens -> integer ids, building
the vocabulary) and ``BucketSentenceIter`` (sentences padded into length buckets; the label is
the next token).  Shuffling draws from Python's ``random`` and NumPy's global generator, in the
same order as MXNet 1.9.1, so seeding both reproduces its batches."""
import bisect
import numbers
import random

import numpy as np

from .. import ndarray
from ..base import MXNetError
from ..io import DataBatch, DataDesc, DataIter


def encode_sentences(sentences, vocab=None, invalid_label=-1, invalid_key="\n",
                     start_label=0, unknown_token=None):
    """``(encoded sentences, vocab)``.  Without ``vocab`` a new one is built (``invalid_key``
    maps to ``invalid_label``; new tokens get ids from ``start_label`` up, skipping
    ``invalid_label``).  With ``vocab``, a token not in it is an error unless ``unknown_token``
    is given (then, as in MXNet, ``unknown_token`` takes the next id)."""
    where = "encode_sentences"
    if not isinstance(sentences, (list, tuple)):
        raise MXNetError(f"{where}: 'sentences' must be a list of lists of tokens, "
                         f"got {type(sentences).__name__}")
    if vocab is not None and not isinstance(vocab, dict):
        raise MXNetError(f"{where}: 'vocab' must be a dict of token -> id or None, "
                         f"got {type(vocab).__name__}")
    new_vocab = vocab is None
    if new_vocab:
        vocab = {invalid_key: invalid_label}
    idx = start_label
    encoded = []
    for i, sentence in enumerate(sentences):
        if isinstance(sentence, str) or not isinstance(sentence, (list, tuple)):
            raise MXNetError(f"{where}: 'sentences[{i}]' must be a list of tokens, "
                             f"got {type(sentence).__name__}")
        coded = []
        for word in sentence:
            if word not in vocab:
                if not (new_vocab or unknown_token):
                    raise MXNetError(f"{where}: unknown token {word!r} in 'sentences[{i}]' "
                                     "(not in 'vocab' and no 'unknown_token')")
                if idx == invalid_label:
                    idx += 1
                if unknown_token:
                    word = unknown_token
                vocab[word] = idx
                idx += 1
            coded.append(vocab[word])
        encoded.append(coded)
    return encoded, vocab


def _auto_buckets(sentences, batch_size):
    """Every length that at least ``batch_size`` sentences have."""
    counts = np.bincount([len(s) for s in sentences]) if sentences else []
    return [length for length, n in enumerate(counts) if n >= batch_size]


class BucketSentenceIter(DataIter):
    """Batches of ``batch_size`` encoded sentences of one bucket each, padded with
    ``invalid_label`` to the bucket's length (the smallest bucket that fits; longer sentences
    are dropped).  ``buckets`` None: every length with at least ``batch_size`` sentences.
    ``layout`` 'NT' gives (batch, time), 'TN' (time, batch); ``default_bucket_key`` is the
    largest bucket."""

    def __init__(self, sentences, batch_size, buckets=None, invalid_label=-1,
                 data_name="data", label_name="softmax_label", dtype="float32", layout="NT"):
        where = "BucketSentenceIter"
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                or batch_size <= 0:
            raise MXNetError(f"{where}: 'batch_size' must be a positive integer, "
                             f"got {batch_size!r}")
        if layout not in ("NT", "TN"):
            raise MXNetError(f"{where}: invalid 'layout' {layout!r}: must be NT (batch major) "
                             "or TN (time major)")
        if not isinstance(sentences, (list, tuple)) or any(
                isinstance(s, str) or not hasattr(s, "__len__") for s in sentences):
            raise MXNetError(f"{where}: 'sentences' must be a list of encoded sentences "
                             "(lists of integers)")
        super().__init__(batch_size)
        buckets = sorted(buckets) if buckets else _auto_buckets(sentences, batch_size)

        rows = [[] for _ in buckets]
        ndiscard = 0
        for sentence in sentences:
            b = bisect.bisect_left(buckets, len(sentence))
            if b == len(buckets):
                ndiscard += 1
                continue
            row = np.full((buckets[b],), invalid_label, dtype=dtype)
            row[:len(sentence)] = sentence
            rows[b].append(row)
        # empty buckets are dropped, keeping data and bucket lengths aligned
        self.buckets = [length for length, r in zip(buckets, rows) if r]
        self.data = [np.asarray(r, dtype=dtype) for r in rows if r]
        print(f"WARNING: discarded {ndiscard} sentences longer than the largest bucket.")
        if not self.buckets:
            raise MXNetError(f"{where}: no sentence fits any bucket ('buckets'={buckets}); "
                             "give longer buckets or more sentences")

        self.data_name, self.label_name = data_name, label_name
        self.dtype, self.invalid_label = dtype, invalid_label
        self.layout = layout
        self.major_axis = layout.find("N")
        self.default_bucket_key = max(self.buckets)
        shape = self._shape(self.default_bucket_key)
        self.provide_data = [DataDesc(self.data_name, shape, layout=layout)]
        self.provide_label = [DataDesc(self.label_name, shape, layout=layout)]
        self.nddata, self.ndlabel = [], []
        self.idx = [(i, j) for i, bucket in enumerate(self.data)
                    for j in range(0, len(bucket) - batch_size + 1, batch_size)]
        self.curr_idx = 0
        self.reset()

    def _shape(self, length):
        return (self.batch_size, length) if self.major_axis == 0 else (length, self.batch_size)

    def reset(self):
        """Back to the first batch; batch order and each bucket's rows are reshuffled."""
        self.curr_idx = 0
        random.shuffle(self.idx)
        for bucket in self.data:
            np.random.shuffle(bucket)
        self.nddata, self.ndlabel = [], []
        for bucket in self.data:
            label = np.empty_like(bucket)
            label[:, :-1] = bucket[:, 1:]
            label[:, -1] = self.invalid_label
            self.nddata.append(ndarray.array(bucket, dtype=self.dtype))
            self.ndlabel.append(ndarray.array(label, dtype=self.dtype))

    def next(self):
        """The next ``DataBatch`` (with ``bucket_key`` and its own provide_data/label)."""
        if self.curr_idx == len(self.idx):
            raise StopIteration
        i, j = self.idx[self.curr_idx]
        self.curr_idx += 1
        data = self.nddata[i][j:j + self.batch_size]
        label = self.ndlabel[i][j:j + self.batch_size]
        if self.major_axis == 1:
            data, label = data.T, label.T
        return DataBatch([data], [label], pad=0, bucket_key=self.buckets[i],
                         provide_data=[DataDesc(self.data_name, data.shape, layout=self.layout)],
                         provide_label=[DataDesc(self.label_name, label.shape,
                                                 layout=self.layout)])
