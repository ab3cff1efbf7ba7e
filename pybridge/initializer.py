"""mx.init (being written)."""
