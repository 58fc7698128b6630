"""Personal data sealed per data subject, and erasable (crypto-shredding).

- :mod:`~hub.service_layer.privacy.subjects` — who an exchange is about: SUBJECT_FIELD, subject
references;
- :mod:`~hub.service_layer.privacy.personal` — the one list of personal fields in stored events;
- :mod:`~hub.adapters.crypto.envelope` — sealed fields (AES-256-GCM) and erased markers;
- :mod:`~hub.adapters.crypto.mapper` — the eventsourcing mapper that seals and opens them;
- :mod:`~hub.adapters.crypto.keystore` (+ ``keystore_postgres``) — wrapped subject keys, apart
  from the events; :mod:`~hub.adapters.crypto.kek` — the key-encryption key;
- :mod:`~hub.service_layer.privacy.keyring` — refs and keys for the mapper and for operators;
- :mod:`~hub.service_layer.privacy.erasure` — forgetting a subject, and its ``SubjectForgotten``
record;
- :mod:`~hub.bootstrap.privacy` — ``build_ledger(settings)``, the one construction path.

Nothing here is re-exported: :mod:`hub.service_layer.exchanges.ledger` imports the mapper, and the
erasure and wiring modules import the ledger.
"""
