"""CPU convolution without a graph (inference, imperative calls) on channel-last memory.

The arrays keep their NCHW shape, but the results live in NHWC memory (an NCHW-shaped,
transposed view), so a chain of convolutions, BatchNorms, ReLUs and poolings never transposes:
the next convolution reads its input as the (N, H, W, C) array it already is.

A convolution is im2col + one sgemm per chunk of the batch: the columns of a few thousand
output pixels, laid out (pixel, kh, kw, C), are copied from one strided view of the padded input
into a scratch buffer reused across chunks and calls (it stays in cache for the sgemm), and the
product lands directly in the NHWC output.  A 1x1 stride-1 convolution is the sgemm alone.
An optional epilogue runs on each chunk while it is in cache: a per-channel bias and a ReLU;
with ``scale`` the weights are scaled per output channel first (a BatchNorm folded in).
"""
import threading

import numpy as np
from numpy.lib.stride_tricks import as_strided

# output pixels per chunk: big enough for an efficient sgemm, small enough that the column
# buffer (rows x kh*kw*C) and the output rows stay in the last-level cache (measured)
_CHUNK_ROWS = 2048

_scratch = threading.local()


def scratch(tag, shape, dtype, zero=False):
    """A per-thread buffer reused across calls; ``zero`` ones are zeroed when first made (the
    padded inputs: only their interior is ever written, so the border stays zero)."""
    pool = getattr(_scratch, "pool", None)
    if pool is None:
        pool = _scratch.pool = {}
    key = (tag, shape, np.dtype(dtype).str)
    buf = pool.get(key)
    if buf is None:
        buf = pool[key] = (np.zeros if zero else np.empty)(shape, dtype)
    return buf


def nhwc(x):
    """The (N, H, W, C) view of an NCHW-shaped array (no copy)."""
    return x.transpose(0, 2, 3, 1)


def _padded(xt, ph, pw):
    """xt (N, H, W, C) zero-padded in space, in a reused buffer."""
    if not ph and not pw:
        return xt
    n, h, w, c = xt.shape
    buf = scratch("pad", (n, h + 2 * ph, w + 2 * pw, c), xt.dtype, zero=True)
    buf[:, ph:ph + h, pw:pw + w] = xt
    return buf


def weight_matrix(w, scale=None):
    """(kh*kw*C, F) view of w (F, C, kh, kw), rows in (kh, kw, C) order; optionally each
    output channel f multiplied by scale[f]."""
    f = w.shape[0]
    wt = w.transpose(0, 2, 3, 1)
    if scale is None:
        mat = np.ascontiguousarray(wt)
    else:
        mat = np.multiply(wt, scale.reshape(f, 1, 1, 1).astype(w.dtype, copy=False))
    return mat.reshape(f, -1).T      # F-ordered: the sgemm reads it transposed, no copy


def _take(out, shape, dtype):
    """``out(shape, dtype)`` when given (an executor's buffer pool), else a new array."""
    return out(shape, dtype) if out is not None else np.empty(shape, dtype)


def conv2d(x, w, bias=None, stride=(1, 1), pad=(0, 0), dilate=(1, 1), scale=None,
           residual=None, relu=False, out=None):
    """Convolution of NCHW-shaped x (any strides) with w (F, C, kh, kw); no groups.

    Returns an (N, F, oh, ow) view of an NHWC array: ``y = conv(x, w * scale) + bias``, then
    ``y + residual`` (NCHW-shaped, any strides), then ``max(y, 0)`` when ``relu``.
    ``out(shape, dtype)``, when given, supplies the NHWC result array.
    """
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, pad, dilate
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    dt = np.result_type(x.dtype, w.dtype)
    xpad = _padded(nhwc(x), ph, pw)
    wmat = weight_matrix(w.astype(dt, copy=False), scale)
    if bias is not None:
        bias = bias.astype(dt, copy=False)
    y4 = _take(out, (n, oh, ow, f), dt)
    res = nhwc(residual) if residual is not None else None
    k = kh * kw * c
    direct = kh == kw == sh == sw == 1 and xpad.flags.c_contiguous   # 1x1: input = matrix
    s0, s1, s2, s3 = xpad.strides
    nb = max(1, min(n, _CHUNK_ROWS // (oh * ow)))
    if not direct:
        buf = scratch("cols", (nb, oh, ow, kh, kw, c), dt)
    for b0 in range(0, n, nb):
        m = min(nb, n - b0)
        if direct:
            cols = xpad[b0:b0 + m].reshape(m * oh * ow, c)
        else:
            view = as_strided(xpad[b0:], shape=(m, oh, ow, kh, kw, c),
                              strides=(s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3), writeable=False)
            np.copyto(buf[:m], view)
            cols = buf[:m].reshape(m * oh * ow, k)
        y = y4[b0:b0 + m].reshape(m * oh * ow, f)
        np.matmul(cols, wmat, out=y)
        # the epilogue, on rows still in cache
        if bias is not None:
            y += bias
        if res is not None:
            np.add(y4[b0:b0 + m], res[b0:b0 + m], out=y4[b0:b0 + m])
        if relu:
            np.maximum(y, 0, out=y)
    return y4.transpose(0, 3, 1, 2)


def affine_relu(x, scale, shift, relu=False, out=None):
    """``x * scale + shift`` per channel (axis 1) of an NCHW-shaped 4-D x, then ``max(., 0)``
    when ``relu``; the result has x's memory order (NHWC stays NHWC)."""
    n, c, h, w = x.shape
    dt = x.dtype
    scale, shift = scale.astype(dt, copy=False), shift.astype(dt, copy=False)
    if nhwc(x).flags.c_contiguous:
        y = _take(out, (n, h, w, c), dt)
        np.multiply(nhwc(x), scale, out=y)
        y += shift
        y = y.transpose(0, 3, 1, 2)
    else:
        y = _take(out, (n, c, h, w), dt)
        np.multiply(x, scale.reshape(c, 1, 1), out=y)
        y += shift.reshape(c, 1, 1)
    if relu:
        np.maximum(y, 0, out=y)
    return y


def max_pool2d(x, kernel, stride, pad, outs, out=None):
    """Max pooling of an NCHW-shaped 4-D float x with the output size ``outs``; cells outside
    the input count as the dtype's lowest value.  Works on NHWC memory, returns an NCHW view."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw), (oh, ow) = kernel, stride, pad, outs
    hp, wp = max((oh - 1) * sh + kh, h + ph), max((ow - 1) * sw + kw, w + pw)
    xt = nhwc(x)
    if (hp, wp) != (h, w) or ph or pw:
        buf = scratch("maxpad", (n, hp, wp, c), x.dtype)
        buf[:, :ph] = buf[:, ph + h:] = buf[:, :, :pw] = buf[:, :, pw + w:] = np.finfo(x.dtype).min
        buf[:, ph:ph + h, pw:pw + w] = xt[:, :hp - ph, :wp - pw]
        xt = buf
    y = _take(out, (n, oh, ow, c), x.dtype)
    for i in range(kh):
        for j in range(kw):
            tap = xt[:, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]
            if i == j == 0:
                np.copyto(y, tap)
            else:
                np.maximum(y, tap, out=y)
    return y.transpose(0, 3, 1, 2)
