"""``BaseModule``: the high-level API shared by modules (fit, score, predict, ...).

Subclasses provide bind / init_params / init_optimizer / forward / backward / update /
get_outputs / update_metric / get_params / set_params; ``fit`` runs the engine's one
training loop (``loop.train``).
"""
import logging

import numpy as np

from ..base import MXNetError
from .. import metric as _metric
from ..initializer import Uniform
from ..io.base import DataBatch, DataDesc
from ..ndarray.ndarray import NDArray, array, concatenate
from . import loop
from .reporting import PythonReporter


def check_num_batch(where, num_batch):
    """None or a non-negative integer."""
    if num_batch is None:
        return None
    if isinstance(num_batch, bool) or not isinstance(num_batch, (int, np.integer)) or \
            num_batch < 0:
        raise MXNetError(f"{where}: 'num_batch' must be None or a non-negative integer, "
                         f"got {num_batch!r}")
    return int(num_batch)


def parse_data_desc(where, names, descs, kind):
    """``[DataDesc]`` from DataDesc / (name, shape) items, checked against ``names``."""
    if descs is not None and not isinstance(descs, (list, tuple)):
        raise MXNetError(f"{where}: {kind} shapes must be a list of DataDesc or (name, shape), "
                         f"got {type(descs).__name__}")
    out = []
    for item in descs or []:
        if isinstance(item, DataDesc):
            out.append(item)
        elif isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[0], str) \
                and isinstance(item[1], (tuple, list)):
            out.append(DataDesc(item[0], item[1]))
        else:
            raise MXNetError(f"{where}: each {kind} shape must be a DataDesc or (name, shape), "
                             f"got {item!r}")
    given = [d.name for d in out]
    if descs is not None and sorted(given) != sorted(names):
        raise MXNetError(f"{where}: {kind} names {given} do not match the module's {kind} "
                         f"names {list(names)}")
    return out


class BaseModule:
    """Common state flags and the fit / score / predict drivers."""

    def __init__(self, logger=logging):
        self.logger = logger
        self.binded = False
        self.for_training = False
        self.inputs_need_grad = False
        self.params_initialized = False
        self.optimizer_initialized = False
        self._symbol = None
        self._total_exec_bytes = 0
        self.history = loop.new_history()

    # ---------------------------------------------------------------- composite steps
    def forward_backward(self, data_batch):
        self.forward(data_batch, is_train=True)
        self.backward()

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Nothing to prepare on a single device (MXNet uses it for bucketing/kvstore)."""

    @property
    def num_devices(self):
        return 1

    @property
    def symbol(self):
        return self._symbol

    # ---------------------------------------------------------------- evaluation
    def score(self, eval_data, eval_metric, num_batch=None, batch_end_callback=None,
              score_end_callback=None, reset=True, epoch=0, sparse_row_id_fn=None):
        """Run ``eval_data`` forward and return ``[(name, value)]`` of ``eval_metric``."""
        if not (self.binded and self.params_initialized):
            raise MXNetError("score: the module must be bound and its parameters initialized")
        num_batch = check_num_batch("score", num_batch)
        eval_metric = _metric.create(eval_metric) if not hasattr(eval_metric, "update") \
            else eval_metric
        return loop.evaluate(self, eval_data, eval_metric, epoch, batch_end_callback,
                             score_end_callback, num_batch, reset)

    def iter_predict(self, eval_data, num_batch=None, reset=True, sparse_row_id_fn=None):
        """Yield ``(outputs, nbatch, batch)`` with padded examples removed."""
        if not (self.binded and self.params_initialized):
            raise MXNetError("iter_predict: the module must be bound and its parameters "
                             "initialized")
        num_batch = check_num_batch("iter_predict", num_batch)
        if reset:
            eval_data.reset()
        nbatch = 0
        while num_batch is None or nbatch < num_batch:
            try:
                batch = loop.next_batch(eval_data)
            except StopIteration:
                return
            self.forward(batch, is_train=False)
            pad = batch.pad or 0
            outputs = [NDArray(o._data[:o.shape[0] - pad], o._ctx) for o in self.get_outputs()]
            yield outputs, nbatch, batch
            nbatch += 1

    def predict(self, eval_data, num_batch=None, merge_batches=True, reset=True,
                always_output_list=False, sparse_row_id_fn=None):
        """Outputs over ``eval_data`` (padding removed), merged across batches by default."""
        if not (self.binded and self.params_initialized):
            raise MXNetError("predict: the module must be bound and its parameters initialized")
        if isinstance(eval_data, (NDArray, np.ndarray)):
            if isinstance(eval_data, np.ndarray):
                eval_data = array(eval_data)
            self.forward(DataBatch([eval_data]), is_train=False)
            return self.get_outputs()[0]
        if not hasattr(eval_data, "reset"):
            raise MXNetError("predict: eval_data must be an NDArray or a DataIter")
        num_batch = check_num_batch("predict", num_batch)
        output_list = [[o.copy() for o in outs] for outs, _, _ in
                       self.iter_predict(eval_data, num_batch, reset)]
        if not output_list:
            return output_list
        if not merge_batches:
            return output_list
        num_outputs = len(output_list[0])
        if any(len(outs) != num_outputs for outs in output_list):
            raise MXNetError("predict: cannot merge batches, as num of outputs is not the same "
                             "in mini-batches. Maybe bucketing is used?")
        merged = [concatenate([outs[i] for outs in output_list]) if len(output_list) > 1
                  else output_list[0][i] for i in range(num_outputs)]
        if num_outputs == 1 and not always_output_list:
            return merged[0]
        return merged

    # ---------------------------------------------------------------- training
    def fit(self, train_data, eval_data=None, eval_metric="acc", epoch_end_callback=None,
            batch_end_callback=None, kvstore="local", optimizer="sgd",
            optimizer_params=(("learning_rate", 0.01),), eval_end_callback=None,
            eval_batch_end_callback=None, initializer=Uniform(0.01), arg_params=None,
            aux_params=None, allow_missing=False, force_rebind=False, force_init=False,
            begin_epoch=0, num_epoch=None, validation_metric=None, monitor=None,
            sparse_row_id_fn=None, reporter=None, style=None):
        """Train the module (MXNet 1.x ``Module.fit``).

        Beyond MXNet's parameters: ``reporter`` (default: MXNet Python's log lines through
        ``self.logger``) and ``style`` (default ``loop.MODULE``), used by the R front end.
        """
        if num_epoch is None:
            raise MXNetError("fit: please specify number of epochs (num_epoch)")
        self.bind(data_shapes=train_data.provide_data, label_shapes=train_data.provide_label,
                  for_training=True, force_rebind=force_rebind)
        if monitor is not None:
            self.install_monitor(monitor)
        self.init_params(initializer=initializer, arg_params=arg_params, aux_params=aux_params,
                         allow_missing=allow_missing, force_init=force_init)
        self.init_optimizer(kvstore=kvstore, optimizer=optimizer,
                            optimizer_params=optimizer_params)
        if validation_metric is None:
            validation_metric = eval_metric
        if not hasattr(eval_metric, "update"):
            eval_metric = _metric.create(eval_metric)
        if not hasattr(validation_metric, "update"):
            validation_metric = _metric.create(validation_metric)
        return loop.train(self, train_data, eval_metric, begin_epoch, num_epoch,
                          eval_data=eval_data, validation_metric=validation_metric,
                          batch_end_callback=batch_end_callback,
                          epoch_end_callback=epoch_end_callback,
                          eval_end_callback=eval_end_callback,
                          eval_batch_end_callback=eval_batch_end_callback,
                          reporter=reporter or PythonReporter(self.logger),
                          style=style or loop.MODULE, monitor=monitor)

    def install_monitor(self, mon):
        raise MXNetError("install_monitor: monitors are not supported by this engine")

    # ---------------------------------------------------------------- parameters on disk
    def save_params(self, fname):
        from ..ndarray import save
        arg_params, aux_params = self.get_params()
        save_dict = {f"arg:{k}": v.as_in_context(_cpu()) for k, v in arg_params.items()}
        save_dict.update({f"aux:{k}": v.as_in_context(_cpu()) for k, v in aux_params.items()})
        save(fname, save_dict)

    def load_params(self, fname):
        from ..ndarray import load
        save_dict = load(fname)
        arg_params, aux_params = {}, {}
        for key, value in save_dict.items():
            kind, _, name = key.partition(":")
            if kind == "arg":
                arg_params[name] = value
            elif kind == "aux":
                aux_params[name] = value
            else:
                raise MXNetError(f"load_params: invalid param file {fname}: key '{key}' does not "
                                 f"start with 'arg:' or 'aux:'")
        self.set_params(arg_params, aux_params)


def _cpu():
    from ..context import cpu
    return cpu()
