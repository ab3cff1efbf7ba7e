"""Helpers shared by the neural-network operators: shape checks, spatial parameters, layouts."""
import numpy as np

from ..base import MXNetError


def prod(shape):
    return int(np.prod(shape, dtype=np.int64)) if len(shape) else 1


def fmt(shape):
    return "(" + ",".join(str(d) for d in shape) + ")"


def _is_none(v):
    return v is None or (isinstance(v, str) and v.strip().strip("'\"") in ("None", "none", ""))


def opt_str(v):
    """Parameter kind: a string or None (MXNet's optional enums such as layout)."""
    if _is_none(v):
        return None
    if not isinstance(v, str):
        raise ValueError(f"expected a string, got {v!r}")
    return v.strip().strip("'\"")


def opt_bool(v):
    """Parameter kind: a boolean or None (MXNet's optional<bool>)."""
    if _is_none(v):
        return None
    if isinstance(v, str):
        v = {"true": True, "false": False, "1": True, "0": False}.get(v.strip().lower(), v)
    if isinstance(v, (bool, int)) and v in (0, 1):
        return bool(v)
    raise ValueError(f"expected a boolean, got {v!r}")


def assign_shape(op, shapes, index, name, expected):
    """Fill ``shapes[index]`` with ``expected`` when unknown; MXNetError when it differs."""
    got = shapes[index]
    expected = tuple(int(d) for d in expected)
    if got is None:
        shapes[index] = expected
    elif tuple(got) != expected:
        raise MXNetError(f"{op}: shape inconsistent for input '{name}': provided {fmt(got)}, "
                         f"inferred {fmt(expected)}")
    return shapes


def spatial(op, attrs, nd, key, default):
    """A per-spatial-dimension parameter (stride, pad, dilate, adj) expanded to ``nd`` values.

    MXNet leaves these empty by default, meaning ``default`` in every dimension.
    """
    value = attrs.get(key)
    if value is None or len(value) == 0:
        return (default,) * nd
    if len(value) != nd:
        raise MXNetError(f"{op}: '{key}' must have {nd} value(s) like 'kernel', got {fmt(value)}")
    return tuple(value)


def check_kernel(op, kernel, allowed=(1, 2)):
    if kernel is None or len(kernel) == 0:
        raise MXNetError(f"{op}: required parameter 'kernel' is missing or empty")
    if len(kernel) not in allowed:
        raise MXNetError(f"{op}: 'kernel' must have {' or '.join(map(str, allowed))} values "
                         f"(1-D or 2-D), got {fmt(kernel)}")
    if any(k <= 0 for k in kernel):
        raise MXNetError(f"{op}: 'kernel' must be positive, got {fmt(kernel)}")


_CHANNEL_LAST = {"NWC": "NCW", "NHWC": "NCHW", "NDHWC": "NCDHW"}


def check_layout(op, layout, ndim):
    if layout is None:
        return False
    if len(layout) != ndim:
        raise MXNetError(f"{op}: layout '{layout}' does not fit input data of {ndim} dimensions")
    return layout in _CHANNEL_LAST


def to_channel_first(F, x):
    """NWC/NHWC -> NCW/NCHW."""
    nd = x.ndim
    return F.transpose(x, (0, nd - 1) + tuple(range(1, nd - 1)))


def to_channel_last(F, x):
    nd = x.ndim
    return F.transpose(x, (0,) + tuple(range(2, nd)) + (1,))


def channel_first_shape(shape):
    return (shape[0], shape[-1]) + tuple(shape[1:-1])


def channel_last_shape(shape):
    return (shape[0],) + tuple(shape[2:]) + (shape[1],)
