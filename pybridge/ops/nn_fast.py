"""CPU fast paths for 2-D convolution, deconvolution and max pooling (NumPy arrays, NCHW).

Chainer's CPU convolution builds an (N, C, kh, kw, oh, ow) column array and contracts it with
``tensordot``, which transposes both operands around the GEMM; that costs as much as the
GEMM itself.  Here the columns are laid out (C*kh*kw, N*oh*ow) straight from one strided view
of the padded input (its inner axis is a contiguous image row when stride is 1), so the
forward pass is one copy plus one sgemm, and each backward product is one sgemm.

Max pooling takes a running maximum over the kh*kw strided views of the padded input;
backward sends each gradient to the first tap equal to the maximum (MXNet's tie rule)
through the same views.  No (N, C, kh*kw, oh, ow) temporary is built.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

from .._compat import chainer


def _pad(x, pad, value=0):
    ph, pw = pad
    if not ph and not pw:
        return x
    n, c, h, w = x.shape
    out = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    out[:, :, ph:ph + h, pw:pw + w] = x
    return out


def _tap_view(xp, kh, kw, oh, ow, stride, dilate):
    """View of padded x (N, C, Hp, Wp) as (C, kh, kw, N, oh, ow)."""
    sn, sc, sh, sw = xp.strides
    return as_strided(xp, shape=(xp.shape[1], kh, kw, xp.shape[0], oh, ow),
                      strides=(sc, sh * dilate[0], sw * dilate[1], sn, sh * stride[0],
                               sw * stride[1]), writeable=False)


class Conv2DCPU(chainer.function_node.FunctionNode):
    """Convolution (no groups) of NCHW float arrays; weight (F, C, kh, kw)."""

    def __init__(self, stride, pad, dilate):
        super().__init__()
        self.stride, self.pad, self.dilate = tuple(stride), tuple(pad), tuple(dilate)

    def forward(self, inputs):
        x, w = inputs[:2]
        b = inputs[2] if len(inputs) == 3 else None
        n, c, h, wd = x.shape
        f, _, kh, kw = w.shape
        (sh, sw), (ph, pw), (dh, dw) = self.stride, self.pad, self.dilate
        oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        self.shapes = (x.shape, oh, ow)
        cols = np.ascontiguousarray(_tap_view(_pad(x, self.pad), kh, kw, oh, ow, self.stride,
                                              self.dilate)).reshape(c * kh * kw, n * oh * ow)
        y = w.reshape(f, -1) @ cols                      # (F, N*oh*ow)
        if b is not None:
            y += b[:, None]
        self.cols = cols
        self.retain_inputs((0, 1))
        # an (N, F, oh, ow) view of the (F, N, oh, ow) product: no copy; the next layers
        # read it through strides, and this op's backward gets its gradient back in (F, N...)
        return y.reshape(f, n, oh, ow).transpose(1, 0, 2, 3),

    def backward(self, indexes, grad_outputs):
        x, w = self.get_retained_inputs()
        gy = grad_outputs[0].array
        (n, c, h, wd), oh, ow = self.shapes
        f, _, kh, kw = w.shape
        gy2 = np.ascontiguousarray(gy.transpose(1, 0, 2, 3)).reshape(f, n * oh * ow)
        out = []
        if 0 in indexes:
            gcols = (w.array.reshape(f, -1).T @ gy2).reshape(c, kh, kw, n, oh, ow)
            (sh, sw), (ph, pw), (dh, dw) = self.stride, self.pad, self.dilate
            # col2im in (C, N, H, W) order: each tap adds a contiguous block; one transposed
            # view at the end
            gx = np.zeros((c, n, h + 2 * ph, wd + 2 * pw), dtype=gy.dtype)
            for i in range(kh):
                for j in range(kw):
                    gx[:, :, i * dh:i * dh + sh * (oh - 1) + 1:sh,
                       j * dw:j * dw + sw * (ow - 1) + 1:sw] += gcols[:, i, j]
            out.append(chainer.Variable(gx[:, :, ph:ph + h, pw:pw + wd].transpose(1, 0, 2, 3)))
        if 1 in indexes:
            out.append(chainer.Variable((gy2 @ self.cols.T).reshape(w.shape).astype(gy.dtype, copy=False)))
        if 2 in indexes:
            out.append(chainer.Variable(gy2.sum(axis=1)))
        self.cols = None
        return tuple(out)


class MaxPool2DCPU(chainer.function_node.FunctionNode):
    """Max pooling of NCHW arrays given the output size; windows past the input are padding
    filled with the dtype's lowest value."""

    def __init__(self, kernel, stride, pad, outs):
        super().__init__()
        self.kernel, self.stride, self.pad, self.outs = kernel, stride, pad, outs

    def _padded(self, x):
        n, c, h, w = x.shape
        (kh, kw), (sh, sw), (ph, pw), (oh, ow) = self.kernel, self.stride, self.pad, self.outs
        hp, wp = max((oh - 1) * sh + kh, h + ph), max((ow - 1) * sw + kw, w + pw)
        xp = np.full((n, c, hp, wp), np.finfo(x.dtype).min, dtype=x.dtype)
        xp[:, :, ph:ph + h, pw:pw + w] = x[:, :, :hp - ph, :wp - pw]
        return xp

    def _views(self, xp):
        (kh, kw), (sh, sw), (oh, ow) = self.kernel, self.stride, self.outs
        for i in range(kh):
            for j in range(kw):
                yield xp[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw]

    def forward(self, inputs):
        x = inputs[0]
        xp = self._padded(x) if any(self.pad) or self._needs_fill(x) else x
        views = self._views(xp)
        best = next(views).copy()
        for v in views:
            np.maximum(best, v, out=best)
        self.retain_inputs((0,))
        self.retain_outputs((0,))
        return best,

    def _needs_fill(self, x):
        (kh, kw), (sh, sw), (oh, ow) = self.kernel, self.stride, self.outs
        return (oh - 1) * sh + kh > x.shape[2] or (ow - 1) * sw + kw > x.shape[3]

    def backward(self, indexes, grad_outputs):
        x = self.get_retained_inputs()[0].array
        y = self.get_retained_outputs()[0].array
        gy = grad_outputs[0].array
        n, c, h, w = x.shape
        (ph, pw) = self.pad
        xp = self._padded(x) if any(self.pad) or self._needs_fill(x) else x
        gx = np.zeros(xp.shape, dtype=gy.dtype)
        taken = np.zeros(y.shape, dtype=bool)
        # the gradient goes to the first tap holding the maximum (MXNet's rule for ties)
        for v, g in zip(self._views(xp), self._views(gx)):
            hit = v == y
            hit &= ~taken
            taken |= hit
            g += gy * hit
        return chainer.Variable(gx[:, :, ph:ph + h, pw:pw + w]),


class Deconv2DCPU(chainer.function_node.FunctionNode):
    """Transposed convolution (no groups) of NCHW float arrays; weight (C, F, kh, kw).

    Forward is Conv2DCPU's input gradient (one sgemm, then a col2im scatter); backward uses
    one strided im2col of the output gradient for both products.
    """

    def __init__(self, stride, pad, dilate, outs):
        super().__init__()
        self.stride, self.pad, self.dilate = tuple(stride), tuple(pad), tuple(dilate)
        self.outs = tuple(outs)

    def _full(self, kh, kw):
        (ph, pw), (oh, ow) = self.pad, self.outs
        return oh + 2 * ph, ow + 2 * pw

    def forward(self, inputs):
        x, w = inputs[:2]
        b = inputs[2] if len(inputs) == 3 else None
        n, c, h, wd = x.shape
        _, f, kh, kw = w.shape
        (sh, sw), (ph, pw), (dh, dw), (oh, ow) = self.stride, self.pad, self.dilate, self.outs
        x2 = np.ascontiguousarray(x.transpose(1, 0, 2, 3)).reshape(c, n * h * wd)
        gcols = (w.reshape(c, -1).T @ x2).reshape(f, kh, kw, n, h, wd)
        fh, fw = self._full(kh, kw)
        # the full output may be shorter than the taps reach when pad trims the end (adj < s)
        y = np.zeros((f, n, max(fh, dh * (kh - 1) + sh * (h - 1) + 1),
                      max(fw, dw * (kw - 1) + sw * (wd - 1) + 1)), dtype=x.dtype)
        for i in range(kh):
            for j in range(kw):
                y[:, :, i * dh:i * dh + sh * (h - 1) + 1:sh,
                  j * dw:j * dw + sw * (wd - 1) + 1:sw] += gcols[:, i, j]
        y = y[:, :, ph:ph + oh, pw:pw + ow]
        if b is not None:
            y = y + b[:, None, None, None]
        self.x2 = x2
        self.retain_inputs((0, 1))
        return y.transpose(1, 0, 2, 3),

    def backward(self, indexes, grad_outputs):
        x, w = self.get_retained_inputs()
        gy = grad_outputs[0].array
        n, c, h, wd = x.shape
        _, f, kh, kw = w.shape
        (ph, pw) = self.pad
        fh, fw = self._full(kh, kw)
        gyp = np.zeros((n, f, max(fh, self.dilate[0] * (kh - 1) + self.stride[0] * (h - 1) + 1),
                        max(fw, self.dilate[1] * (kw - 1) + self.stride[1] * (wd - 1) + 1)),
                       dtype=gy.dtype)
        gyp[:, :, ph:ph + gy.shape[2], pw:pw + gy.shape[3]] = gy
        cols = np.ascontiguousarray(_tap_view(gyp, kh, kw, h, wd, self.stride, self.dilate)
                                    ).reshape(f * kh * kw, n * h * wd)
        out = []
        if 0 in indexes:
            gx = (w.array.reshape(c, -1) @ cols).reshape(c, n, h, wd)
            out.append(chainer.Variable(gx.transpose(1, 0, 2, 3)))
        if 1 in indexes:
            out.append(chainer.Variable((self.x2 @ cols.T).reshape(w.shape)))
        if 2 in indexes:
            out.append(chainer.Variable(gy.sum(axis=(0, 2, 3))))
        self.x2 = None
        return tuple(out)
