"""Operator family: indexing (to be filled)."""
