"""Security: who may use the hub (credentials), for what (access, purposes, consent)."""
