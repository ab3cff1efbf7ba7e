"""mx.nd.save / mx.nd.load (being written)."""
