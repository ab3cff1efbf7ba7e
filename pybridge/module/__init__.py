"""``mx.mod``: modules (``Module``, ``BaseModule``) and the engine's training loop."""
from .base_module import BaseModule
from .loop import BatchEndParam
from .module import Module
from .reporting import PythonReporter, RReporter

__all__ = ["BaseModule", "Module", "BatchEndParam", "PythonReporter", "RReporter"]
