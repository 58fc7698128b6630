"""The departments' case desks (see :mod:`.app`)."""
