"""Personal data sealed per data subject, and erasable (crypto-shredding); the keys behind it.

- :mod:`~hub.adapters.crypto.subjects` — who an exchange is about: SUBJECT_FIELD, subject
  references;
- :mod:`~hub.domain.personal` — the one list of personal fields in stored events;
- :mod:`~hub.adapters.crypto.envelope` — sealed fields (AES-256-GCM) and erased markers;
- :mod:`~hub.adapters.crypto.mapper` — the eventsourcing mapper that seals and opens them;
- :mod:`~hub.adapters.crypto.keystore` (+ ``keystore_postgres``) — wrapped subject keys, apart
  from the events; :mod:`~hub.adapters.crypto.kek` — the key-encryption key and where it
  comes from; :mod:`~hub.adapters.crypto.kek_rotation` — re-wrapping everything under a new one;
- :mod:`~hub.adapters.crypto.keyring` — refs and keys for the mapper and for operators, and
  ``open_keyring(settings)``;
- :mod:`~hub.adapters.crypto.errors` — what goes wrong protecting or revealing personal data.

The use cases on top live in the service layer (:mod:`hub.service_layer.privacy`: forgetting
a subject); :mod:`hub.bootstrap.privacy` builds the ledger (:mod:`hub.adapters.store.ledger`)
with the region's keyring.
"""
