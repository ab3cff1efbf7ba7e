"""Atomic file writes (being written)."""
