"""``mx.sym.zeros``, ``ones``, ``full``, ``arange``: symbols with no inputs, as in MXNet 1.x
(nodes of the ``_zeros``/``_ones``/``_full``/``_arange`` operators, named ``_zeros0``...)."""
import numbers

import numpy as np

from ..base import MXNetError
from ..registry import get_op
from .compose import create


def _node(op_name, kwargs):
    return create(get_op(op_name), op_name, (), kwargs)


def zeros(shape, dtype=None, **kwargs):
    return _node("_zeros", dict(shape=shape, dtype=dtype or np.float32, **kwargs))


def ones(shape, dtype=None, **kwargs):
    return _node("_ones", dict(shape=shape, dtype=dtype or np.float32, **kwargs))


def full(shape, val, dtype=None, **kwargs):
    if isinstance(val, bool) or not isinstance(val, numbers.Real):
        raise MXNetError(f"full: val must be a number, got {val!r}")
    return _node("_full", dict(shape=shape, dtype=dtype or np.float32, value=float(val),
                               **kwargs))


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, name=None, dtype=None):
    return _node("_arange", dict(start=start, stop=stop, step=step, repeat=repeat,
                                 infer_range=infer_range, name=name,
                                 dtype=dtype or np.float32))
