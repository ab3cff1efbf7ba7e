"""pybridge: the MXNet 1.x Python API on Chainer (NumPy on CPU, CuPy on GPU).

    import pybridge as mx
    a = mx.nd.ones((2, 3)); b = a * 2 + 1
"""
from . import _compat  # noqa: F401  (first: adapts Chainer to NumPy 2)
from . import ndarray, random, symbol, executor, io, metric, initializer, optimizer  # noqa: E401
from . import lr_scheduler, callback, checkpoint, model, module, visualization  # noqa: E401
from . import rnn  # noqa: E402  (mx.rnn: cells, BucketSentenceIter, rnn checkpoints)
from . import kvstore  # noqa: E402  (mx.kvstore: the single-process KVStore)
from . import recordio  # noqa: E402  (mx.recordio: RecordIO files, image records)
from . import autograd  # noqa: E402  (mx.autograd: record and differentiate NDArray code)
from . import kvstore as kv
from . import ndarray as nd
from . import symbol as sym
from . import initializer as init
from . import module as mod
from . import visualization as viz
from .symbol import naming as name  # mx.name.NameManager / mx.name.Prefix, as MXNet
from .symbol.naming import AttrScope
from .base import MXNetError
from .context import Context, cpu, current_context, gpu, num_gpus

__version__ = "0.1.0"
