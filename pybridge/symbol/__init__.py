"""mx.sym: symbols (being written)."""
