"""``mx.model``: ``FeedForward`` (MXNet 1.x) and checkpoint helpers.

``FeedForward`` trains through the same engine loop as ``Module`` (it builds a ``Module``
for its symbol and calls ``loop.train`` with the FeedForward conventions: the iterator is
reset before the first epoch, ``nbatch`` counts from 1 in batch callbacks, ``epoch_size``
may span passes over the data).  NumPy / NDArray inputs become an ``NDArrayIter`` of
``min(n, numpy_batch_size)`` examples, shuffled with 'roll_over' for training.
Checkpoint files are ``prefix-symbol.json`` and ``prefix-%04d.params`` (see
``pybridge.checkpoint``).
"""
import logging

import numpy as np

from . import io
from . import metric as _metric
from . import optimizer as opt
from .base import MXNetError
from .callback import LogValidationMetricsCallback
from .context import Context, cpu
from .initializer import Uniform
from .io.base import DataDesc
from .module import loop
from .module.loop import BatchEndParam  # noqa: F401  (mx.model.BatchEndParam)
from .module.module import Module
from .module.reporting import FeedForwardReporter
from .ndarray.ndarray import NDArray

__all__ = ["FeedForward", "BatchEndParam", "save_checkpoint", "load_checkpoint", "load_params"]


def save_checkpoint(prefix, epoch, symbol, arg_params, aux_params, remove_amp_cast=True):
    """Write ``prefix-symbol.json`` and ``prefix-%04d.params`` (``arg:``/``aux:`` keys)."""
    from . import checkpoint
    return checkpoint.save_checkpoint(prefix, epoch, symbol, arg_params, aux_params,
                                      remove_amp_cast=remove_amp_cast)


def load_checkpoint(prefix, epoch):
    """``(symbol, arg_params, aux_params)`` from a checkpoint."""
    from . import checkpoint
    return checkpoint.load_checkpoint(prefix, epoch)


def load_params(prefix, epoch):
    """``(arg_params, aux_params)`` from ``prefix-%04d.params``."""
    from . import checkpoint
    return checkpoint.load_params(prefix, epoch)


def _is_data_arg(name):
    return name.endswith("data") or name.endswith("label")


class FeedForward:
    """MXNet 1.x ``mx.model.FeedForward``: a symbol, its parameters and how to train them."""

    def __init__(self, symbol, ctx=None, num_epoch=None, epoch_size=None, optimizer="sgd",
                 initializer=Uniform(0.01), numpy_batch_size=128, arg_params=None,
                 aux_params=None, allow_extra_params=False, begin_epoch=0, **kwargs):
        if not hasattr(symbol, "list_arguments"):
            raise MXNetError(f"FeedForward: 'symbol' must be a Symbol, got {type(symbol).__name__}")
        self.symbol = symbol
        self.arg_params = arg_params
        self.aux_params = aux_params
        self.allow_extra_params = allow_extra_params
        if allow_extra_params:
            args, auxs = set(symbol.list_arguments()), set(symbol.list_auxiliary_states())
            if self.arg_params:
                self.arg_params = {k: v for k, v in self.arg_params.items() if k in args}
            if self.aux_params:
                self.aux_params = {k: v for k, v in self.aux_params.items() if k in auxs}
        if ctx is None:
            ctx = [cpu()]
        elif isinstance(ctx, Context):
            ctx = [ctx]
        self.ctx = list(ctx)
        self.num_epoch = num_epoch
        self.epoch_size = epoch_size
        self.kwargs = kwargs.copy()
        self.optimizer = optimizer
        self.initializer = initializer
        self.numpy_batch_size = numpy_batch_size
        self.begin_epoch = begin_epoch
        self.history = loop.new_history()
        self._pred_module = None

    # ---------------------------------------------------------------- data
    def _init_iter(self, X, y, is_train):
        if isinstance(X, (np.ndarray, NDArray)):
            n = X.shape[0]
            if y is None:
                if is_train:
                    raise MXNetError("FeedForward.fit: y must be specified when X is numpy.ndarray")
                y = np.zeros(n)
            if not isinstance(y, (np.ndarray, NDArray)):
                raise MXNetError("FeedForward: y must be ndarray when X is numpy.ndarray")
            if y.shape[0] != n:
                raise MXNetError("FeedForward: the numbers of data points and labels not equal")
            if y.ndim == 2 and y.shape[1] == 1:
                y = y.reshape(y.shape[0])
            if y.ndim != 1:
                raise MXNetError("FeedForward: label must be 1D or 2D (with 2nd dimension being 1)")
            batch = min(n, self.numpy_batch_size)
            if is_train:
                return io.NDArrayIter(X, y, batch, shuffle=True, last_batch_handle="roll_over")
            return io.NDArrayIter(X, y, batch, shuffle=False)
        if not hasattr(X, "reset") or not hasattr(X, "provide_data"):
            raise MXNetError("FeedForward: X must be DataIter, NDArray or numpy.ndarray")
        return X

    def _init_eval_iter(self, eval_data):
        if eval_data is None:
            return None
        if isinstance(eval_data, (tuple, list)) and len(eval_data) == 2:
            if eval_data[0] is None:
                raise MXNetError("FeedForward.fit: eval_data is None")
            if eval_data[1] is None and hasattr(eval_data[0], "reset"):
                return eval_data[0]
            x = np.array(eval_data[0]) if isinstance(eval_data[0], list) else eval_data[0]
            y = np.array(eval_data[1]) if isinstance(eval_data[1], list) else eval_data[1]
            return self._init_iter(x, y, is_train=True)
        if not hasattr(eval_data, "reset"):
            raise MXNetError("FeedForward.fit: eval_data must be DataIter, or NDArray/numpy."
                             "ndarray/list pair (i.e. tuple/list of length 2)")
        return eval_data

    # ---------------------------------------------------------------- modules
    def _module(self, data, for_training):
        """A Module for this symbol and iterator.

        As MXNet R does, an iterator label whose name the symbol lacks (``softmax_label`` for
        an automatically named ``softmaxoutput0_label``) feeds the symbol's label argument.
        """
        data_names = [d[0] for d in data.provide_data]
        arguments = self.symbol.list_arguments()
        free = [a for a in arguments if a.endswith("label") and a not in data_names]
        label_shapes = []
        for desc in data.provide_label or []:
            name, shape = desc[0], tuple(desc[1])
            if name not in arguments:
                unused = [a for a in free if a not in [d.name for d in label_shapes]]
                if not unused:
                    continue
                name = unused[0]
            label_shapes.append(DataDesc(name, shape, getattr(desc, "dtype", np.float32)))
        label_names = [d.name for d in label_shapes] or free
        mod = Module(self.symbol, data_names=data_names, label_names=label_names,
                     context=self.ctx, logger=logging)
        mod.bind(data.provide_data, label_shapes or None, for_training=for_training)
        return mod

    def _init_params(self, mod):
        """Known parameters are kept; the others come from the initializer (MXNet's order)."""
        arg_names = self.symbol.list_arguments()
        args = mod._arg_params
        for name in arg_names:
            if name not in args:
                continue
            if self.arg_params and name in self.arg_params:
                args[name][:] = self.arg_params[name]
            else:
                self.initializer(name, args[name])
        for name in self.symbol.list_auxiliary_states():
            arr = mod._aux_params[name]
            if self.aux_params and name in self.aux_params:
                arr[:] = self.aux_params[name]
            else:
                self.initializer(name, arr)
        mod.set_params(args, mod._aux_params)
        self.arg_params, self.aux_params = args, mod._aux_params

    # ---------------------------------------------------------------- training
    def fit(self, X, y=None, eval_data=None, eval_metric="acc", epoch_end_callback=None,
            batch_end_callback=None, kvstore="local", logger=None, work_load_list=None,
            monitor=None, eval_end_callback=LogValidationMetricsCallback(),
            eval_batch_end_callback=None, reporter=None, style=None):
        """Train; ``reporter``/``style`` (not in MXNet) let the R front end drive the loop."""
        data = self._init_iter(X, y, is_train=True)
        eval_data = self._init_eval_iter(eval_data)
        if self.num_epoch is None:
            raise MXNetError("FeedForward.fit: num_epoch must be set")
        if not hasattr(eval_metric, "update"):
            eval_metric = _metric.create(eval_metric)
        mod = self._module(data, for_training=True)
        self._init_params(mod)
        param_names = mod._param_names
        idx2name = dict(enumerate(param_names))
        if isinstance(self.optimizer, str):
            kwargs = dict(self.kwargs)
            kwargs["sym"] = self.symbol
            kwargs["param_idx2name"] = idx2name
            optimizer = opt.create(self.optimizer, rescale_grad=1.0 / data.batch_size, **kwargs)
        elif isinstance(self.optimizer, opt.Optimizer):
            optimizer = self.optimizer
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        else:
            raise MXNetError(f"FeedForward.fit: 'optimizer' must be a name or an Optimizer, "
                             f"got {type(self.optimizer).__name__}")
        mod._optimizer = optimizer
        mod._updater = opt.get_updater(optimizer)
        mod.optimizer_initialized = True
        mod.history = self.history
        if reporter is None:
            reporter = FeedForwardReporter(logger, self.ctx)
        # The reporter prints the validation lines: drop MXNet's default logger, alone or in a list.
        if isinstance(eval_end_callback, LogValidationMetricsCallback):
            eval_end_callback = None
        elif isinstance(eval_end_callback, (list, tuple)):
            eval_end_callback = [cb for cb in eval_end_callback
                                 if not isinstance(cb, LogValidationMetricsCallback)] or None
        try:
            loop.train(mod, data, eval_metric, self.begin_epoch, self.num_epoch,
                       eval_data=eval_data, epoch_size=self.epoch_size,
                       batch_end_callback=batch_end_callback,
                       epoch_end_callback=epoch_end_callback,
                       eval_end_callback=eval_end_callback,
                       eval_batch_end_callback=eval_batch_end_callback,
                       reporter=reporter, style=style or loop.FEEDFORWARD, monitor=monitor)
        finally:
            self.arg_params, self.aux_params = _copy_params(*mod.get_params())
        self._pred_module = None
        return self

    # ---------------------------------------------------------------- inference
    def _predictor(self, data):
        shapes = [tuple(d[1]) for d in data.provide_data]
        mod = self._pred_module
        if mod is None or [tuple(d.shape) for d in mod.data_shapes] != shapes or \
                mod.data_names != [d[0] for d in data.provide_data]:
            if self.arg_params is None:
                raise MXNetError("FeedForward: the model has no parameters; call fit first")
            mod = self._module(data, for_training=False)
            mod.set_params(self.arg_params, self.aux_params or {}, allow_missing=False,
                           allow_extra=True)
            self._pred_module = mod
        return mod

    def predict(self, X, num_batch=None, return_data=False, reset=True):
        """Outputs as NumPy arrays (padding removed); with ``return_data`` also data, label."""
        X = self._init_iter(X, None, is_train=False)
        if reset:
            X.reset()
        mod = self._predictor(X)
        outputs, datas, labels = None, None, None
        for outs, nbatch, batch in mod.iter_predict(X, num_batch=num_batch, reset=False):
            if outputs is None:
                outputs = [[] for _ in outs]
                datas = [[] for _ in batch.data]
                labels = [[] for _ in (batch.label or [])]
            real = batch.data[0].shape[0] - (batch.pad or 0)
            for o_list, o in zip(outputs, outs):
                o_list.append(o.asnumpy())
            if return_data:
                for d_list, d in zip(datas, batch.data):
                    d_list.append(d.asnumpy()[:real])
                for l_list, lab in zip(labels, batch.label or []):
                    l_list.append(lab.asnumpy()[:real])
        if outputs is None:
            return []
        merged = [np.concatenate(x) for x in outputs]
        merged = merged[0] if len(merged) == 1 else merged
        if not return_data:
            return merged
        data = [np.concatenate(x) for x in datas]
        label = [np.concatenate(x) for x in labels]
        return (merged, data[0] if len(data) == 1 else data,
                label[0] if len(label) == 1 else label)

    def score(self, X, eval_metric="acc", num_batch=None, batch_end_callback=None, reset=True):
        """The metric's value over ``X`` (a DataIter or arrays)."""
        if not hasattr(eval_metric, "update"):
            eval_metric = _metric.create(eval_metric)
        X = self._init_iter(X, None, is_train=False)
        mod = self._predictor(X)
        loop.evaluate(mod, X, eval_metric, 0, batch_end_callback=batch_end_callback,
                      num_batch=num_batch, reset=reset)
        return eval_metric.get()[1]

    # ---------------------------------------------------------------- files
    def save(self, prefix, epoch=None, remove_amp_cast=True):
        if epoch is None:
            epoch = self.num_epoch
        if epoch is None:
            raise MXNetError("FeedForward.save: epoch is not given and num_epoch is not set")
        save_checkpoint(prefix, epoch, self.symbol, self.arg_params, self.aux_params or {})

    @staticmethod
    def load(prefix, epoch, ctx=None, **kwargs):
        symbol, arg_params, aux_params = load_checkpoint(prefix, epoch)
        return FeedForward(symbol, ctx=ctx, arg_params=arg_params, aux_params=aux_params,
                           begin_epoch=epoch, **kwargs)

    @staticmethod
    def create(symbol, X, y=None, ctx=None, num_epoch=None, epoch_size=None, optimizer="sgd",
               initializer=Uniform(0.01), eval_data=None, eval_metric="acc",
               epoch_end_callback=None, batch_end_callback=None, kvstore="local", logger=None,
               work_load_list=None, eval_end_callback=LogValidationMetricsCallback(),
               eval_batch_end_callback=None, **kwargs):
        """Construct and ``fit`` in one call."""
        model = FeedForward(symbol, ctx=ctx, num_epoch=num_epoch, epoch_size=epoch_size,
                            optimizer=optimizer, initializer=initializer, **kwargs)
        model.fit(X, y, eval_data=eval_data, eval_metric=eval_metric,
                  epoch_end_callback=epoch_end_callback, batch_end_callback=batch_end_callback,
                  kvstore=kvstore, logger=logger, work_load_list=work_load_list,
                  eval_end_callback=eval_end_callback,
                  eval_batch_end_callback=eval_batch_end_callback)
        return model


def _copy_params(arg_params, aux_params):
    return ({k: v.copy() for k, v in arg_params.items()},
            {k: v.copy() for k, v in aux_params.items()})
