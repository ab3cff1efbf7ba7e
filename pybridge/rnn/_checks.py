"""Argument checks shared by the ``mx.rnn`` classes: MXNetError naming the function and argument."""
import numbers

from ..base import MXNetError
from ..symbol import Symbol


def positive_int(where, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise MXNetError(f"{where}: '{name}' must be a positive integer, got {value!r}")
    return int(value)


def probability(where, name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise MXNetError(f"{where}: '{name}' must be a number in [0, 1), got {value!r}")
    return float(value)


def string(where, name, value):
    if not isinstance(value, str):
        raise MXNetError(f"{where}: '{name}' must be a string, got {type(value).__name__}")
    return value


def layout_axis(where, layout):
    """The time axis of an 'NTC'/'TNC' layout."""
    if not isinstance(layout, str) or sorted(layout) != ["C", "N", "T"]:
        raise MXNetError(f"{where}: 'layout' must be 'NTC' or 'TNC', got {layout!r}")
    return layout.find("T")


def symbols(where, name, value):
    """A list of Symbols (a single Symbol is not accepted here)."""
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, Symbol) for v in value):
        raise MXNetError(f"{where}: '{name}' must be a Symbol or a list of Symbols, "
                         f"got {type(value).__name__}")
    return list(value)
