"""``mx.io``: data iterators (MXNet 1.x names)."""
from .base import DataBatch, DataDesc, DataIter, ResizeIter
from .csv_iter import CSVIter
from .image_record import ImageRecordIter
from .mnist_iter import MNISTIter
from .ndarray_iter import NDArrayIter

__all__ = ["DataBatch", "DataDesc", "DataIter", "ResizeIter", "NDArrayIter", "CSVIter",
           "MNISTIter", "ImageRecordIter"]
