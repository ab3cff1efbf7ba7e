"""Operator family: shape (to be filled)."""
