"""Dense layers: FullyConnected and Embedding."""
from ..base import MXNetError, as_dtype
from ..registry import Kind, Param, register
from ._util import is_variable, raw
from .nn_common import assign_shape, prod


# ------------------------------------------------------------------ FullyConnected
def _fc_inputs(attrs):
    return ["data", "weight"] if attrs.no_bias else ["data", "weight", "bias"]


def _fc_infer(attrs, shapes):
    op, n = "FullyConnected", attrs.num_hidden
    data = shapes[0]
    if data is None:
        return shapes, [None], []
    if len(data) < 1:
        raise MXNetError(f"{op}: input data must have at least 1 dimension")
    if attrs.flatten:
        in_units = prod(data[1:])
        out = (data[0], n)
    else:
        in_units = data[-1]
        out = tuple(data[:-1]) + (n,)
    assign_shape(op, shapes, 1, "weight", (n, in_units))
    if not attrs.no_bias:
        assign_shape(op, shapes, 2, "bias", (n,))
    return shapes, [out], []


@register("FullyConnected", inputs=_fc_inputs, infer_shape=_fc_infer, params=[
    Param("num_hidden", Kind.int, doc="number of hidden units (output size)"),
    Param("no_bias", Kind.bool, False, doc="whether to disable the bias"),
    Param("flatten", Kind.bool, True,
          doc="flatten all input axes but the first; otherwise apply to the last axis"),
])
def fully_connected(call, data, weight, bias=None):
    """Affine transformation ``data . weight^T + bias``."""
    a = call.attrs
    if a.num_hidden < 1:
        raise MXNetError(f"FullyConnected: 'num_hidden' must be positive, got {a.num_hidden}")
    if a.flatten:
        if data.ndim != 2:
            data = call.F.reshape(data, (data.shape[0], prod(data.shape[1:])))
        batch_axes = 1
    else:
        batch_axes = data.ndim - 1
    in_units = prod(data.shape[batch_axes:])
    if tuple(weight.shape) != (a.num_hidden, in_units):
        raise MXNetError(f"FullyConnected: 'weight' has shape {tuple(weight.shape)}, expected "
                         f"({a.num_hidden}, {in_units}) for data of shape {tuple(data.shape)}")
    if bias is not None and tuple(bias.shape) != (a.num_hidden,):
        raise MXNetError(f"FullyConnected: 'bias' has shape {tuple(bias.shape)}, expected "
                         f"({a.num_hidden},)")
    if not is_variable(data) and not is_variable(weight):
        # imperative: one BLAS call without Chainer's per-call overhead
        out = call.xp.matmul(data, weight.T)
        return out + bias if bias is not None else out
    return call.F.linear(data, weight, bias, n_batch_axes=batch_axes)


# ------------------------------------------------------------------ Embedding
def _embedding_infer(attrs, shapes):
    assign_shape("Embedding", shapes, 1, "weight", (attrs.input_dim, attrs.output_dim))
    data = shapes[0]
    out = None if data is None else tuple(data) + (attrs.output_dim,)
    return shapes, [out], []


def _embedding_type(attrs, types):
    dt = as_dtype(attrs.dtype).name
    return [types[0], dt], [dt], []


@register("Embedding", inputs=("data", "weight"), infer_shape=_embedding_infer,
          infer_type=_embedding_type, params=[
    Param("input_dim", Kind.int, doc="vocabulary size (rows of 'weight')"),
    Param("output_dim", Kind.int, doc="embedding size (columns of 'weight')"),
    Param("dtype", Kind.dtype, "float32", doc="data type of 'weight' and the output"),
    Param("sparse_grad", Kind.bool, False, doc="accepted; gradients are always dense here"),
])
def embedding(call, data, weight):
    """Maps integer indices to rows of 'weight'; indices are clipped to [0, input_dim)."""
    a = call.attrs
    if tuple(weight.shape) != (a.input_dim, a.output_dim):
        raise MXNetError(f"Embedding: 'weight' has shape {tuple(weight.shape)}, expected "
                         f"({a.input_dim}, {a.output_dim})")
    xp = call.xp
    # MXNet reads the (float) indices by truncation and clips them into range
    idx = xp.clip(raw(data).astype(xp.int64), 0, a.input_dim - 1).astype(xp.int32)
    if not is_variable(weight):
        return weight[idx]
    flat = call.F.embed_id(idx.reshape(-1), weight)
    return call.F.reshape(flat, idx.shape + (a.output_dim,))
