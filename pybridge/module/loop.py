"""The one training loop of the engine, shared by ``Module.fit``, ``FeedForward.fit`` and R.

``train(module, train_data, ...)`` runs epochs of forward/backward/update on a bound,
initialized module whose optimizer is set.  What differs between the front ends is data,
not code:

* ``style`` (a ``LoopStyle``): when the iterator is reset, whether ``nbatch`` counts from 1
  in batch callbacks, and whether epoch-end callbacks run before or after validation.
  ``MODULE`` is MXNet Python's ``Module.fit``, ``FEEDFORWARD`` its ``FeedForward.fit``,
  ``R`` MXNet R's ``mx.model.train``.
* ``reporter``: who prints the log lines (see ``reporting``).
* callbacks are plain callables; an epoch-end callback returning ``False`` stops training
  after that epoch (MXNet R's rule; MXNet Python ignores return values, which are None).
* iterators only need ``next()`` (or ``iter_next``/``getdata``/``getlabel``/``getpad``) and
  ``reset()``; metrics only need ``reset``, ``update(labels, preds)`` and ``get_name_value``.

Per-epoch metric values and times are appended to ``module.history``.
"""
import time
from collections import namedtuple

from ..io.base import DataBatch

BatchEndParam = namedtuple("BatchEndParams", ["epoch", "nbatch", "eval_metric", "locals"])

LoopStyle = namedtuple("LoopStyle", ["reset_before_first", "nbatch_from_one",
                                     "epoch_end_after_eval", "reset_when_exhausted"])
# Module.fit: reset the training data at the end of each epoch (after validation)
MODULE = LoopStyle(reset_before_first=False, nbatch_from_one=False, epoch_end_after_eval=False,
                   reset_when_exhausted=False)
# FeedForward.fit: reset before training and as soon as the data runs out; eval data is
# reset before and after each validation pass
FEEDFORWARD = LoopStyle(reset_before_first=True, nbatch_from_one=True,
                        epoch_end_after_eval=False, reset_when_exhausted=True)
# MXNet R's mx.model.train: like FeedForward, with epoch callbacks after validation
R = LoopStyle(reset_before_first=True, nbatch_from_one=True, epoch_end_after_eval=True,
              reset_when_exhausted=True)


def as_list(obj):
    if obj is None:
        return []
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def next_batch(data_iter):
    """The next DataBatch of any iterator-like object; StopIteration at the end."""
    if hasattr(data_iter, "__next__"):
        return next(data_iter)
    if hasattr(data_iter, "next"):
        return data_iter.next()
    if data_iter.iter_next():
        pad = data_iter.getpad() if hasattr(data_iter, "getpad") else 0
        return DataBatch(data=list(data_iter.getdata()), label=list(data_iter.getlabel() or []),
                         pad=pad or 0)
    raise StopIteration


def metric_values(metric, use_global=True):
    """``[(name, value)]`` of a metric (global statistics when the metric keeps them)."""
    if use_global and hasattr(metric, "get_global_name_value"):
        return metric.get_global_name_value()
    return metric.get_name_value()


def new_history():
    return {"train": {}, "validation": {}, "time": []}


def _record(history, kind, name_values):
    for name, value in name_values:
        history[kind].setdefault(name, []).append(float(value))


def _call_all(callbacks, *args):
    """Call each callback; True unless one of them returned False."""
    keep_going = True
    for cb in as_list(callbacks):
        if cb(*args) is False:
            keep_going = False
    return keep_going


def evaluate(module, eval_data, eval_metric, epoch=0, batch_end_callback=None,
             score_end_callback=None, num_batch=None, reset=True):
    """Forward ``eval_data`` (is_train=False) and update ``eval_metric``; returns name/values."""
    if reset:
        eval_data.reset()
    eval_metric.reset()
    nbatch = 0
    while num_batch is None or nbatch < num_batch:
        try:
            batch = next_batch(eval_data)
        except StopIteration:
            break
        module.forward(batch, is_train=False)
        module.update_metric(eval_metric, batch.label)
        if batch_end_callback is not None:
            _call_all(batch_end_callback, BatchEndParam(epoch, nbatch, eval_metric, locals()))
        nbatch += 1
    if score_end_callback is not None:
        _call_all(score_end_callback, BatchEndParam(epoch, nbatch, eval_metric, locals()))
    return metric_values(eval_metric, use_global=False)


def train(module, train_data, eval_metric, begin_epoch, num_epoch, *, eval_data=None,
          validation_metric=None, epoch_size=None, batch_end_callback=None,
          epoch_end_callback=None, eval_end_callback=None, eval_batch_end_callback=None,
          reporter, style=MODULE, monitor=None):
    """Train ``module`` from ``begin_epoch`` up to (not including) ``num_epoch``."""
    history = getattr(module, "history", None)
    if history is None:
        history = module.history = new_history()
    validation_metric = validation_metric if validation_metric is not None else eval_metric
    reporter.start(module.num_devices)
    if style.reset_before_first:
        train_data.reset()
    stop = False
    for epoch in range(begin_epoch, num_epoch):
        tic = time.time()
        eval_metric.reset()
        nbatch = 0
        while True:
            exhausted, seen = True, 0
            for batch in _batches(train_data):
                if monitor is not None:
                    monitor.tic()
                module.forward_backward(batch)
                module.update()
                module.update_metric(eval_metric, batch.label)
                if monitor is not None:
                    monitor.toc_print()
                nbatch += 1
                seen += 1
                if batch_end_callback is not None:
                    shown = nbatch if style.nbatch_from_one else nbatch - 1
                    _call_all(batch_end_callback, BatchEndParam(epoch, shown, eval_metric, locals()))
                if epoch_size is not None and nbatch >= epoch_size:
                    exhausted = False
                    break
            if exhausted and (style.reset_when_exhausted or epoch_size is not None):
                reporter.reset_iterator(epoch)
                train_data.reset()
                if epoch_size is not None and nbatch < epoch_size and seen > 0:
                    continue                        # epoch_size spans passes over the data
                exhausted = False                   # already reset
            break
        train_values = metric_values(eval_metric)
        reporter.train_metric(epoch, train_values)
        _record(history, "train", train_values)
        seconds = time.time() - tic
        reporter.time_cost(epoch, seconds)
        history["time"].append(seconds)

        arg_params, aux_params = module.get_params()
        if not style.epoch_end_after_eval:
            stop = not _call_all(epoch_end_callback, epoch, module.symbol, arg_params, aux_params)
        if eval_data is not None:
            values = evaluate(module, eval_data, validation_metric, epoch,
                              batch_end_callback=eval_batch_end_callback,
                              score_end_callback=eval_end_callback)
            reporter.validation_metric(epoch, values)
            _record(history, "validation", values)
            if style.reset_when_exhausted:
                eval_data.reset()
        if style.epoch_end_after_eval:
            stop = not _call_all(epoch_end_callback, epoch, module.symbol, arg_params, aux_params)
        if exhausted:                              # Module: start over at the next epoch
            train_data.reset()
        if stop:
            break
    return history


def _batches(data_iter):
    """Batches until the iterator is exhausted (no reset)."""
    while True:
        try:
            yield next_batch(data_iter)
        except StopIteration:
            return
