"""One-stop cases: declared case types, the case engine, decisions and time limits."""
