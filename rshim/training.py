"""Engine-side adapters for the R package's symbol, executor, io, metric and model API.

The R functions in R/symbol.R, R/executor.R, R/io.R, R/metric.R and R/model.R call these
through ``.mx.py`` (the generic bridge call).  Shapes cross the bridge in R order (R
``dim``, the reverse of the engine shape) and are reversed here, once.  Training runs in the
engine's one loop (``pybridge.module.loop``) with the MXNet R conventions (``loop.R`` style,
``RReporter`` log lines); R is only called back where R code asks for it: an R iterator, an R
metric, R callbacks, the log lines and the progress bar.
"""
import math

import numpy as np

import pybridge as mx
from pybridge.base import MXNetError
from pybridge.io.base import DataBatch, DataDesc, DataIter
from pybridge.module import loop
from pybridge.module.module import Module
from pybridge.ndarray.ndarray import NDArray
from pybridge.optimizer import _rescaled, _scalars
from pybridge.registry import get_op
from pybridge.symbol.symbol import Symbol


# ------------------------------------------------------------------ helpers
def _engine_shape(dims, where):
    """R dims (a number or a list of numbers) -> engine shape tuple (reversed)."""
    if isinstance(dims, (int, float)):
        dims = [dims]
    if not isinstance(dims, (list, tuple)) or not dims:
        raise MXNetError(f"{where}: a shape must be a non-empty numeric vector")
    out = []
    for d in dims:
        if d is None or isinstance(d, bool) or not isinstance(d, (int, float)) or \
                (isinstance(d, float) and (math.isnan(d) or d != int(d))) or d < 0:
            raise MXNetError(f"{where}: shape values must be non-negative integers, got {d!r}")
        out.append(int(d))
    return tuple(reversed(out))


def _r_shape(shape):
    return [int(d) for d in reversed(tuple(shape))]


def _shape_known(shape):
    """A shape from infer_shape_partial with every dimension decided (() and 0s: unknown)."""
    return bool(shape) and all(d > 0 for d in shape)


def _as_dict(x):
    if x is None or (isinstance(x, list) and not x):
        return {}
    if not isinstance(x, dict):
        raise MXNetError("expected a named list")
    return x


def _as_list(x):
    if x is None:
        return []
    if isinstance(x, dict):
        return list(x.values())
    return list(x) if isinstance(x, (list, tuple)) else [x]


# ------------------------------------------------------------------ symbols
def symbol_create(op_name, positional, named, params, name=None):
    """One operator node: ``positional`` (list of Symbols), ``named`` (name -> Symbol),
    ``params`` (name -> string, already in MXNet's text form)."""
    from pybridge.symbol.compose import create
    op = get_op(op_name)
    kwargs = dict(_as_dict(named))
    for key, value in _as_dict(params).items():
        if key in kwargs:
            raise MXNetError(f"{op.name}: '{key}' given both as an input and a parameter")
        kwargs[key] = value
    if name is not None:
        kwargs["name"] = name
    return create(op, op.name.lower(), _as_list(positional), kwargs)


def symbol_variable(name, attrs=None):
    attrs = _as_dict(attrs)
    for key, value in attrs.items():
        if not isinstance(value, str):
            raise MXNetError(f"attribute '{key}' must be a string")
    return mx.sym.Variable(name, attr=attrs or None)


def symbol_group(symbols):
    return mx.sym.Group(_as_list(symbols))


_ARITH = {"+": "__add__", "-": "__sub__", "*": "__mul__", "/": "__truediv__",
          "^": "__pow__", "%%": "__mod__", "==": "__eq__", "!=": "__ne__",
          ">": "__gt__", ">=": "__ge__", "<": "__lt__", "<=": "__le__"}
_RARITH = {"+": "__radd__", "-": "__rsub__", "*": "__rmul__", "/": "__rtruediv__",
           "^": "__rpow__", "%%": "__rmod__", "==": "__eq__", "!=": "__ne__",
           ">": "__lt__", ">=": "__le__", "<": "__gt__", "<=": "__ge__"}


def symbol_arith(op, a, b):
    if op not in _ARITH:
        raise MXNetError(f"operator `{op}` is not supported for MXSymbol")
    if isinstance(a, Symbol):
        if not isinstance(b, (Symbol, int, float)):
            raise MXNetError(f"`{op}`: MXSymbol operations take an MXSymbol or a number")
        return getattr(a, _ARITH[op])(float(b) if not isinstance(b, Symbol) else b)
    if not isinstance(a, (int, float)):
        raise MXNetError(f"`{op}`: MXSymbol operations take an MXSymbol or a number")
    return getattr(b, _RARITH[op])(float(a))


def symbol_attributes(sym):
    return dict(sym.list_attr())


def symbol_set_attributes(sym, attrs):
    attrs = _as_dict(attrs)
    for key, value in attrs.items():
        if not isinstance(value, str):
            raise MXNetError("Attribute values must be characters")
    sym._set_attr(**attrs)
    return None


def symbol_output(sym, index):
    n = len(sym)
    if isinstance(index, str):
        return sym[index]
    if isinstance(index, (list, tuple)):   # an R vector of length 0 or >1, e.g. which() of none
        raise MXNetError(f"index must be a single number or output name, got {len(index)} "
                         "values (no output or several matched?)")
    if isinstance(index, bool) or not isinstance(index, (int, float)) or index != int(index) \
            or not 1 <= index <= n:
        raise MXNetError(f"index {index!r} out of range: the symbol has {n} output(s)")
    return sym[int(index) - 1]


def symbol_children(sym):
    """The inputs of the symbol's operator node(s), each node once (MXNet's GetChildren)."""
    seen, heads = set(), []
    for node, _, _ in sym._heads:
        if id(node) in seen:
            continue
        seen.add(id(node))
        heads.extend(node.inputs)
    return Symbol(heads) if heads else None


def symbol_apply(sym, positional, named, name=None):
    kwargs = dict(_as_dict(named))
    if name is not None:
        kwargs["name"] = name
    return sym(*_as_list(positional), **kwargs)


def infer_shape(sym, shapes):
    """R-ordered shapes by name -> dict(arg.shapes, out.shapes, aux.shapes) or None."""
    known = {k: _engine_shape(v, "mx.symbol.infer.shape") for k, v in _as_dict(shapes).items()}
    args, outs, auxs = sym._infer_shape_impl(False, (), known)
    if args is None:
        return None
    return {"arg.shapes": dict(zip(sym.list_arguments(), map(_r_shape, args))),
            "out.shapes": dict(zip(sym.list_outputs(), map(_r_shape, outs))),
            "aux.shapes": dict(zip(sym.list_auxiliary_states(), map(_r_shape, auxs)))}


def save_symbol(sym, path):
    sym.save(path)
    return None


# ------------------------------------------------------------------ executors
def simple_bind(sym, ctx, grad_req, fixed, shapes):
    known = {k: _engine_shape(v, "mx.simple.bind") for k, v in _as_dict(shapes).items()}
    fixed = set(_as_list(fixed))
    reqs = {}
    for name in sym.list_arguments():
        if name in fixed or name.endswith("label") or name.endswith("data"):
            reqs[name] = "null"
        else:
            reqs[name] = grad_req
    args, _, _ = sym._infer_shape_impl(False, (), known)
    if args is None:
        raise MXNetError("Need more shape information to decide the shapes of arguments")
    return mx.executor.simple_bind(sym, ctx, reqs, shapes=known)


def bind(sym, ctx, arg_arrays, aux_arrays, grad_reqs):
    names = sym.list_arguments()
    aux_names = sym.list_auxiliary_states()
    args = _as_list(arg_arrays)
    aux = _as_list(aux_arrays)
    reqs = _as_list(grad_reqs)
    if len(args) != len(names):
        raise MXNetError(f"arg.arrays has {len(args)} arrays, the symbol has {len(names)} "
                         f"arguments ({', '.join(names)})")
    if len(aux) != len(aux_names):
        raise MXNetError(f"aux.arrays has {len(aux)} arrays, the symbol has {len(aux_names)} "
                         "auxiliary states")
    if len(reqs) == 1:
        reqs = reqs * len(names)
    if len(reqs) != len(names):
        raise MXNetError(f"grad.reqs has {len(reqs)} values for {len(names)} arguments")
    for r in reqs:
        if r not in ("null", "write", "add"):
            raise MXNetError(f"grad.reqs values must be 'null', 'write' or 'add', got {r!r}")
    for n, a in zip(names + aux_names, args + aux):
        if not isinstance(a, NDArray):
            raise MXNetError(f"'{n}' must be an MXNDArray")
    grads = [None if r == "null" else mx.nd.zeros(a.shape, ctx=ctx) for a, r in zip(args, reqs)]
    return mx.executor.Executor(sym, ctx, args, grads, reqs, aux)


def exec_arrays(ex, which, copy):
    if which == "arg":
        names, arrays = ex._symbol.list_arguments(), ex.arg_arrays
    elif which == "grad":
        names, arrays = ex._symbol.list_arguments(), ex.grad_arrays
    elif which == "aux":
        names, arrays = ex._symbol.list_auxiliary_states(), ex.aux_arrays
    else:
        names, arrays = ex._symbol.list_outputs(), ex.outputs
    out = {}
    for n, a in zip(names, arrays):
        out[n] = None if a is None else (a.copy() if copy else a)
    return out


def exec_update(ex, which, arrays, match_name, skip_null, where):
    if which == "arg":
        names, targets = ex._symbol.list_arguments(), ex.arg_arrays
    elif which == "grad":
        names, targets = ex._symbol.list_arguments(), ex.grad_arrays
    else:
        names, targets = ex._symbol.list_auxiliary_states(), ex.aux_arrays
    if arrays is None or (isinstance(arrays, list) and not arrays):
        return None
    if match_name:
        if not isinstance(arrays, dict):
            raise MXNetError(f"{where}: with match.name = TRUE the arrays must be a named list")
        pairs = []
        for key, value in arrays.items():
            if key not in names:
                raise MXNetError(f"{where}: '{key}' is not an array of the executor; it has "
                                 f"{', '.join(names) or 'none'}")
            pairs.append((names.index(key), key, value))
    else:
        values = _as_list(arrays)
        if len(values) != len(names):
            raise MXNetError(f"{where}: {len(values)} arrays given, the executor has "
                             f"{len(names)}")
        pairs = [(i, n, v) for i, (n, v) in enumerate(zip(names, values))]
    for i, key, value in pairs:
        if value is None:
            if skip_null:
                continue
            raise MXNetError(f"{where}: the array for '{key}' is NULL (use skip.null = TRUE)")
        target = targets[i]
        if target is None:
            if skip_null:
                continue
            raise MXNetError(f"{where}: the executor has no array for '{key}'")
        if not isinstance(value, NDArray):
            raise MXNetError(f"{where}: '{key}' must be an MXNDArray")
        if tuple(value.shape) != tuple(target.shape):
            raise MXNetError(f"{where}: '{key}' has dim c({', '.join(map(str, _r_shape(value.shape)))})"
                             f", the executor expects c({', '.join(map(str, _r_shape(target.shape)))})")
        target[:] = value
    return None


def exec_forward(ex, is_train):
    ex.forward(is_train=bool(is_train))
    return None


def exec_backward(ex, out_grads):
    grads = _as_list(out_grads)
    ex.backward(grads or None)
    return None


# ------------------------------------------------------------------ data iterators
class ArrayIter(DataIter):
    """MXNet R's array iterator: samples shuffled once at creation (if asked) and cut into
    batches in order.  The last, incomplete batch holds its samples first and, as the real
    package's reused batch buffer did, the rest of the previous batch after them (zeros when
    there is no previous batch); ``num.pad`` says how many positions are such padding."""

    def __init__(self, data, label, batch_size, shuffle):
        super().__init__(batch_size)
        n = data.shape[0]
        if label.shape[0] != n:
            raise MXNetError(f"mx.io.arrayiter: label has {label.shape[0]} samples, data {n}")
        if shuffle:
            from pybridge.context import cpu
            from pybridge.random import generator
            order = generator(cpu()).permutation(n)
            data, label = data[order], label[order]
        self._x = np.ascontiguousarray(data, dtype=np.float32)
        self._y = np.ascontiguousarray(label, dtype=np.float32)
        self.num_data = n
        self._ctx = mx.cpu()
        self._pos = 0
        self._start = None
        self._pad = 0

    @property
    def provide_data(self):
        return [DataDesc("data", (self.batch_size,) + self._x.shape[1:])]

    @property
    def provide_label(self):
        return [DataDesc("label", (self.batch_size,) + self._y.shape[1:])]

    def reset(self):
        self._pos, self._start, self._pad = 0, None, 0

    def iter_next(self):
        n, bs = self.num_data, self.batch_size
        if self._pos >= n:
            self._start = None
            return False
        self._start = self._pos
        self._pad = max(0, self._pos + bs - n)
        self._pos += bs
        return True

    def _slice(self, arr):
        if self._start is None:
            raise MXNetError("the iterator has no current batch; call iter.next() first")
        start, bs = self._start, self.batch_size
        if not self._pad:
            return NDArray(arr[start:start + bs], self._ctx)
        rem = bs - self._pad
        out = np.zeros((bs,) + arr.shape[1:], dtype=np.float32)
        out[:rem] = arr[start:start + rem]
        if start >= bs:
            out[rem:] = arr[start - bs + rem:start]
        return NDArray(out, self._ctx)

    def getdata(self):
        return [self._slice(self._x)]

    def getlabel(self):
        return [self._slice(self._y)]

    def getpad(self):
        return self._pad


def arrayiter(data, label, batch_size, shuffle):
    """mx.io.arrayiter: arrays already in engine order (the R dims reversed), copied once."""
    data = np.asarray(data, dtype=np.float32)
    label = np.asarray(label, dtype=np.float32)
    return ArrayIter(data, label, int(batch_size), bool(shuffle))


def _iter_kwargs(kwargs):
    out = {}
    for key, value in _as_dict(kwargs).items():
        key = key.replace(".", "_")
        if key.endswith("shape"):
            value = _engine_shape(value, key)
        out[key] = value
    return out


def native_iter(kind, kwargs):
    kw = _iter_kwargs(kwargs)
    if kind == "MNISTIter":
        return mx.io.MNISTIter(**kw)
    if kind == "CSVIter":
        return mx.io.CSVIter(**kw)
    if kind == "ImageRecordIter":
        return mx.io.ImageRecordIter(**kw)
    raise MXNetError(f"unknown iterator {kind}")


def _batch(it):
    """The current batch of an engine iterator (after iter_next)."""
    return it.getdata(), it.getlabel(), it.getpad()


def iter_value(it):
    names_d = [d[0] for d in it.provide_data]
    names_l = [d[0] for d in (it.provide_label or [])]
    data, label, _ = _batch(it)
    out = {}
    for i, arr in enumerate(data):
        out["data" if i == 0 else names_d[i]] = arr
    for i, arr in enumerate(label or []):
        out["label" if i == 0 else names_l[i]] = arr
    return out


def iter_next(it):
    return bool(it.iter_next())


def iter_pad(it):
    return int(it.getpad() or 0)


class RIterator(DataIter):
    """An iterator written in R (reset / iter.next / value / num.pad as R functions)."""

    def __init__(self, funcs, data_names, label_names):
        super().__init__()
        funcs = _as_dict(funcs)
        self._reset, self._next = funcs["reset"], funcs["iter_next"]
        self._value, self._pad = funcs["value"], funcs.get("num_pad")
        self.data_names = list(data_names)
        self.label_names = list(label_names)
        self._current = None
        self._first = None

    def _values(self):
        value = self._value()
        if not isinstance(value, dict):
            raise MXNetError("the R iterator's value() must return a named list of MXNDArray")
        return value

    def _pick(self, value, names, kind):
        out = []
        for n in names:
            arr = value.get(n)
            if arr is None and kind == "label" and len(names) == 1:
                arr = value.get("label")
            if arr is None and kind == "data" and len(names) == 1:
                arr = value.get("data")
            if not isinstance(arr, NDArray):
                raise MXNetError(f"the R iterator's value() has no MXNDArray '{n}'; it has "
                                 f"{', '.join(value) or 'nothing'}")
            out.append(arr)
        return out

    def peek(self):
        """Descriptions from the first batch (the iterator is reset afterwards)."""
        self.reset()
        if not self.iter_next():
            self.reset()
            if not self.iter_next():
                raise MXNetError("Empty input")
        data, label = self.getdata(), self.getlabel()
        self.batch_size = data[0].shape[0]
        self._descs = ([DataDesc(n, a.shape) for n, a in zip(self.data_names, data)],
                       [DataDesc(n, a.shape) for n, a in zip(self.label_names, label)])
        self.reset()

    @property
    def provide_data(self):
        return self._descs[0]

    @property
    def provide_label(self):
        return self._descs[1]

    def reset(self):
        self._current = None
        self._reset()

    def iter_next(self):
        ok = bool(self._next())
        self._current = self._values() if ok else None
        return ok

    def getdata(self):
        return self._pick(self._current, self.data_names, "data")

    def getlabel(self):
        return self._pick(self._current, self.label_names, "label")

    def getpad(self):
        if self._pad is None:
            return 0
        pad = self._pad()
        return int(pad or 0)


def r_iterator(funcs, data_names, label_names):
    it = RIterator(funcs, _as_list(data_names), _as_list(label_names))
    it.peek()
    return it


def extract(it, field):
    """mx.io.extract: one field of every batch (padding removed), concatenated."""
    it.reset()
    parts = []
    while it.iter_next():
        value = iter_value(it) if not isinstance(it, RIterator) else it._current
        if field not in value:
            raise MXNetError(f"the iterator has no field '{field}'; it has {', '.join(value)}")
        arr = value[field].asnumpy()
        pad = it.getpad() or 0
        parts.append(arr[:arr.shape[0] - pad])
    it.reset()
    if not parts:
        raise MXNetError("the iterator gives no batch")
    return np.concatenate(parts)


def iter_summary(it):
    """Shapes (R order) of the first batch's data and label and the label range."""
    it.reset()
    if not it.iter_next():
        it.reset()
        return None
    data, label, _ = _batch(it)
    it.reset()
    return {"data": _r_shape(data[0].shape),
            "label": _r_shape(label[0].shape) if label else None}


# ------------------------------------------------------------------ metrics
def _np(x):
    return x.asnumpy() if isinstance(x, NDArray) else np.asarray(x)


def _acc(label, pred):
    label = label.reshape(-1)
    if pred.ndim == 1 or pred.shape[-1] == 1 and pred.ndim == 2:
        guess = (pred.reshape(-1) > 0.5)
    else:
        guess = pred.argmax(axis=1)
    return float(np.mean(label == guess.reshape(-1)))


def _topk(k):
    def fn(label, pred):
        label = label.reshape(-1).astype(np.int64)
        top = np.argsort(-pred, axis=1)[:, :k]
        return float(np.mean(np.any(top == label[:, None], axis=1)))
    return fn


def _flat(fn):
    return lambda label, pred: float(fn(label.reshape(-1).astype(np.float64),
                                        pred.reshape(-1).astype(np.float64)))


def _perplexity(label, pred, mask_element=-1):
    label = label.reshape(-1).astype(np.int64)
    probs = pred.reshape(label.shape[0], -1)[np.arange(label.shape[0]), np.clip(label, 0, None)]
    mask = label != mask_element
    with np.errstate(divide="ignore"):
        nll = -np.sum(np.log(probs.astype(np.float64)) * mask) / max(mask.sum(), 1)
    return float(np.exp(nll))


def _logloss(y, p):
    p = np.clip(p, 1e-15, 1 - 1e-15)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


_METRIC_FNS = {
    "accuracy": lambda label, pred: _acc(label, pred),
    "top_k_accuracy": _topk(5),
    "mse": _flat(lambda y, p: np.mean((y - p) ** 2)),
    "rmse": _flat(lambda y, p: np.sqrt(np.mean((y - p) ** 2))),
    "mae": _flat(lambda y, p: np.mean(np.abs(y - p))),
    "rmsle": _flat(lambda y, p: np.sqrt(np.mean((np.log1p(p) - np.log1p(y)) ** 2))),
    "Perplexity": _perplexity,
    "logloss": _flat(_logloss),
    "logistic_acc": _flat(lambda y, p: np.mean(y == (p > 0.5))),
}


class BatchMeanMetric:
    """MXNet R's built-in metrics: the mean over batches of a per-batch value."""

    def __init__(self, name, kind):
        if kind not in _METRIC_FNS:
            raise MXNetError(f"unknown metric '{kind}'")
        self.name, self.fn = name, _METRIC_FNS[kind]
        self.reset()

    def reset(self):
        self.n, self.total = 0, 0.0

    def update(self, labels, preds):
        self.total += self.fn(_np(labels[0]), _np(preds[0]))
        self.n += 1

    def get(self):
        return self.name, (self.total / self.n if self.n else float("nan"))

    def get_name_value(self):
        return [self.get()]


class RMetric:
    """A metric written in R: list(init, update, get) called once per batch."""

    def __init__(self, funcs):
        funcs = _as_dict(funcs)
        self._init, self._update, self._get = funcs["init"], funcs["update"], funcs["get"]
        self.reset()

    def reset(self):
        self.state = self._init()

    def update(self, labels, preds):
        self.state = self._update(labels[0], preds[0], self.state)

    def get(self):
        res = self._get(self.state)
        if isinstance(res, dict):
            value = res.get("value")
            if isinstance(value, list):
                value = value[0] if value else float("nan")
            return str(res.get("name")), float("nan") if value is None else float(value)
        raise MXNetError("the metric's get() must return list(name, value)")

    def get_name_value(self):
        return [self.get()]


def make_metric(spec):
    """An engine metric from R: dict(engine=kind, name=...) or dict(init, update, get)."""
    spec = _as_dict(spec)
    if spec.get("engine") is not None:
        return BatchMeanMetric(spec.get("name") or spec["engine"], spec["engine"])
    return RMetric(spec)


def metric_eval(spec, label, pred):
    """One value of an engine-side built-in metric (for tests and R-side use)."""
    m = make_metric(spec)
    m.update([label], [pred])
    return m.get()[1]


# ------------------------------------------------------------------ optimizers
_OPT_KEYS = {"learning.rate": "learning_rate", "rescale.grad": "rescale_grad",
             "clip_gradient": "clip_gradient", "lr_scheduler": "lr_scheduler"}


def make_optimizer(name, kwargs):
    kw = {}
    for key, value in _as_dict(kwargs).items():
        key = _OPT_KEYS.get(key, key.replace(".", "_"))
        kw[key] = value
    sched = kw.get("lr_scheduler")
    if sched is not None and kw.get("learning_rate") is not None:
        sched.base_lr = kw["learning_rate"]       # the R optimizer's rate is the schedule's start
    clip = kw.get("clip_gradient")
    if clip is not None and clip < 0:
        kw["clip_gradient"] = None
    name = {"adagrad": "adagrad", "adadelta": "adadelta", "rmsprop": "rmsprop",
            "sgd": "sgd", "adam": "adam", "nag": "nag"}[name]
    if name == "adagrad" and "epsilon" in kw:
        kw["eps"] = kw.pop("epsilon")
    if name == "adadelta":
        kw.pop("learning_rate", None)
    if name == "adam":
        return RAdam(**kw)
    if name == "nag":
        return RNAG(**kw)
    return mx.optimizer.create(name, **kw)


class RAdam(mx.optimizer.Adam):
    """MXNet R's adam: the adam_update step without Python's bias correction of the rate."""

    def _get_lr(self, index):
        lr = super()._get_lr(index)
        t = self._index_update_count.get(index, 0)
        if t < 1:
            return lr
        return lr * (1. - self.beta1 ** t) / math.sqrt(1. - self.beta2 ** t)


class RNAG(mx.optimizer.NAG):
    """MXNet R's nag with momentum: its own graph, not Python's ``nag_mom_update``. The
    momentum is not scaled by the rate and the step's gradient term has no weight decay:
    ``mom = momentum*mom + g + wd*w; w -= lr*(momentum*mom + g)``, g = clip(rescale*grad)."""

    def update(self, index, weight, grad, state):
        if state is None or self.momentum == 0:
            super().update(index, weight, grad, state)    # w -= lr*(g + wd*w): the same step
            return
        self._update_count(index)
        w, xp = weight._data, weight._ctx.xp
        lr, wd, rescale, momentum = _scalars(w.dtype, self._get_lr(index), self._get_wd(index),
                                             self.rescale_grad, self.momentum)
        clip = None if self._clip is None else w.dtype.type(self._clip)
        g = _rescaled(grad._data, rescale, clip, xp)
        mom = state._data
        mom *= momentum
        mom += g
        mom += wd * w
        w -= lr * (momentum * mom + g)


def make_scheduler(kind, step, factor, stop_factor_lr):
    if kind == "factor":
        return mx.lr_scheduler.FactorScheduler(int(step), factor, stop_factor_lr)
    steps = [int(s) for s in _as_list(step)]
    return mx.lr_scheduler.MultiFactorScheduler(steps, factor)


def make_updater(optimizer):
    return mx.optimizer.get_updater(optimizer)


def apply_updater(updater, weights, grads):
    """Update copies of ``weights`` with ``grads`` (positions with a NULL gradient: NULL)."""
    weights, grads = _as_list(weights), _as_list(grads)
    out = []
    for i, (w, g) in enumerate(zip(weights, grads)):
        if g is None or w is None:
            out.append(None)
            continue
        new = w.copy()
        updater(i, g, new)
        out.append(new)
    return out


# ------------------------------------------------------------------ initializers
def init_array(kind, shape, ctx, a=0.0, b=1.0):
    shape = _engine_shape(shape, "initializer")
    if kind == "zeros":
        return mx.nd.zeros(shape, ctx=ctx)
    if kind == "ones":
        return mx.nd.ones(shape, ctx=ctx)
    if kind == "uniform":
        return mx.nd.random.uniform(a, b, shape=shape, ctx=ctx)
    if kind == "normal":
        return mx.nd.random.normal(a, b, shape=shape, ctx=ctx)
    raise MXNetError(f"unknown initializer kind {kind}")


# ------------------------------------------------------------------ training
class _Recorder:
    """A loop reporter that keeps the values; the R side prints MXNet R's lines."""

    def __init__(self):
        self.train_values, self.val_values = [], []

    def start(self, num_devices):
        pass

    def train_metric(self, epoch, name_values):
        self.train_values, self.val_values = list(name_values), []

    def time_cost(self, epoch, seconds):
        pass

    def validation_metric(self, epoch, name_values):
        self.val_values = list(name_values)

    def reset_iterator(self, epoch):
        pass


def _nv(values):
    if not values:
        return None
    name, value = values[0]
    return {"name": name, "value": float(value)}


def _descs(it, names, kind):
    src = it.provide_data if kind == "data" else (it.provide_label or [])
    return [DataDesc(n, tuple(d[1])) for n, d in zip(names, src)]


def _check_eval(train, eval_data):
    if eval_data is None:
        return
    a = [tuple(d[1])[1:] for d in train.provide_data]
    b = [tuple(d[1])[1:] for d in eval_data.provide_data]
    if a != b:
        raise MXNetError("eval.data's data has dim " +
                         ", ".join("c(" + ", ".join(map(str, reversed(s))) + ", n)" for s in b) +
                         ", the training data has " +
                         ", ".join("c(" + ", ".join(map(str, reversed(s))) + ", n)" for s in a))


class Trainer:
    """MXNet R's ``mx.model.train`` on the engine's loop, one epoch per call.

    The R side calls ``epoch(iteration)`` for each epoch (the batches of that epoch and its
    validation run here, in ``loop.train``), prints the log lines and runs the epoch-end
    callbacks itself, so R's condition handlers see them.  ``batch_callback(iteration,
    nbatch, train)`` (an R function, or None) is called after each batch; ``progress(i, n)``
    updates an R progress bar every few batches.
    """

    def __init__(self, symbol, train_data, eval_data, ctx, optimizer, metric, arg_params,
                 aux_params, input_names, output_names, fixed_param, batch_callback=None,
                 progress=None):
        input_names = _as_list(input_names)
        output_names = _as_list(output_names)
        arguments = symbol.list_arguments()
        for n in input_names:
            if n not in arguments:
                raise MXNetError(f"input '{n}' is not an argument of the symbol; its arguments "
                                 f"are {', '.join(arguments)}")
        label_names = [n for n in output_names if n in arguments]
        _check_eval(train_data, eval_data)
        mod = Module(symbol, data_names=input_names, label_names=label_names, context=ctx,
                     fixed_param_names=[p for p in _as_list(fixed_param) if p in arguments])
        label_descs = _descs(train_data, label_names, "label") if label_names else None
        mod.bind(_descs(train_data, input_names, "data"), label_descs, for_training=True)
        arg_params = _as_dict(arg_params)
        aux_params = _as_dict(aux_params)
        missing = [n for n in mod._param_names if n not in arg_params]
        if missing:
            raise MXNetError(f"no initial value for parameter(s) {', '.join(missing)}")
        mod.init_params(arg_params=arg_params, aux_params=aux_params, allow_missing=False,
                        allow_extra=True)
        mod._optimizer = optimizer
        if not optimizer.idx2name:
            # names only, no set_wd_mult: the R package decays every parameter, biases too
            optimizer.idx2name = dict(enumerate(mod._param_names))
        mod._updater = mx.optimizer.get_updater(optimizer)
        mod.optimizer_initialized = True
        mod.history = loop.new_history()
        self.module, self.train_data, self.eval_data = mod, train_data, eval_data
        self.metric = make_metric(metric) if metric is not None else _NoMetric()
        self.reporter = _Recorder()
        callbacks = []
        if batch_callback is not None:
            def on_batch(param):
                return batch_callback(param.epoch + 1, param.nbatch,
                                      _nv(loop.metric_values(param.eval_metric)))
            callbacks.append(on_batch)
        if progress is not None:
            total = _num_batches(train_data)
            step = max(1, (total or 100) // 50)

            def on_progress(param):
                if param.nbatch % step == 0 or (total and param.nbatch >= total):
                    progress(param.nbatch, total or 0)
            callbacks.append(on_progress)
        self.batch_callbacks = callbacks or None

    def epoch(self, iteration):
        """Train epoch ``iteration`` (1-based) and validate; the metric values."""
        iteration = int(iteration)
        loop.train(self.module, self.train_data, self.metric, iteration - 1, iteration,
                   eval_data=self.eval_data, batch_end_callback=self.batch_callbacks,
                   reporter=self.reporter, style=loop.R)
        hist = self.module.history
        return {"train": _nv(self.reporter.train_values),
                "validation": _nv(self.reporter.val_values),
                "time": hist["time"][-1] if hist["time"] else None}

    def params(self):
        args, auxs = self.module.get_params()
        return {"arg.params": _copy(args), "aux.params": _copy(auxs)}

    def history(self):
        return self.module.history


def _copy(params):
    return {k: v.copy() for k, v in params.items()}


def _num_batches(it):
    n = getattr(it, "num_data", None)
    bs = getattr(it, "batch_size", None)
    if n and bs:
        return int(math.ceil(n / bs))
    return None


class _NoMetric:
    def reset(self):
        pass

    def update(self, labels, preds):
        pass

    def get_name_value(self):
        return []


# Names the real initializer treats as parameters: one of these missing from a model is an
# error, where any other free input (label, RNN state, sequence mask) is left as zeros.
_PARAM_SUFFIXES = ("weight", "bias", "gamma", "beta", "moving_mean", "moving_var")


def _free_input_shapes(symbol, data_name, data_shape, free):
    """Shapes of the inputs in ``free`` (neither data nor parameters) from the data's shape.

    Most come out of shape inference (labels of a loss head, RNN states, masks). A label that
    only enters through a Reshape (one-to-one RNN graphs: ``reshape(label, shape = -1)``)
    cannot be inferred backwards, by MXNet either; it takes the Reshape's output shape,
    which that Reshape maps to itself.
    """
    args, _, _ = symbol.infer_shape_partial(**{data_name: data_shape})
    shapes = {n: s for n, s in zip(symbol.list_arguments(), args)
              if n in free and _shape_known(s)}
    unknown = [n for n in free if n not in shapes]
    if unknown:
        internals = symbol.get_internals()
        _, outs, _ = internals.infer_shape_partial(**{data_name: data_shape})
        inferred = dict(zip(internals.list_outputs(), outs))
        for node in internals._order():
            if node.op not in ("Reshape", "reshape") or not node.inputs:
                continue
            src = node.inputs[0][0]
            out = inferred.get(f"{node.name}_output")
            if src.is_variable and src.name in unknown and _shape_known(out):
                shapes.setdefault(src.name, tuple(out))
    left = [n for n in free if n not in shapes]
    if left:
        raise MXNetError(f"cannot infer the shape of {', '.join(left)} from the data's shape; "
                         "predict gives only data")
    return shapes


def predict(symbol, arg_params, aux_params, data, ctx, allow_extra):
    """Outputs of the first head for every example of ``data`` (padding removed).

    As the real R predict: one executor bound from the data's shape, the model's parameters
    copied in, every other input (labels, RNN states, masks) left as zeros.
    """
    arg_params = _as_dict(arg_params)
    aux_params = _as_dict(aux_params)
    arguments = symbol.list_arguments()
    if allow_extra:
        arg_params = {k: v for k, v in arg_params.items() if k in arguments}
    data_name = "data"
    data_shape = tuple(data.provide_data[0][1])
    absent = [n for n in arguments if n != data_name and n not in arg_params]
    missing = [n for n in absent if n.endswith(_PARAM_SUFFIXES)]
    missing += [n for n in symbol.list_auxiliary_states() if n not in aux_params]
    if missing:
        raise MXNetError(f"the model's parameters lack {', '.join(missing)}, which its symbol "
                         "needs")
    shapes = _free_input_shapes(symbol, data_name, data_shape, absent)
    ex = symbol.simple_bind(ctx, grad_req="null", **{data_name: data_shape}, **shapes)
    ex.copy_params_from(arg_params, aux_params, allow_extra_params=bool(allow_extra))
    data.reset()
    outs = []
    while data.iter_next():
        pad = data.getpad() or 0
        ex.arg_dict[data_name][:] = data.getdata()[0]
        out = ex.forward(is_train=False)[0].asnumpy()
        outs.append(out[:out.shape[0] - pad])
    data.reset()
    if not outs:
        raise MXNetError("Cannot predict on empty iterator")
    return np.concatenate(outs)


def load_checkpoint(prefix, iteration):
    sym, args, auxs = mx.model.load_checkpoint(prefix, int(iteration))
    return {"symbol": sym, "arg.params": args, "aux.params": auxs}


def save_checkpoint(prefix, iteration, symbol, arg_params, aux_params):
    mx.model.save_checkpoint(prefix, int(iteration), symbol, _as_dict(arg_params),
                             _as_dict(aux_params))
    return None


# ------------------------------------------------------------------ drawing
def draw_graph(symbol, shapes, path, rankdir="TB"):
    """graph.viz: the engine's plot_network drawn as PNG to ``path``."""
    shape = None
    if shapes:
        shape = {k: _engine_shape(v, "graph.viz") for k, v in _as_dict(shapes).items()}
        # as the real graph.viz: shapes that leave any edge unknown give a graph without
        # edge labels rather than an error
        args, outs, auxs = symbol.get_internals().infer_shape_partial(**shape)
        if not all(_shape_known(x) for x in args + outs + auxs):
            shape = None
    from pybridge.visualization import _run_dot
    dot = mx.viz.plot_network(symbol, title="graph", save_format="png", shape=shape)
    args = ["-Tpng"] + (["-Grankdir=LR"] if rankdir == "LR" else [])
    data = _run_dot(args, dot.source.encode("utf-8"))
    with open(path, "wb") as f:
        f.write(data)
    return path


def iter_shapes(it, input_names, output_names):
    """Shapes (R order) of an iterator's inputs and labels under the symbol's names."""
    data = {n: _r_shape(d[1]) for n, d in zip(_as_list(input_names), it.provide_data)}
    label = {n: _r_shape(d[1]) for n, d in zip(_as_list(output_names), it.provide_label or [])}
    return {"input": data, "output": label}


def head_ops(symbol):
    """The operator of each output of ``symbol`` ('null' for a variable)."""
    return [node.op for node, _, _ in symbol._heads]
