"""Operator families; importing this package registers every operator."""
from . import arith, indexing, linalg, loss, math, nn, random, reduce, shape  # noqa: F401
