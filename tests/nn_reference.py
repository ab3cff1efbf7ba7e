"""Plain NumPy reference computations for the nn operator tests (loops, no Chainer).

Written from the MXNet formulas, independently of pybridge's implementation.
"""
import math

import numpy as np


def fully_connected(x, w, b=None, flatten=True):
    if flatten:
        x = x.reshape(x.shape[0], -1)
    y = x @ w.T
    return y if b is None else y + b


def conv(x, w, b=None, stride=None, pad=None, dilate=None, groups=1):
    """N-D cross-correlation, NC* layout, by summing one kernel tap at a time."""
    nd = x.ndim - 2
    stride, pad, dilate = (stride or (1,) * nd), (pad or (0,) * nd), (dilate or (1,) * nd)
    xp = np.pad(x, ((0, 0), (0, 0)) + tuple((p, p) for p in pad))
    k = w.shape[2:]
    out_sp = [(x.shape[2 + i] + 2 * pad[i] - dilate[i] * (k[i] - 1) - 1) // stride[i] + 1
              for i in range(nd)]
    n, c = x.shape[:2]
    f = w.shape[0]
    cg, fg = c // groups, f // groups
    y = np.zeros((n, f) + tuple(out_sp))
    for tap in np.ndindex(*k):
        sl = tuple(slice(tap[i] * dilate[i], tap[i] * dilate[i] + stride[i] * (out_sp[i] - 1) + 1,
                         stride[i]) for i in range(nd))
        patch = xp[(slice(None), slice(None)) + sl]          # (n, c, *out)
        for g in range(groups):
            wt = w[(slice(g * fg, (g + 1) * fg), slice(None)) + tap]   # (fg, cg)
            y[:, g * fg:(g + 1) * fg] += np.einsum("nc...,fc->nf...",
                                                  patch[:, g * cg:(g + 1) * cg], wt)
    if b is not None:
        y += b.reshape((1, f) + (1,) * nd)
    return y


def deconv(x, w, b=None, stride=None, pad=None, dilate=None, adj=None, groups=1):
    """Transposed convolution by scattering each input cell times the kernel."""
    nd = x.ndim - 2
    stride, pad, dilate = (stride or (1,) * nd), (pad or (0,) * nd), (dilate or (1,) * nd)
    adj = adj or (0,) * nd
    k = w.shape[2:]
    n, c = x.shape[:2]
    fg = w.shape[1]
    f = fg * groups
    cg = c // groups
    full = [stride[i] * (x.shape[2 + i] - 1) + dilate[i] * (k[i] - 1) + 1 + adj[i]
            for i in range(nd)]
    y = np.zeros((n, f) + tuple(full))
    for tap in np.ndindex(*k):
        sl = tuple(slice(tap[i] * dilate[i], tap[i] * dilate[i] + stride[i] * (x.shape[2 + i] - 1) + 1,
                         stride[i]) for i in range(nd))
        for g in range(groups):
            wt = w[(slice(g * cg, (g + 1) * cg), slice(None)) + tap]   # (cg, fg)
            y[(slice(None), slice(g * fg, (g + 1) * fg)) + sl] += np.einsum(
                "nc...,cf->nf...", x[:, g * cg:(g + 1) * cg], wt)
    crop = tuple(slice(pad[i], full[i] - pad[i]) for i in range(nd))
    y = y[(slice(None), slice(None)) + crop]
    if b is not None:
        y = y + b.reshape((1, f) + (1,) * nd)
    return y


def pool_out_size(x, k, s, p, convention):
    if convention == "valid":
        return (x + 2 * p - k) // s + 1
    if convention == "full":
        return int(math.ceil((x + 2 * p - k) / s)) + 1
    return int(math.ceil((x + 2 * p) / s))


def pool(x, kernel, stride, pad, pool_type="max", convention="valid", count_include_pad=True,
         p_value=None):
    """MXNet's pooling, one output cell at a time (2-D or 1-D, NC* layout)."""
    nd = x.ndim - 2
    sp = x.shape[2:]
    outs = [pool_out_size(sp[i], kernel[i], stride[i], pad[i], convention) for i in range(nd)]
    y = np.zeros(x.shape[:2] + tuple(outs))
    for o in np.ndindex(*outs):
        lo, hi, size = [], [], 1
        for i in range(nd):
            start = o[i] * stride[i] - pad[i]
            end = min(start + kernel[i], sp[i] + pad[i])
            full = end - start
            start, end = max(start, 0), min(end, sp[i])
            size *= full if count_include_pad else (end - start)
            lo.append(start)
            hi.append(end)
        win = x[(slice(None), slice(None)) + tuple(slice(a, b) for a, b in zip(lo, hi))]
        win = win.reshape(x.shape[0], x.shape[1], -1)
        if pool_type == "max":   # an empty window (all padding) gives the lowest float32
            v = win.max(axis=2) if win.shape[2] else np.finfo(np.float32).min
        elif pool_type == "avg":   # an empty window averages to 0 (MXNet sums nothing)
            v = win.sum(axis=2) / size if size else 0.0
        elif pool_type == "sum":
            v = win.sum(axis=2)
        else:
            v = (win ** p_value).sum(axis=2)
            v = np.cbrt(v) if p_value == 3 else v ** (1.0 / p_value)
        y[(slice(None), slice(None)) + o] = v
    return y


def batch_norm(x, gamma, beta, mean, var, eps, axis=1):
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * gamma.reshape(shape) \
        + beta.reshape(shape)


def lrn(x, nsize, alpha, beta, knorm):
    c = x.shape[1]
    half = nsize // 2
    y = np.empty_like(x)
    for ch in range(c):
        lo, hi = max(0, ch - half), min(c, ch + half + 1)
        s = (x[:, lo:hi] ** 2).sum(axis=1)
        y[:, ch] = x[:, ch] / (knorm + alpha / nsize * s) ** beta
    return y


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def erf(x):
    return np.vectorize(math.erf)(x)


ACTIVATIONS = {
    "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "tanh": np.tanh,
    "softrelu": lambda x: np.log1p(np.exp(x)),
    "softsign": lambda x: x / (1 + np.abs(x)),
}

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946


def leaky(x, act_type, slope=0.25, lower=0.125, upper=0.334, gamma=None):
    if act_type == "leaky":
        return np.where(x > 0, x, slope * x)
    if act_type == "elu":
        return np.where(x > 0, x, slope * (np.exp(x) - 1))
    if act_type == "selu":
        return SELU_LAMBDA * np.where(x > 0, x, SELU_ALPHA * (np.exp(x) - 1))
    if act_type == "gelu":
        return 0.5 * x * (1 + erf(x / math.sqrt(2)))
    if act_type == "rrelu":
        return np.where(x > 0, x, (lower + upper) / 2 * x)
    g = gamma.reshape((1, -1) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, g * x)
