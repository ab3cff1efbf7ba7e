"""Operator families; importing this package registers every operator."""
from . import arith, indexing, linalg, loss, math, nn, random, reduce, rnn, sequence, shape  # noqa: F401
