"""Sequence operators over padded batches: SequenceLast, SequenceMask, SequenceReverse.

Data is laid out with the time axis first, (T, N, ...), or (axis=1) batch first, (N, T, ...).
``sequence_length`` (only with use_sequence_length) holds one length per batch item, as a float
array; MXNet reads it by truncation to an integer.  Gradients flow to 'data' only.
"""
from ..base import MXNetError
from ..registry import Kind, Param, register
from ._util import is_variable, raw
from .nn_common import assign_shape, fmt, prod


_ALL_INPUTS = ("data", "sequence_length")


def _seq_inputs(attrs):
    return ["data", "sequence_length"] if attrs.use_sequence_length else ["data"]


def _check_axis(op, attrs, allowed):
    if attrs.axis not in allowed:
        raise MXNetError(f"{op}: invalid 'axis' {attrs.axis}: current implementation expects axis "
                         f"to be {' or '.join(map(str, allowed))}")


def _check_data(op, shape):
    if len(shape) < 2:
        raise MXNetError(f"{op}: the data array must be of rank 2 or greater, got shape "
                         f"{fmt(shape)}")


def _infer(op, allowed, out_shape):
    def infer(attrs, shapes):
        _check_axis(op, attrs, allowed)
        data = shapes[0]
        if data is None:
            return shapes, [None], []
        _check_data(op, data)
        if attrs.use_sequence_length:
            assign_shape(op, shapes, 1, "sequence_length", (data[1 - attrs.axis],))
        return shapes, [out_shape(attrs, tuple(data))], []
    return infer


def _lengths(op, call, data, sequence_length, low, bounded=True):
    """Per-batch-item lengths as integers (None without use_sequence_length), checked to lie in
    [low, T] (or [low, inf) when not ``bounded``: SequenceMask masks nothing past T)."""
    if not call.attrs.use_sequence_length:
        return None
    if sequence_length is None:
        raise MXNetError(f"{op}: input 'sequence_length' is required when use_sequence_length=True")
    axis = call.attrs.axis
    t, n = data.shape[axis], data.shape[1 - axis]
    lengths = raw(sequence_length)
    if tuple(lengths.shape) != (n,):
        raise MXNetError(f"{op}: 'sequence_length' has shape {fmt(lengths.shape)}, expected "
                         f"({n},) (one length per batch item)")
    lengths = lengths.astype("int64")   # truncation, as MXNet casts
    lo, hi = int(lengths.min()), int(lengths.max())
    if lo < low or (bounded and hi > t):
        wanted = f"[{low}, {t}]" if bounded else f">= {low}"
        raise MXNetError(f"{op}: 'sequence_length' values must be {wanted} for a sequence axis of "
                         f"length {t}, got values in [{lo}, {hi}]")
    return lengths


def _rows(call, data):
    """data (d0, d1, ...) as rows (d0*d1, rest) and the rest shape."""
    rest = tuple(data.shape[2:])
    return call.F.reshape(data, (data.shape[0] * data.shape[1], prod(rest))), rest


# ------------------------------------------------------------------ SequenceLast
_PARAMS = [
    Param("use_sequence_length", Kind.bool, False,
          doc="if true, the input 'sequence_length' gives each batch item's length"),
]


def _last_shape(attrs, data):
    return data[1:] if attrs.axis == 0 else (data[0],) + data[2:]


@register("SequenceLast", inputs=_seq_inputs, all_inputs=_ALL_INPUTS,
          infer_shape=_infer("SequenceLast", (0, 1), _last_shape),
          params=_PARAMS + [Param("axis", Kind.int, 0, doc="the sequence axis (0 or 1)")])
def sequence_last(call, data, sequence_length=None):
    """The last element of each sequence: at index T-1, or sequence_length-1 per batch item;
    zeros for an empty sequence (MXNet 1.9.1 reads before the array there)."""
    op, axis, xp = "SequenceLast", call.attrs.axis, call.xp
    _check_axis(op, call.attrs, (0, 1))
    _check_data(op, data.shape)
    lengths = _lengths(op, call, data, sequence_length, 0)
    if lengths is None:
        last = data[-1] if axis == 0 else data[:, -1]
        return last if is_variable(last) else last.copy()    # not a view of the input
    t, n = data.shape[axis], data.shape[1 - axis]
    batch = xp.arange(n, dtype="int64")
    lengths = xp.asarray(lengths)
    last = xp.maximum(lengths - 1, 0)
    flat = last * n + batch if axis == 0 else batch * t + last
    rows, rest = _rows(call, data)
    out = call.F.reshape(call.F.get_item(rows, flat), (n,) + rest)
    if int(lengths.min()) > 0:
        return out
    empty = xp.broadcast_to((lengths == 0).reshape((n,) + (1,) * len(rest)), out.shape)
    return call.F.where(empty, xp.zeros(out.shape, raw(out).dtype), out)


# ------------------------------------------------------------------ SequenceMask
def _valid(xp, lengths, t, axis, shape):
    """Boolean array of ``shape``: True where the time index is below the item's length."""
    steps = xp.arange(t, dtype="int64")
    lengths = xp.asarray(lengths)
    keep = steps[:, None] < lengths[None, :] if axis == 0 else lengths[:, None] > steps[None, :]
    keep = keep.reshape(keep.shape + (1,) * (len(shape) - 2))
    return xp.broadcast_to(keep, shape)


@register("SequenceMask", inputs=_seq_inputs, all_inputs=_ALL_INPUTS,
          infer_shape=_infer("SequenceMask", (0, 1), lambda a, d: d),
          params=_PARAMS + [
              Param("value", Kind.float, 0.0, doc="the value written past each sequence's end"),
              Param("axis", Kind.int, 0, doc="the sequence axis (0 or 1)")])
def sequence_mask(call, data, sequence_length=None):
    """Sets the elements past each sequence's length to 'value' (no gradient flows there)."""
    op, a, xp = "SequenceMask", call.attrs, call.xp
    _check_axis(op, a, (0, 1))
    _check_data(op, data.shape)
    lengths = _lengths(op, call, data, sequence_length, 0, bounded=False)
    if lengths is None:
        return data if is_variable(data) else data.copy()    # identity, not an alias
    keep = _valid(xp, lengths, data.shape[a.axis], a.axis, data.shape)
    fill = xp.full(data.shape, a.value, dtype=raw(data).dtype)
    return call.F.where(keep, data, fill)


# ------------------------------------------------------------------ SequenceReverse
@register("SequenceReverse", inputs=_seq_inputs, all_inputs=_ALL_INPUTS,
          infer_shape=_infer("SequenceReverse", (0,), lambda a, d: d),
          params=_PARAMS + [Param("axis", Kind.int, 0, doc="the sequence axis (only 0)")])
def sequence_reverse(call, data, sequence_length=None):
    """Reverses each sequence along axis 0; with lengths, only its first sequence_length
    elements (the padding stays in place)."""
    op, xp = "SequenceReverse", call.xp
    _check_axis(op, call.attrs, (0,))
    _check_data(op, data.shape)
    lengths = _lengths(op, call, data, sequence_length, 0)
    if lengths is None:
        out = call.F.flip(data, 0)
        return out if is_variable(out) else out.copy()     # np.flip is a view
    t, n = data.shape[0], data.shape[1]
    steps = xp.arange(t, dtype="int64")[:, None]
    lengths = xp.asarray(lengths)[None, :]
    source = xp.where(steps < lengths, lengths - 1 - steps, steps)     # (T, N) source time
    flat = (source * n + xp.arange(n, dtype="int64")[None, :]).reshape(-1)
    rows, _ = _rows(call, data)
    return call.F.reshape(call.F.get_item(rows, flat), data.shape)
