"""Operator family: nn (to be filled)."""
