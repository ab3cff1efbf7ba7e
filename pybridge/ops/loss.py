"""Operator family: loss (to be filled)."""
