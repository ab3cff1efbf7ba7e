"""Operator family: reduce (to be filled)."""
