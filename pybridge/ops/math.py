"""Operator family: math (to be filled)."""
