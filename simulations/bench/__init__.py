"""Benchmarks: each module's ``run()`` returns figures measured beside their raw reference."""
