"""Automatic names and attribute scopes for symbols, as MXNet's ``mx.name`` / ``mx.AttrScope``.

``NameManager`` gives an operator node a name from a hint (the lowercased operator name) and a
counter per hint: ``fullyconnected0``, ``fullyconnected1``, ``convolution0``...  ``Prefix`` adds a
prefix to every automatic and explicit name.  ``AttrScope`` adds attributes (``ctx_group``,
``lr_mult``...) to every symbol created inside it.
"""
import threading

from ..base import MXNetError


class NameManager:
    """Names symbols: ``name`` if given, else ``<hint><counter>``; usable as ``with`` scope."""
    _local = threading.local()

    def __init__(self):
        self._counter = {}
        self._old = None

    def get(self, name, hint):
        if name:
            return name
        count = self._counter.get(hint, 0)
        self._counter[hint] = count + 1
        return f"{hint}{count}"

    def __enter__(self):
        self._old = NameManager.current()
        NameManager._local.value = self
        return self

    def __exit__(self, *exc):
        NameManager._local.value = self._old

    @staticmethod
    def current():
        manager = getattr(NameManager._local, "value", None)
        if manager is None:
            manager = NameManager._local.value = NameManager()
        return manager


class Prefix(NameManager):
    """A NameManager that prepends ``prefix`` to every name."""

    def __init__(self, prefix):
        super().__init__()
        self._prefix = prefix

    def get(self, name, hint):
        return self._prefix + super().get(name, hint)


class AttrScope:
    """Attributes added to every symbol created inside ``with AttrScope(key=value):``."""
    _local = threading.local()

    def __init__(self, **kwargs):
        for key, value in kwargs.items():
            if not isinstance(value, str):
                raise MXNetError(f"AttrScope: the value of attribute '{key}' must be a string")
        self._attr = kwargs
        self._old = None

    def get(self, attr):
        """The scope's attributes updated with ``attr`` (a dict or None)."""
        if not self._attr:
            return dict(attr) if attr else {}
        merged = dict(self._attr)
        if attr:
            merged.update(attr)
        return merged

    def __enter__(self):
        self._old = AttrScope.current()
        merged = dict(self._old._attr)
        merged.update(self._attr)
        self._attr = merged
        AttrScope._local.value = self
        return self

    def __exit__(self, *exc):
        AttrScope._local.value = self._old

    @staticmethod
    def current():
        scope = getattr(AttrScope._local, "value", None)
        if scope is None:
            scope = AttrScope._local.value = AttrScope()
        return scope
