"""Event-sourced aggregates of the hub. Events are recorded facts, not wire messages."""
