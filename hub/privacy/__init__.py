"""Personal data sealed per data subject, and erasable (crypto-shredding).

- :mod:`~hub.privacy.subjects` — who an exchange is about: SUBJECT_FIELD, subject references;
- :mod:`~hub.privacy.personal` — the one list of personal fields in stored events;
- :mod:`~hub.privacy.envelope` — sealed fields (AES-256-GCM) and erased markers;
- :mod:`~hub.privacy.mapper` — the eventsourcing mapper that seals and opens them;
- :mod:`~hub.privacy.keystore` (+ ``keystore_postgres``) — wrapped subject keys, apart
  from the events; :mod:`~hub.privacy.kek` — the key-encryption key;
- :mod:`~hub.privacy.keyring` — refs and keys for the mapper and for operators;
- :mod:`~hub.privacy.erasure` — forgetting a subject, and its ``SubjectForgotten`` record;
- :mod:`~hub.privacy.wiring` — ``build_ledger(settings)``, the one construction path.

Nothing here is re-exported: :mod:`hub.ledger` imports the mapper, and the
erasure and wiring modules import the ledger.
"""
