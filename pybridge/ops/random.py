"""Operator family: random (to be filled)."""
