"""mx.viz (being written)."""
