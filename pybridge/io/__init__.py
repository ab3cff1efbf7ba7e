"""mx.io: data iterators (being written)."""
