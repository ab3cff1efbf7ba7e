"""rshim: the bridge between the R package ``mxnet`` and the engine ``pybridge``.

- ``attach()``: called in an R process (by the package's ``.onLoad`` through reticulate,
  or by ``host``) to hand over the entry points (``rshim.entries``) as ``.External`` routines.
- ``python -m rshim script.R`` / ``mxnet-r script.R``: Python hosts R (``rshim.host``).
"""
from .attach import attach  # noqa: F401

__all__ = ["attach"]
