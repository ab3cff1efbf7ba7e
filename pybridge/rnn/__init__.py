"""``mx.rnn``: symbolic recurrent cells (``LSTMCell``, ``GRUCell``, ``RNNCell``,
``FusedRNNCell``, stacking/bidirectional/modifier cells), ``encode_sentences``,
``BucketSentenceIter`` and RNN checkpoints, as MXNet 1.9.1's ``mxnet.rnn``."""
from . import io, rnn, rnn_cell
from .init import FusedRNN, LSTMBias
from .io import BucketSentenceIter, encode_sentences
from .rnn import do_rnn_checkpoint, load_rnn_checkpoint, rnn_unroll, save_rnn_checkpoint
from .rnn_cell import *  # noqa: F401,F403
from .rnn_cell import __all__ as _cells

__all__ = _cells + ["BucketSentenceIter", "encode_sentences", "save_rnn_checkpoint",
                    "load_rnn_checkpoint", "do_rnn_checkpoint", "rnn_unroll",
                    "LSTMBias", "FusedRNN"]
