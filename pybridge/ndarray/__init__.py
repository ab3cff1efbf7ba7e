"""``mx.nd``: NDArray, creation functions, file I/O and one function per registry operator."""
from .. import ops as _ops  # noqa: F401  (registers every operator)
from . import random
from .ndarray import (NDArray, arange, array, concatenate, empty, full, invoke, ones,
                      waitall, zeros)
from .op_functions import generate as _generate
from .serialization import *  # noqa: F401,F403  (save, load)

ops_namespace = _generate()
globals().update({k: v for k, v in ops_namespace.items() if k not in globals()})
