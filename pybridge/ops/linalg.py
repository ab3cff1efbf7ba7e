"""Operator family: linalg (to be filled)."""
