"""Errors and MXNet-style parameter parsing shared by every layer of the engine."""
import ast

import numpy as np


class MXNetError(Exception):
    """The engine's one exception type, as in MXNet (``mxnet.base.MXNetError``)."""


# MXNet's default real type.
mx_real_t = np.float32

_DTYPE_NAMES = {
    "float32": np.float32, "float64": np.float64, "float16": np.float16,
    "uint8": np.uint8, "int8": np.int8, "int32": np.int32, "int64": np.int64,
    "bool": np.bool_,
}


def as_dtype(value, where="dtype"):
    """A NumPy dtype from a name, a NumPy type or a dtype; MXNetError otherwise."""
    if value is None:
        return np.dtype(mx_real_t)
    if isinstance(value, str):
        key = value.strip().strip("'\"")
        if key not in _DTYPE_NAMES:
            raise MXNetError(f"{where}: unknown dtype '{value}'; expected one of "
                             f"{', '.join(_DTYPE_NAMES)}")
        return np.dtype(_DTYPE_NAMES[key])
    try:
        dt = np.dtype(value)
    except (TypeError, ValueError) as exc:
        raise MXNetError(f"{where}: unknown dtype {value!r}") from exc
    if dt.name not in _DTYPE_NAMES:
        raise MXNetError(f"{where}: dtype {dt.name} is not supported")
    return dt


def literal(text):
    """Parse a string the way MXNet's parameter parser reads it: numbers, tuples, booleans."""
    s = text.strip()
    if s in ("True", "true"):
        return True
    if s in ("False", "false"):
        return False
    if s in ("None", "none"):
        return None
    try:
        return ast.literal_eval(s)
    except (ValueError, SyntaxError):
        return s
