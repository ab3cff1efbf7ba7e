"""Executor (being written)."""
