"""mx.mod (being written)."""
