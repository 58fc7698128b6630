"""Emulated legacy departments, scenarios, load and fault injection."""
