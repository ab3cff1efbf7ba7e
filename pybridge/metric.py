"""``mx.metric``: evaluation metrics with MXNet 1.9.1's names and numerics.

Every metric keeps ``sum_metric`` / ``num_inst`` (and global twins) and reports
``sum_metric / num_inst``.  Conventions reproduced from MXNet 1.9.1:

* ``Accuracy``: predictions whose shape differs from the label's are reduced with argmax
  along ``axis`` (1); both are cast to int32 and flattened; one instance per element.
* ``MSE`` / ``RMSE`` / ``MAE``: one instance per *batch* (the batch mean is added), so the
  epoch value is the mean of per-batch values; RMSE is the mean of per-batch RMSEs.
* ``CrossEntropy`` / ``NegativeLogLikelihood``: ``-log(p[label] + eps)`` summed per sample.
* ``Perplexity``: ``exp(mean(-log(max(p[label], 1e-10))))`` ignoring ``ignore_label``.
* ``F1``: binary only; 'macro' averages per-batch F1 scores.
* ``CustomMetric(feval)``: ``feval(label, pred)`` on NumPy arrays returns a value (one
  instance) or a tuple ``(sum_metric, num_inst)``.
"""
import json
import math
from collections import OrderedDict

import numpy

from .base import MXNetError
from .ndarray.ndarray import NDArray

_REGISTRY = {}


def register(klass, name=None):
    """Register a metric class under its lower-case class name (or ``name``)."""
    _REGISTRY[(name or klass.__name__).lower()] = klass
    return klass


def alias(*aliases):
    def reg(klass):
        for name in aliases:
            register(klass, name)
        return klass
    return reg


def _host(arr):
    """A NumPy array from an NDArray, a NumPy array or anything array-like."""
    if isinstance(arr, NDArray):
        return arr.asnumpy()
    if hasattr(arr, "get") and not isinstance(arr, numpy.ndarray):  # cupy
        return arr.get()
    return numpy.asarray(arr)


def _as_list(x):
    if isinstance(x, (NDArray, numpy.ndarray)):
        return [x]
    return list(x)


def check_label_shapes(labels, preds, wrap=False, shape=False):
    """Check that labels and preds have the same length (or shape, with ``shape=True``)."""
    if wrap:
        labels, preds = _as_list(labels), _as_list(preds)
    if shape:
        lshape, pshape = tuple(labels.shape), tuple(preds.shape)
    else:
        lshape, pshape = len(labels), len(preds)
    if lshape != pshape:
        raise MXNetError(f"Shape of labels {lshape} does not match shape of predictions {pshape}")
    return labels, preds


class EvalMetric:
    """Base class of all metrics."""

    def __init__(self, name, output_names=None, label_names=None, **kwargs):
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self):
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self):
        config = self._kwargs.copy()
        config.update({"metric": type(self).__name__, "name": self.name,
                       "output_names": self.output_names, "label_names": self.label_names})
        return config

    def update_dict(self, label, pred):
        """Update from name -> array mappings, selecting ``output_names``/``label_names``."""
        if self.output_names is not None:
            pred = [pred[name] for name in self.output_names]
        else:
            pred = list(pred.values())
        if self.label_names is not None:
            label = [label[name] for name in self.label_names]
        else:
            label = list(label.values())
        self.update(label, pred)

    def update(self, labels, preds):
        raise NotImplementedError(f"{type(self).__name__}.update is not implemented")

    def _add(self, value, count):
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count

    def reset(self):
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self):
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self):
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, float(self.sum_metric / self.num_inst))

    def get_global(self):
        if self._has_global_stats:
            if self.global_num_inst == 0:
                return (self.name, float("nan"))
            return (self.name, float(self.global_sum_metric / self.global_num_inst))
        return self.get()

    @staticmethod
    def _pairs(name, value):
        if not isinstance(name, list):
            name = [name]
        if not isinstance(value, list):
            value = [value]
        return list(zip(name, value))

    def get_name_value(self):
        return self._pairs(*self.get())

    def get_global_name_value(self):
        if self._has_global_stats:
            return self._pairs(*self.get_global())
        return self.get_name_value()


def create(metric, *args, **kwargs):
    """A metric from a name, an instance, a callable ``feval(label, pred)`` or a list of those."""
    if isinstance(metric, EvalMetric):
        if args or kwargs:
            raise MXNetError("metric.create: metric is already an instance; "
                             "additional arguments are invalid")
        return metric
    if callable(metric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, (list, tuple)):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    if isinstance(metric, dict):
        config = dict(metric)
        if "metric" not in config:
            raise MXNetError("metric.create: a config dict needs a 'metric' key (the name)")
        return create(config.pop("metric"), **config)
    if not isinstance(metric, str):
        raise MXNetError(f"metric.create: 'metric' must be a name, an EvalMetric, a callable "
                         f"or a list, got {type(metric).__name__}")
    if metric.startswith("["):
        name, kw = json.loads(metric)
        return create(name, **kw)
    if metric.startswith("{"):
        return create(json.loads(metric))
    klass = _REGISTRY.get(metric.lower())
    if klass is None:
        raise MXNetError(f"metric.create: unknown metric '{metric}'; known metrics: "
                         f"{', '.join(sorted(_REGISTRY))}")
    try:
        return klass(*args, **kwargs)
    except TypeError as exc:
        raise MXNetError(f"metric.create('{metric}'): {exc}") from None


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get`` returns lists of names and values."""

    def __init__(self, metrics=None, name="composite", output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric):
        self.metrics.append(create(metric))

    def get_metric(self, index):
        try:
            return self.metrics[index]
        except IndexError:
            raise MXNetError(f"CompositeEvalMetric.get_metric: index {index} is out of range "
                             f"0 and {len(self.metrics)}") from None

    def update_dict(self, labels, preds):
        if self.label_names is not None:
            labels = OrderedDict((k, v) for k, v in labels.items() if k in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict((k, v) for k, v in preds.items() if k in self.output_names)
        for metric in self.metrics:
            metric.update_dict(labels, preds)

    def update(self, labels, preds):
        for metric in self.metrics:
            metric.update(labels, preds)

    def reset(self):
        for metric in getattr(self, "metrics", []):
            metric.reset()

    def reset_local(self):
        for metric in self.metrics:
            metric.reset_local()

    def _collect(self, getter):
        names, values = [], []
        for metric in self.metrics:
            name, value = getter(metric)
            names.extend(name if isinstance(name, list) else [name])
            values.extend(value if isinstance(value, list) else [value])
        return (names, values)

    def get(self):
        return self._collect(lambda m: m.get())

    def get_global(self):
        return self._collect(lambda m: m.get_global())

    def get_config(self):
        config = super().get_config()
        config["metrics"] = [m.get_config() for m in self.metrics]
        return config


@register
@alias("acc")
class Accuracy(EvalMetric):
    """Classification accuracy; predictions reduced with argmax along ``axis``."""

    def __init__(self, axis=1, name="accuracy", output_names=None, label_names=None):
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            pred = _host(pred)
            label = _host(label)
            if pred.shape != label.shape:
                pred = numpy.argmax(pred, axis=self.axis)
            pred = pred.astype("int32").ravel()
            label = label.astype("int32").ravel()
            check_label_shapes(label, pred)
            self._add(int((pred == label).sum()), len(pred))


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """The label is among the ``top_k`` highest-scored classes."""

    def __init__(self, top_k=1, name="top_k_accuracy", output_names=None, label_names=None):
        super().__init__(name, top_k=top_k, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.top_k = top_k
        if self.top_k <= 1:
            raise MXNetError("TopKAccuracy: top_k must be greater than 1; "
                             "use Accuracy if top_k is no more than 1")
        self.name += f"_{self.top_k}"

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            pred = _host(pred).astype("float32")
            if pred.ndim > 2:
                raise MXNetError("TopKAccuracy.update: predictions should be no more than 2 dims")
            label = _host(label).astype("int32").ravel()
            order = numpy.argpartition(pred, -self.top_k)
            if pred.ndim == 1:
                self._add(int((order.ravel() == label).sum()), pred.shape[0])
                continue
            num_classes = pred.shape[1]
            correct = 0
            for j in range(min(num_classes, self.top_k)):
                correct += int((order[:, num_classes - 1 - j].ravel() == label).sum())
            self._add(correct, pred.shape[0])


class _BinaryStats:
    """True/false positive/negative counts of a binary classifier (argmax of 2 columns)."""

    def __init__(self):
        self.reset_stats()

    def update(self, label, pred, owner):
        pred = _host(pred)
        label = _host(label).astype("int32").ravel()
        pred_label = numpy.argmax(pred, axis=1)
        check_label_shapes(label, pred)
        if len(numpy.unique(label)) > 2:
            raise MXNetError(f"{owner} currently only supports binary classification.")
        pt, lt = pred_label == 1, label == 1
        counts = (int((pt & lt).sum()), int((pt & ~lt).sum()), int((~pt & lt).sum()),
                  int((~pt & ~lt).sum()))
        for key, value in zip(("tp", "fp", "fn", "tn"), counts):
            self.local[key] += value
            self.glob[key] += value

    @staticmethod
    def fscore(c):
        precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] > 0 else 0.
        recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] > 0 else 0.
        if precision + recall > 0:
            return 2 * precision * recall / (precision + recall)
        return 0.

    @staticmethod
    def total(c):
        return c["tp"] + c["fp"] + c["fn"] + c["tn"]

    def local_reset_stats(self):
        self.local = dict.fromkeys(("tp", "fp", "fn", "tn"), 0)

    def reset_stats(self):
        self.local_reset_stats()
        self.glob = dict.fromkeys(("tp", "fp", "fn", "tn"), 0)


class _BinaryScoreMetric(EvalMetric):
    """A score of a binary classifier's confusion counts; 'macro' averages per-batch scores,
    'micro' scores the counts accumulated over batches. Subclasses give ``_score(counts)``."""
    _kind = None          # the name _BinaryStats.update reports errors under

    def __init__(self, name, output_names=None, label_names=None, average="macro"):
        self.average = average
        self.metrics = _BinaryStats()
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def _score(self, counts):
        raise NotImplementedError

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self.metrics.update(label, pred, self._kind)
        stats = self.metrics
        if self.average == "macro":
            # counts are cleared after every batch, so local and global scores coincide
            self._add(self._score(stats.local), 1)
            stats.reset_stats()
        else:
            self.sum_metric = self._score(stats.local) * stats.total(stats.local)
            self.global_sum_metric = self._score(stats.glob) * stats.total(stats.glob)
            self.num_inst = stats.total(stats.local)
            self.global_num_inst = stats.total(stats.glob)

    def reset(self):
        super().reset()
        self.metrics.reset_stats()

    def reset_local(self):
        super().reset_local()
        self.metrics.local_reset_stats()


@register
class F1(_BinaryScoreMetric):
    """F1 score of a binary classifier; 'macro' averages the per-batch scores."""
    _kind = "F1"

    def __init__(self, name="f1", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)

    def _score(self, counts):
        return self.metrics.fscore(counts)


@register
class MCC(_BinaryScoreMetric):
    """Matthews correlation coefficient of a binary classifier (zero denominators -> 1)."""
    _kind = "MCC"

    def __init__(self, name="mcc", output_names=None, label_names=None, average="macro"):
        super().__init__(name, output_names, label_names, average)

    def _score(self, c):
        if not _BinaryStats.total(c):
            return 0.
        tp, fp, fn, tn = (float(c[k]) for k in ("tp", "fp", "fn", "tn"))
        denom = 1.
        for term in (tp + fp, tp + fn, tn + fp, tn + fn):
            if term != 0.:
                denom *= term
        return (tp * tn - fp * fn) / math.sqrt(denom)


@register
class Perplexity(EvalMetric):
    """``exp`` of the mean negative log-probability of the labels."""

    def __init__(self, ignore_label, axis=-1, name="perplexity", output_names=None,
                 label_names=None):
        super().__init__(name, ignore_label=ignore_label, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        loss, num = 0., 0
        for label, pred in zip(labels, preds):
            pred = _host(pred)
            label = _host(label)
            if label.size != pred.size / pred.shape[-1]:
                raise MXNetError(f"Perplexity.update: shape mismatch: {label.shape} vs. {pred.shape}")
            label = label.reshape(label.size).astype("int32")
            moved = numpy.moveaxis(pred, self.axis, -1).reshape(-1, pred.shape[self.axis])
            prob = moved[numpy.arange(label.size), numpy.clip(label, 0, moved.shape[1] - 1)]
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(prob.dtype)
                num -= int(ignore.sum())
                prob = prob * (1 - ignore) + ignore
            loss -= float(numpy.sum(numpy.log(numpy.maximum(prob.dtype.type(1e-10), prob))))
            num += prob.size
        self._add(loss, num)

    def get(self):
        if self.num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.sum_metric / self.num_inst))

    def get_global(self):
        if self.global_num_inst == 0:
            return (self.name, float("nan"))
        return (self.name, math.exp(self.global_sum_metric / self.global_num_inst))


class _Regression(EvalMetric):
    """Per-batch regression error: one instance per batch (MXNet 1.9.1)."""

    def __init__(self, name, output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _host(label), _host(pred)
            if label.ndim == 1:
                label = label.reshape(label.shape[0], 1)
            if pred.ndim == 1:
                pred = pred.reshape(pred.shape[0], 1)
            self._add(float(self._batch_error(label - pred)), 1)


@register
class MAE(_Regression):
    def __init__(self, name="mae", output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _batch_error(diff):
        return numpy.abs(diff).mean()


@register
class MSE(_Regression):
    def __init__(self, name="mse", output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _batch_error(diff):
        return (diff ** 2.0).mean()


@register
class RMSE(_Regression):
    def __init__(self, name="rmse", output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _batch_error(diff):
        return numpy.sqrt((diff ** 2.0).mean())


class _LogLoss(EvalMetric):
    def __init__(self, eps, name, output_names, label_names):
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.eps = eps

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _host(label).ravel()
            pred = _host(pred)
            if label.shape[0] != pred.shape[0]:
                raise MXNetError(f"{type(self).__name__}.update: {label.shape[0]} labels for "
                                 f"{pred.shape[0]} predictions")
            prob = pred[numpy.arange(label.shape[0]), numpy.int64(label)]
            self._add(float((-numpy.log(prob + self.eps)).sum()), label.shape[0])


@register
@alias("ce")
class CrossEntropy(_LogLoss):
    def __init__(self, eps=1e-12, name="cross-entropy", output_names=None, label_names=None):
        super().__init__(eps, name, output_names, label_names)


@register
@alias("nll_loss")
class NegativeLogLikelihood(_LogLoss):
    def __init__(self, eps=1e-12, name="nll-loss", output_names=None, label_names=None):
        super().__init__(eps, name, output_names, label_names)


@register
@alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of flattened labels and predictions, averaged per batch."""

    def __init__(self, name="pearsonr", output_names=None, label_names=None, average="macro"):
        if average != "macro":
            raise MXNetError(f"PearsonCorrelation: only average='macro' is supported, "
                             f"got {average!r}")
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, labels, preds):
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _host(label), _host(pred)
            check_label_shapes(label, pred, shape=True)
            label = label.ravel().astype(numpy.float64)
            pred = pred.ravel().astype(numpy.float64)
            self._add(float(numpy.corrcoef(pred, label)[0, 1]), 1)


@register
class Loss(EvalMetric):
    """The mean of the outputs themselves (for networks whose output is a loss)."""

    def __init__(self, name="loss", output_names=None, label_names=None):
        super().__init__(name, output_names=output_names, label_names=label_names,
                         has_global_stats=True)

    def update(self, _, preds):
        for pred in _as_list(preds):
            pred = _host(pred)
            self._add(float(pred.sum()), pred.size)


@register
class Torch(Loss):
    def __init__(self, name="torch", output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)


@register
class Caffe(Loss):
    def __init__(self, name="caffe", output_names=None, label_names=None):
        super().__init__(name, output_names, label_names)


@register
class CustomMetric(EvalMetric):
    """``feval(label, pred)`` on NumPy arrays: a value (one instance) or ``(sum, count)``."""

    def __init__(self, feval, name=None, allow_extra_outputs=False, output_names=None,
                 label_names=None):
        if not callable(feval):
            raise MXNetError(f"CustomMetric: feval must be callable, got {type(feval).__name__}")
        if name is None:
            name = getattr(feval, "__name__", "custom")
            if "<" in name:
                name = f"custom({name})"
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs,
                         output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels, preds):
        labels, preds = _as_list(labels), _as_list(preds)
        if not self._allow_extra_outputs:
            check_label_shapes(labels, preds)
        for pred, label in zip(preds, labels):
            reval = self._feval(_host(label), _host(pred))
            if isinstance(reval, tuple):
                total, count = reval
                self._add(total, count)
            else:
                self._add(reval, 1)

    def get_config(self):
        raise MXNetError("CustomMetric.get_config: CustomMetric cannot be serialized")


def np(numpy_feval, name=None, allow_extra_outputs=False):
    """A CustomMetric from a function of NumPy arrays ``(label, pred) -> float``."""
    def feval(label, pred):
        return numpy_feval(label, pred)
    feval.__name__ = getattr(numpy_feval, "__name__", "custom")
    return CustomMetric(feval, name, allow_extra_outputs)
