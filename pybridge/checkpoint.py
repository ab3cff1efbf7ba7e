"""Checkpoint files (being written)."""
