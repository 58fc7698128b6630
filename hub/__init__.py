"""The hub: domain, ledger, bus, routing, ingress and delivery, composed by ``bootstrap``."""
