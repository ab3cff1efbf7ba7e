"""``mx.mod``: modules (``Module``, ``BucketingModule``, ``BaseModule``) and the engine's
training loop."""
from .base_module import BaseModule
from .bucketing_module import BucketingModule
from .loop import BatchEndParam
from .module import Module
from .reporting import PythonReporter, RReporter

__all__ = ["BaseModule", "BucketingModule", "Module", "BatchEndParam", "PythonReporter", "RReporter"]
