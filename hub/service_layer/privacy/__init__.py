"""Use cases of personal-data protection: forgetting a data subject.

- :mod:`~hub.service_layer.privacy.erasure` — forgetting a subject, and its ``SubjectForgotten``
  record.

Sealing and opening personal fields, and the subject keys, are adapters
(:mod:`hub.adapters.crypto`); the ledger that uses them is :mod:`hub.adapters.store.ledger`.
"""
