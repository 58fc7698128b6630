"""Which stored fields are personal: the one list the subject cipher works from.

An event listed here is sealed field by field (:mod:`hub.adapters.crypto.mapper`) under
the key of the data subject named by its ``data_subject`` attribute (a subject
reference; "" when the contract declares no data subject, in which case the
fields are stored as they are — such a contract declares it carries no
personal data).

- ``Exchange.Translated.document``: the request, as its contract's JSON;
- ``Exchange.Responded.document``: the provider's answer, ditto;
- snapshots of an ``Exchange``: its ``request`` and ``response``;
- ``Case.Submitted.application``, ``Case.StepDecided.answer``, ``Case.ResultIssued.result``
  and, in snapshots of a ``Case``, its application, steps (their answers) and result.

Judged not personal, and left in the clear: identifiers of departments,
services and contracts; correlation ids; timings; outcomes; field issues of a
rejection (their reasons name rules, never input values); and the subject
reference itself. Known gap: the SHA-256 ``digest``/``payload_digest``/
``reply_digest`` of personal documents are stored in the clear; a national id
has so little entropy that a digest can be confirmed by guessing. Keyed digests
(HMAC under a region secret) would close that; see the issue note.
"""

from __future__ import annotations

from collections.abc import Mapping

from hub.domain.case import Case
from hub.domain.exchange import Exchange

SUBJECT_ATTRIBUTE = "data_subject"
"""The event attribute (and aggregate state key) holding the subject reference."""

RETENTION_PURPOSE = "purpose"
RETENTION_PERIOD = "retention"
"""The event attributes saying for which purpose and how long the personal fields are kept
(hub.domain.retention); absent or "": under the subject's own key, until forgotten."""

PERSONAL_EVENT_FIELDS: Mapping[str, tuple[str, ...]] = {
    Exchange.Translated.TOPIC: ("document",),
    Exchange.Responded.TOPIC: ("document",),
    Case.Submitted.TOPIC: ("application",),
    Case.StepDecided.TOPIC: ("answer",),
    Case.ResultIssued.TOPIC: ("result",),
}
"""Event topic -> personal fields of events with that topic."""

PERSONAL_SNAPSHOT_STATE: Mapping[str, tuple[str, ...]] = {
    Exchange.TOPIC: ("request", "response"),
    Case.TOPIC: ("application", "steps", "result"),
}
"""Aggregate topic -> personal keys of the state in snapshots of such aggregates."""
