"""``mx.optimizer``: weight updates with MXNet 1.9.1's formulas, in place and vectorised.

Each optimizer updates ``weight`` (an NDArray) from ``grad`` in place, computing on the
weight's own array module (NumPy or CuPy) in the weight's dtype, in the order MXNet's
kernels use (``src/operator/optimizer_op-inl.h``):

* SGD:       ``w = (1 - lr*wd)*w - lr*clip(rescale*g)``; with momentum
             ``m = momentum*m - lr*wd*w - lr*clip(rescale*g); w += m``
* NAG:       ``m = momentum*m; w += -m + (momentum+1)*(m - lr*(clip(rescale*g) + wd*w));
             m -= lr*(clip(rescale*g) + wd*w_new)`` (the kernel runs in place: the momentum
             sees the updated weight)
* Adam:      ``g' = clip(rescale*g + wd*w)``; moments; ``w -= lr_t*mean/(sqrt(var)+eps)``
             with ``lr_t = lr*sqrt(1-beta2**t)/(1-beta1**t)`` (bias correction in the rate)
* RMSProp:   Tieleman & Hinton, or Graves' centered version (``centered=True``)
* AdaGrad, AdaDelta, Adamax, Nadam: as MXNet's Python implementations; Signum, Ftrl as
  ``signum_update`` / ``signsgd_update`` / ``ftrl_update``.

``clip(x)`` is applied only when ``clip_gradient`` is set (not None and not 0), as MXNet.
The learning rate and weight decay of a weight come from ``lr``/``lr_scheduler`` times
``lr_mult``, and ``wd`` times ``wd_mult``; with ``param_idx2name`` given, parameters whose
names do not end in ``_weight`` or ``_gamma`` get ``wd_mult = 0`` (MXNet's rule).
"""
import math
import warnings

import numpy as np

from .base import MXNetError
from .ndarray.ndarray import NDArray

__all__ = ["Optimizer", "SGD", "NAG", "Adam", "AdaGrad", "RMSProp", "AdaDelta", "Signum",
           "Ftrl", "Adamax", "Nadam", "Updater", "create", "get_updater", "register"]


def _zeros_like(weight, dtype=None):
    data = weight._data
    xp = weight._ctx.xp
    return NDArray(xp.zeros(data.shape, dtype=dtype or data.dtype), weight._ctx)


def _check_nd(where, **arrays):
    for name, arr in arrays.items():
        if not isinstance(arr, NDArray):
            raise MXNetError(f"{where}: '{name}' must be an NDArray, got {type(arr).__name__}")


class Optimizer:
    """Base class: learning rate, weight decay, multipliers and update counting (MXNet 1.x)."""

    opt_registry = {}

    def __init__(self, rescale_grad=1., param_idx2name=None, wd=0., clip_gradient=None,
                 learning_rate=None, lr_scheduler=None, sym=None, begin_num_update=0,
                 multi_precision=False, param_dict=None):
        self.rescale_grad = rescale_grad
        self.lr_scheduler = lr_scheduler
        if lr_scheduler is None and learning_rate is None:
            learning_rate = 0.01
        self.lr = learning_rate
        if lr_scheduler is not None and learning_rate is not None:
            if lr_scheduler.base_lr != learning_rate:
                warnings.warn("learning rate from ``lr_scheduler`` has been overwritten by "
                              "``learning_rate`` in optimizer.")
                lr_scheduler.base_lr = learning_rate
        self.wd = wd
        self.lr_mult = {}
        self.wd_mult = {}
        self.begin_num_update = begin_num_update
        self.num_update = begin_num_update
        self._all_index_update_counts = {0: {}}
        self._index_update_count = self._all_index_update_counts[0]
        self.clip_gradient = clip_gradient
        self.multi_precision = multi_precision
        self.aggregate_num = 0
        if param_idx2name is None:
            param_idx2name = {}
        if not isinstance(param_idx2name, dict):
            raise MXNetError("Optimizer: param_idx2name should be a dict of param indexes to names")
        self.idx2name = dict(param_idx2name)
        self.sym_info = ()
        if sym is not None:
            self.sym_info = (sym.attr_dict(), sym.list_arguments())
        self.param_dict = param_dict if param_dict else {}
        self.set_lr_mult({})
        self.set_wd_mult({})

    # ---------------------------------------------------------------- registry
    @staticmethod
    def register(klass):
        if not isinstance(klass, type):
            raise MXNetError("Optimizer.register: expected a class")
        Optimizer.opt_registry[klass.__name__.lower()] = klass
        return klass

    @staticmethod
    def create_optimizer(name, **kwargs):
        if not isinstance(name, str):
            raise MXNetError(f"optimizer.create: name must be a string, got {type(name).__name__}")
        klass = Optimizer.opt_registry.get(name.lower())
        if klass is None:
            raise MXNetError(f"optimizer.create: Cannot find optimizer '{name}'; known: "
                             f"{', '.join(sorted(Optimizer.opt_registry))}")
        try:
            return klass(**kwargs)
        except TypeError as exc:
            raise MXNetError(f"optimizer.create('{name}'): {exc}") from None

    # ---------------------------------------------------------------- learning rate
    @property
    def learning_rate(self):
        if self.lr_scheduler is not None:
            return self.lr_scheduler(self.num_update)
        return self.lr

    def set_learning_rate(self, lr):
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. Note that "
                              "set_learning_rate can mutate the value of the learning rate of the "
                              "optimizer only when the LRScheduler of the optimizer is undefined.")
        self.lr = lr

    def set_lr_mult(self, args_lr_mult):
        self.lr_mult = {}
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and "__lr_mult__" in attr[name]:
                    self.lr_mult[name] = float(attr[name]["__lr_mult__"])
        self.lr_mult.update(args_lr_mult)

    def set_wd_mult(self, args_wd_mult):
        self.wd_mult = {}
        for name in self.idx2name.values():
            if not (name.endswith("_weight") or name.endswith("_gamma")):
                self.wd_mult[name] = 0.0
        if self.sym_info:
            attr, arg_names = self.sym_info
            for name in arg_names:
                if name in attr and "__wd_mult__" in attr[name]:
                    self.wd_mult[name] = float(attr[name]["__wd_mult__"])
        self.wd_mult.update(args_wd_mult)

    def _set_current_context(self, device_id):
        self._index_update_count = self._all_index_update_counts.setdefault(device_id, {})

    def _update_count(self, index):
        for idx in index if isinstance(index, (list, tuple)) else [index]:
            count = self._index_update_count.get(idx, self.begin_num_update) + 1
            self._index_update_count[idx] = count
            self.num_update = max(count, self.num_update)

    def _get_lrs(self, indices):
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        lrs = []
        for index in indices:
            mult = 1.0
            if index in self.param_dict:
                mult = self.param_dict[index].lr_mult
            elif index in self.lr_mult:
                mult = self.lr_mult[index]
            elif index in self.idx2name:
                mult = self.lr_mult.get(self.idx2name[index], 1.0)
            lrs.append(lr * mult)
        return lrs

    def _get_lr(self, index):
        return self._get_lrs([index])[0]

    def _get_wds(self, indices):
        wds = []
        for index in indices:
            mult = 1.0
            if index in self.param_dict:
                mult = self.param_dict[index].wd_mult
            elif index in self.wd_mult:
                mult = self.wd_mult[index]
            elif index in self.idx2name:
                mult = self.wd_mult.get(self.idx2name[index], 1.0)
            wds.append(self.wd * mult)
        return wds

    def _get_wd(self, index):
        return self._get_wds([index])[0]

    @property
    def _clip(self):
        """The clipping bound, or None when clipping is off (MXNet tests truthiness)."""
        return self.clip_gradient if self.clip_gradient else None

    # ---------------------------------------------------------------- states and updates
    def create_state(self, index, weight):
        return None

    def create_state_multi_precision(self, index, weight):
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (master, self.create_state(index, master))
        if weight.dtype == np.float16:
            warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy or "
                          "slow convergence. Consider using multi_precision=True option of the "
                          "optimizer")
        return self.create_state(index, weight)

    def update(self, index, weight, grad, state):
        raise NotImplementedError(f"{type(self).__name__}.update is not implemented")

    def update_multi_precision(self, index, weight, grad, state):
        if self.multi_precision and weight.dtype == np.float16:
            master, inner = state
            self.update(index, master, grad.astype(np.float32), inner)
            weight._data[...] = master._data.astype(weight._data.dtype)
        else:
            self.update(index, weight, grad, state)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("param_dict", None)
        return state

    def __setstate__(self, state):
        self.__dict__ = state
        self.param_dict = {}


register = Optimizer.register


def create(name, **kwargs):
    """An optimizer by name (case-insensitive): ``create('sgd', learning_rate=0.1)``."""
    if isinstance(name, Optimizer):
        return name
    return Optimizer.create_optimizer(name, **kwargs)


def _scalars(dtype, *values):
    return [dtype.type(v) for v in values]


def _rescaled(grad, rescale, clip, xp):
    """``clip(rescale * grad)`` as a new array (clip only when set)."""
    g = grad * rescale
    if clip is not None:
        xp.clip(g, -clip, clip, out=g)
    return g


@register
class SGD(Optimizer):
    """SGD with momentum and weight decay (``sgd_update`` / ``sgd_mom_update``)."""

    def __init__(self, momentum=0.0, lazy_update=True, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def create_state_multi_precision(self, index, weight):
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (self.create_state(index, master), master)
        return super().create_state_multi_precision(index, weight)

    def update(self, index, weight, grad, state):
        _check_nd("SGD.update", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        _sgd_step(weight._data, grad._data, None if state is None else state._data,
                  lr, wd, self.momentum, self.rescale_grad, self._clip, weight._ctx.xp)

    def update_multi_precision(self, index, weight, grad, state):
        if self.multi_precision and weight.dtype == np.float16:
            mom, master = state
            self.update(index, master, grad.astype(np.float32), mom)
            weight._data[...] = master._data.astype(weight._data.dtype)
        else:
            self.update(index, weight, grad, state)


def _sgd_step(w, g, mom, lr, wd, momentum, rescale, clip, xp):
    lr_, wd_, rs, mo = _scalars(w.dtype, lr, wd, rescale, momentum)
    if mom is None or momentum <= 0:
        if clip is not None:
            step = lr_ * _rescaled(g, rs, w.dtype.type(clip), xp)
        else:
            step = (lr_ * rs) * g
        if wd_ != 0:
            w *= (w.dtype.type(1) - lr_ * wd_)
        w -= step
        return
    if clip is not None:
        step = lr_ * _rescaled(g, rs, w.dtype.type(clip), xp)
    else:
        step = (lr_ * rs) * g
    mom *= mo
    if wd_ != 0:
        mom -= (lr_ * wd_) * w
    mom -= step
    w += mom


@register
class NAG(Optimizer):
    """Nesterov accelerated SGD (``nag_mom_update``)."""

    def __init__(self, momentum=0.0, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index, weight, grad, state):
        _check_nd("NAG.update", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        w, xp = weight._data, weight._ctx.xp
        if state is None or self.momentum <= 0:
            _sgd_step(w, grad._data, None, lr, wd, 0.0, self.rescale_grad, self._clip, xp)
            return
        mom = state._data
        lr_, wd_, rs, mo = _scalars(w.dtype, lr, wd, self.rescale_grad, self.momentum)
        clip = None if self._clip is None else w.dtype.type(self._clip)
        g = _rescaled(grad._data, rs, clip, xp)
        mom *= mo
        w += (mo + w.dtype.type(1)) * (mom - lr_ * (g + wd_ * w)) - mom
        # MXNet's kernel writes the weight in place before updating the momentum, so the
        # momentum's decay term reads the *new* weight (nag_mom_update with out=weight)
        mom -= lr_ * (g + wd_ * w)


@register
class Adam(Optimizer):
    """Adam (``adam_update``), bias correction folded into the learning rate."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 lazy_update=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.lazy_update = lazy_update

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        _check_nd("Adam.update", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        lr *= math.sqrt(1. - self.beta2 ** t) / (1. - self.beta1 ** t)
        w, xp = weight._data, weight._ctx.xp
        mean, var = state[0]._data, state[1]._data
        lr_, wd_, rs, b1, b2, eps = _scalars(w.dtype, lr, wd, self.rescale_grad,
                                             self.beta1, self.beta2, self.epsilon)
        g = grad._data * rs
        g += wd_ * w
        if self._clip is not None:
            c = w.dtype.type(self._clip)
            xp.clip(g, -c, c, out=g)
        one = w.dtype.type(1)
        mean *= b1
        mean += (one - b1) * g
        var *= b2
        var += (one - b2) * g * g
        w -= lr_ * mean / (xp.sqrt(var) + eps)


@register
class AdaGrad(Optimizer):
    """AdaGrad: ``history += g**2; w += -lr*(g/sqrt(history + eps) + wd*w)``."""

    def __init__(self, eps=1e-7, **kwargs):
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index, weight):
        return _zeros_like(weight)

    def update(self, index, weight, grad, state):
        _check_nd("AdaGrad.update", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        w, xp = weight._data, weight._ctx.xp
        lr_, wd_, rs, eps = _scalars(w.dtype, lr, wd, self.rescale_grad, self.float_stable_eps)
        clip = None if self.clip_gradient is None else w.dtype.type(self.clip_gradient)
        g = _rescaled(grad._data, rs, clip, xp)
        hist = state._data
        hist += g * g
        div = g / xp.sqrt(hist + eps)
        w += (div + w * wd_) * -lr_


@register
class RMSProp(Optimizer):
    """RMSProp (``rmsprop_update``) or, with ``centered=True``, Graves' ``rmspropalex_update``."""

    def __init__(self, learning_rate=0.001, gamma1=0.9, gamma2=0.9, epsilon=1e-8,
                 centered=False, clip_weights=None, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1, self.gamma2 = gamma1, gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index, weight):
        if self.centered:
            return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))
        return (_zeros_like(weight),)

    def update(self, index, weight, grad, state):
        _check_nd("RMSProp.update", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        w, xp = weight._data, weight._ctx.xp
        lr_, wd_, rs, g1, g2, eps = _scalars(w.dtype, lr, wd, self.rescale_grad,
                                             self.gamma1, self.gamma2, self.epsilon)
        one = w.dtype.type(1)
        g = grad._data * rs
        g += wd_ * w
        if self._clip is not None:
            c = w.dtype.type(self._clip)
            xp.clip(g, -c, c, out=g)
        n = state[0]._data
        n *= g1
        n += (one - g1) * (g * g)
        if not self.centered:
            w -= lr_ * (g / xp.sqrt(n + eps))
        else:
            gm, delta = state[1]._data, state[2]._data
            gm *= g1
            gm += (one - g1) * g
            delta *= g2
            delta -= lr_ * g / xp.sqrt(n - gm * gm + eps)
            w += delta
        if self.clip_weights:
            cw = w.dtype.type(self.clip_weights)
            xp.clip(w, -cw, cw, out=w)


@register
class AdaDelta(Optimizer):
    """AdaDelta (Zeiler 2012), MXNet's Python formulation."""

    def __init__(self, rho=0.90, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        _check_nd("AdaDelta.update", weight=weight, grad=grad)
        wd = self._get_wd(index)
        self._update_count(index)
        w, xp = weight._data, weight._ctx.xp
        rho, eps, wd_, rs = _scalars(w.dtype, self.rho, self.epsilon, wd, self.rescale_grad)
        one = w.dtype.type(1)
        clip = None if self.clip_gradient is None else w.dtype.type(self.clip_gradient)
        g = _rescaled(grad._data, rs, clip, xp)
        acc_g, acc_delta = state[0]._data, state[1]._data
        acc_g *= rho
        acc_g += (one - rho) * g * g
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(acc_g + eps) * g
        acc_delta *= rho
        acc_delta += (one - rho) * delta * delta
        w -= delta + wd_ * w


@register
class Signum(Optimizer):
    """signSGD / Signum: step by the sign of the (momentum-averaged) gradient."""

    def __init__(self, learning_rate=0.01, momentum=0.9, wd_lh=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index, weight):
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index, weight, grad, state):
        _check_nd("Signum.update", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        w, xp = weight._data, weight._ctx.xp
        lr_, wd_, rs, mo, lh = _scalars(w.dtype, lr, wd, self.rescale_grad, self.momentum,
                                        self.wd_lh or 0.0)
        one = w.dtype.type(1)
        if state is None or self.momentum <= 0:        # signsgd_update (no clipping)
            w *= one - lr_ * wd_
            w -= lr_ * xp.sign(grad._data)
            return
        clip = None if self._clip is None else w.dtype.type(self._clip)
        mom = state._data
        mom *= mo
        mom -= (one - mo) * wd_ * w
        mom -= (one - mo) * _rescaled(grad._data, rs, clip, xp)
        w *= one - lr_ * lh
        w += lr_ * xp.sign(mom)


@register
class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al. 2013), MXNet's ``ftrl_update``."""

    def __init__(self, lamda1=0.01, learning_rate=0.1, beta=1, **kwargs):
        super().__init__(**kwargs)
        self.lamda1 = lamda1
        self.beta = beta
        self.lr = learning_rate

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))        # z, n

    def update(self, index, weight, grad, state):
        _check_nd("Ftrl.update", weight=weight, grad=grad)
        self._update_count(index)
        wd, lr = self._get_wd(index), self._get_lr(index)
        w, xp = weight._data, weight._ctx.xp
        lr_, wd_, rs, beta, l1 = _scalars(w.dtype, lr, wd, self.rescale_grad, self.beta,
                                          self.lamda1)
        clip = None if self._clip is None else w.dtype.type(self._clip)
        g = _rescaled(grad._data, rs, clip, xp)
        z, n = state[0]._data, state[1]._data
        z += g - (xp.sqrt(n + g * g) - xp.sqrt(n)) * w / lr_
        n += g * g
        w[...] = (xp.sign(z) * l1 - z) / ((beta + xp.sqrt(n)) / lr_ + wd_) * (xp.abs(z) > l1)


@register
class Adamax(Optimizer):
    """AdaMax (the infinity-norm Adam), MXNet's Python formulation."""

    def __init__(self, learning_rate=0.002, beta1=0.9, beta2=0.999, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2 = beta1, beta2

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        _check_nd("Adamax.update", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        lr /= (1. - self.beta1 ** t)
        w, xp = weight._data, weight._ctx.xp
        lr_, wd_, rs, b1, b2 = _scalars(w.dtype, lr, wd, self.rescale_grad, self.beta1, self.beta2)
        g = grad._data * rs + wd_ * w
        if self.clip_gradient is not None:
            c = w.dtype.type(self.clip_gradient)
            xp.clip(g, -c, c, out=g)
        m, u = state[0]._data, state[1]._data
        m *= b1
        m += (w.dtype.type(1) - b1) * g
        u[...] = xp.maximum(b2 * u, xp.abs(g))
        w -= lr_ * m / u


@register
class Nadam(Optimizer):
    """Nesterov Adam (Dozat 2016) with MXNet's momentum schedule."""

    def __init__(self, learning_rate=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 schedule_decay=0.004, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.

    def create_state(self, index, weight):
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index, weight, grad, state):
        _check_nd("Nadam.update", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        w, xp = weight._data, weight._ctx.xp
        f = w.dtype.type
        g = grad._data * f(self.rescale_grad) + f(wd) * w
        if self.clip_gradient is not None:
            c = f(self.clip_gradient)
            xp.clip(g, -c, c, out=g)
        mom_t = self.beta1 * (1. - 0.5 * pow(0.96, t * self.schedule_decay))
        mom_t1 = self.beta1 * (1. - 0.5 * pow(0.96, (t + 1) * self.schedule_decay))
        self.m_schedule = self.m_schedule * mom_t
        m_schedule_next = self.m_schedule * mom_t1
        m, v = state[0]._data, state[1]._data
        m *= f(self.beta1)
        m += f(1. - self.beta1) * g
        v *= f(self.beta2)
        v += f(1. - self.beta2) * g * g
        g_prime = g / f(1. - self.m_schedule)
        m_prime = m / f(1. - m_schedule_next)
        v_prime = v / f(1. - pow(self.beta2, t))
        m_bar = f(1. - mom_t) * g_prime + f(mom_t1) * m_prime
        w -= f(lr) * m_bar / (xp.sqrt(v_prime) + f(self.epsilon))


# MXNet's short aliases
Optimizer.opt_registry.setdefault("ccsgd", SGD)


class Updater:
    """Holds one state per weight index and applies the optimizer (``get_updater``)."""

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise MXNetError(f"get_updater: optimizer must be an Optimizer, got "
                             f"{type(optimizer).__name__}")
        self.optimizer = optimizer
        self.states = {}
        self.states_synced = {}

    def __call__(self, index, grad, weight):
        if isinstance(index, (list, tuple)):
            triples = zip(index, grad, weight)
        else:
            triples = [(index, grad, weight)]
        for idx, g, w in triples:
            self.optimizer._set_current_context(w.context.device_id)
            if idx not in self.states:
                self.states[idx] = self.optimizer.create_state_multi_precision(idx, w)
                self.states_synced[idx] = True
            elif not self.states_synced[idx]:
                self.states[idx] = _sync_state(self.states[idx], w.context)
                self.states_synced[idx] = True
            self.optimizer.update_multi_precision(idx, w, g, self.states[idx])

    def set_states(self, states):
        """Restore states from ``get_states`` output (a dict index -> state arrays)."""
        self.states = dict(states)
        self.states_synced = dict.fromkeys(self.states, False)

    def get_states(self, dump_optimizer=False):
        return dict(self.states)


def _sync_state(state, ctx):
    if isinstance(state, NDArray):
        return state.as_in_context(ctx)
    if isinstance(state, (tuple, list)):
        return type(state)(_sync_state(s, ctx) for s in state)
    return state


def get_updater(optimizer):
    """An ``Updater`` closure: ``updater(index, grad, weight)`` updates ``weight`` in place."""
    return Updater(optimizer)
