"""Exchanges."""
