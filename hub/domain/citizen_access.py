"""What a citizen read through a portal, and what was refused: the citizen API's own trail.

One ``CitizenAccess`` aggregate per accepted ID token. Its id is derived from the
token's issuer and ``jti``, so a token can be accepted once only: a second
acceptance, by this process or any other sharing the store, collides with the
first at save time and is refused as a replay. The token's use then records one
``Read`` per thing the person was shown (the API: the one reading the request
asked for; the pages: each page seen while the sign-in lasts). The person is
named by subject reference only, never by national id.

A refused request has no verified person: ``CitizenRefusal`` keeps the reason
and what the request claimed (issuer, portal), nothing else of the token. Refusals beyond
the refusal budget are counted per client address and window instead, and recorded as one
``CitizenRefusalSummary`` each.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid.UUID("c7d1e0f2-5b0a-4d3e-8c4f-2a9b7e6d1c30")


def access_id(issuer: str, token_id: str) -> UUID:
    """The id of the use of the token ``token_id`` (``jti``) issued by ``issuer``."""
    return uuid.uuid5(_NAMESPACE, f"{issuer}\x00{token_id}")


class CitizenAccess(Aggregate):
    """One accepted ID token: who (subject reference, issuer, portal) and what they read."""

    TOPIC = "interop-hub:citizen-access"

    class Event(Aggregate.Event):
        """Base of every citizen access event."""

        TOPIC = "interop-hub:citizen-access.event"

    class TokenAccepted(Event, Aggregate.Created):
        """CitizenTokenAccepted: ``issuer``'s token for ``subject_ref``, presented by
        ``portal`` (the token's ``azp``, else its audience), valid until ``expires_at``.

        ``session_digest`` is the SHA-256 (hex) of the sign-in secret of the pages'
        session ("" for a single API request); ``via`` is ``api`` or ``pages``.
        """

        TOPIC = "interop-hub:citizen-access.token-accepted"
        class_version = 1
        subject_ref: str
        issuer: str
        portal: str
        token_id: str
        expires_at: str
        via: str
        session_digest: str

    @staticmethod
    def create_id(subject_ref: str, issuer: str, portal: str, token_id: str, expires_at: str,
                  via: str, session_digest: str) -> UUID:
        return access_id(issuer, token_id)

    @event(TokenAccepted)
    def __init__(self, subject_ref: str, issuer: str, portal: str, token_id: str,
                 expires_at: str, via: str, session_digest: str) -> None:
        self.subject_ref = subject_ref
        self.issuer = issuer
        self.portal = portal
        self.token_id = token_id
        self.expires_at = expires_at
        self.via = via
        self.session_digest = session_digest
        self.signed_out = False
        self.readings = 0

    class Read(Event):
        """CitizenDataRead: the person was shown ``what`` (``items`` entries of it)."""

        TOPIC = "interop-hub:citizen-access.read"
        class_version = 1
        what: str
        items: int

    @event(Read)
    def read(self, what: str, items: int) -> None:
        self.readings += 1

    class ConsentRevoked(Event):
        """CitizenConsentRevoked: the person withdrew consent ``consent_id`` themselves."""

        TOPIC = "interop-hub:citizen-access.consent-revoked"
        class_version = 1
        consent_id: str

    @event(ConsentRevoked)
    def revoked_consent(self, consent_id: str) -> None:
        pass

    class SignedOut(Event):
        """The person ended the pages' session before the token expired."""

        TOPIC = "interop-hub:citizen-access.signed-out"
        class_version = 1

    @event(SignedOut)
    def sign_out(self) -> None:
        self.signed_out = True


class CitizenRefusal(Aggregate):
    """A citizen request refused before (or instead of) showing anything."""

    TOPIC = "interop-hub:citizen-refusal"

    class Event(Aggregate.Event):
        """Base of the refusal's events."""

        TOPIC = "interop-hub:citizen-refusal.event"

    class Refused(Event, Aggregate.Created):
        """CitizenRequestRefused: ``code`` and ``reason`` for a request to ``path``.

        ``issuer`` and ``portal`` are what the token claimed, unverified ("" when
        unreadable); ``subject_ref`` is set only when the token was verified and the
        refusal came after (e.g. a consent that is not the person's).
        """

        TOPIC = "interop-hub:citizen-refusal.refused"
        class_version = 1
        code: str
        reason: str
        path: str
        issuer: str
        portal: str
        subject_ref: str

    @event(Refused)
    def __init__(self, code: str, reason: str, path: str, issuer: str, portal: str,
                 subject_ref: str) -> None:
        self.code = code
        self.reason = reason
        self.path = path
        self.issuer = issuer
        self.portal = portal
        self.subject_ref = subject_ref


class CitizenRefusalSummary(Aggregate):
    """Refused citizen requests from one client address in one window, counted together
    because they came beyond the refusal budget (each within it is a :class:`CitizenRefusal`)."""

    TOPIC = "interop-hub:citizen-refusal-summary"

    class Event(Aggregate.Event):
        """Base of the summary's events."""

        TOPIC = "interop-hub:citizen-refusal-summary.event"

    class Suppressed(Event, Aggregate.Created):
        """CitizenRefusalsSuppressed: ``count`` refusals from ``client`` between
        ``window_start`` and ``window_end`` (ISO 8601, UTC), ``codes`` how many of each code,
        answered 429 and not recorded one by one."""

        TOPIC = "interop-hub:citizen-refusal-summary.suppressed"
        class_version = 1
        client: str
        window_start: str
        window_end: str
        count: int
        codes: dict[str, int]

    @event(Suppressed)
    def __init__(self, client: str, window_start: str, window_end: str, count: int,
                 codes: dict[str, int]) -> None:
        self.client = client
        self.window_start = window_start
        self.window_end = window_end
        self.count = count
        self.codes = dict(codes)
