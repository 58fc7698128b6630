"""Outside world <-> contracts: one module per technology (SOAP, XML, JSON).

Adapters import ``contracts`` and never touch the event store or the bus.
"""
