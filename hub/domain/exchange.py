"""The ``Exchange`` aggregate: one query from a client to a service, step by step.

Every step is an event named in the past tense; each event class has an
explicit ``TOPIC`` (so moving or renaming the class never orphans stored
events) and a ``class_version`` (so a change of shape comes with an upcaster).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, dataclass_transform

from eventsourcing.domain import Aggregate, event

from hub.domain.errors import ExchangeStateError


class Status(StrEnum):
    """Where an exchange stands; the last four are terminal."""

    RECEIVED = "received"
    ROUTED = "routed"
    DELIVERING = "delivering"
    RESPONDED = "responded"
    COMPLETED = "completed"
    REJECTED = "rejected"
    DEAD_LETTERED = "dead-lettered"
    FAILED = "failed"


TERMINAL = frozenset({Status.COMPLETED, Status.REJECTED, Status.DEAD_LETTERED, Status.FAILED})


class Exchange(Aggregate):
    """One exchange between a client department and a service of a provider department."""

    TOPIC = "interop-hub:exchange"

    # The library's metaclass makes every event class a frozen dataclass; saying so lets a
    # type checker see the keyword constructor that the delivery path calls directly.
    @dataclass_transform(frozen_default=True)
    class Event(Aggregate.Event):
        """Base of every exchange event."""

        TOPIC = "interop-hub:exchange.event"

    class Created(Event, Aggregate.Created):
        """Base of the creation event (the library requires one per aggregate)."""

        TOPIC = "interop-hub:exchange.created"

    class Received(Created):
        """The hub accepted bytes from a client at an ingress (before any parsing).

        ``reply_to`` is the transient subject on which the ingress awaits the answer;
        ``credential`` the id (hex) of the credential that proved the client, "" when the
        way in names only the department (the access watch attributes access by it).
        """

        TOPIC = "interop-hub:exchange.received"
        class_version = 2
        client: str
        service: str
        correlation_id: str
        ingress: str
        payload_digest: str
        payload_size: int
        reply_to: str
        credential: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 did not name the credential."""
            state["credential"] = ""

    @event(Received)
    def __init__(
        self,
        client: str,
        service: str,
        correlation_id: str,
        ingress: str,
        payload_digest: str,
        payload_size: int,
        reply_to: str,
        credential: str = "",
    ) -> None:
        self.client = client
        self.credential = credential
        self.service = service
        self.correlation_id = correlation_id
        self.ingress = ingress
        self.payload_digest = payload_digest
        self.payload_size = payload_size
        self.reply_to = reply_to
        self.status = Status.RECEIVED
        self.contract: str | None = None
        self.request: dict[str, Any] | None = None
        self.response_contract: str | None = None
        self.response: dict[str, Any] | None = None
        self.provider: str | None = None
        self.attempts = 0
        self.error: dict[str, Any] | None = None
        self.data_subject = ""
        # for which purpose and how long (an ISO 8601 duration) the request is kept, set by
        # Translated; "" for both: until the subject is forgotten
        self.purpose = ""
        self.retention = ""
        # set by Authorised (hub.service_layer.security)
        self.authorisation: dict[str, str] | None = None
        # set by Disclosed (hub.service_layer.security)
        self.disclosed_fields: list[str] | None = None

    class Rejected(Event):
        """The input was refused; ``issues`` name each problem (path, field, reason, code)."""

        TOPIC = "interop-hub:exchange.rejected"
        class_version = 1
        code: str
        message: str
        issues: list[dict[str, Any]]

    @event(Rejected)
    def reject(self, code: str, message: str, issues: list[dict[str, Any]]) -> None:
        self._check_not_terminal("reject")
        self.status = Status.REJECTED
        self.error = {"code": code, "message": message, "issues": issues}

    class Translated(Event):
        """The input became a valid contract instance (``document`` is its JSON form).

        ``data_subject`` is the pseudonymous reference of the person the request is
        about ("" if its contract declares none); ``document`` is stored sealed under
        that person's key for ``purpose`` and its ``retention`` period
        (hub.domain.retention, hub.adapters.crypto).
        """

        TOPIC = "interop-hub:exchange.translated"
        class_version = 3
        contract: str
        document: dict[str, Any]
        digest: str
        data_subject: str
        purpose: str
        retention: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 had no data subject (and stored the document unsealed)."""
            state["data_subject"] = ""

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Version 2 was sealed under the subject's own key, kept until forgotten."""
            state["purpose"] = ""
            state["retention"] = ""

    @event(Translated)
    def translate(
        self, contract: str, document: dict[str, Any], digest: str, data_subject: str,
        purpose: str = "", retention: str = "",
    ) -> None:
        """``purpose`` and ``retention`` (an ISO 8601 duration, hub.domain.retention) say how
        long the request is kept: "" for both, until its subject is forgotten."""
        self._check_status("translate", Status.RECEIVED)
        self.contract = contract
        self.request = document
        self.data_subject = data_subject
        self.purpose = purpose
        self.retention = retention

    class Routed(Event):
        """The exchange was addressed to the provider department's delivery subject.

        It repeats what the delivery of the exchange needs besides the sealed request
        (who asks, what, where the answer goes, under which decision), so the relay
        publishes from this event alone and the worker does not rebuild the exchange.
        None of it is personal: the subject is named by its pseudonymous reference.
        ``inline``: the hub process that accepted the exchange delivers it itself; the
        relay publishes it only if no outcome follows within its grace period.
        """

        TOPIC = "interop-hub:exchange.routed"
        class_version = 3
        provider: str
        subject: str
        service: str
        correlation_id: str
        client: str
        reply_to: str
        contract: str
        data_subject: str
        authorisation: dict[str, str] | None
        inline: bool

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 carried the address only: "" says "read it from the exchange"."""
            for name in ("service", "correlation_id", "client", "reply_to", "contract",
                         "data_subject"):
                state[name] = ""
            state["authorisation"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Before version 3 every routed exchange went through the relay."""
            state["inline"] = False

    def route(self, provider: str, subject: str, *, inline: bool = False) -> None:
        """Address the translated exchange to ``subject`` (the provider's delivery subject);
        ``inline``: the accepting process delivers it (see :class:`Routed`)."""
        self._check_status("route", Status.RECEIVED)
        if self.request is None or self.contract is None:
            raise ExchangeStateError(self.id, "route", "an untranslated exchange cannot be routed")
        self._route(provider, subject, self.service, self.correlation_id, self.client,
                    self.reply_to, self.contract, self.data_subject, self.authorisation, inline)

    @event(Routed)
    def _route(
        self, provider: str, subject: str, service: str, correlation_id: str, client: str,
        reply_to: str, contract: str, data_subject: str, authorisation: dict[str, str] | None,
        inline: bool,
    ) -> None:
        self.provider = provider
        self.status = Status.ROUTED

    class Authorised(Event):
        """The client may have this exchange: its right covers ``purpose``
        (hub.service_layer.security).

        ``basis`` is ``legal-basis`` (``legal_basis`` names it), ``consent``
        (``consent_id`` is the Consent aggregate), or ``remote`` when the service
        belongs to a peer region, whose hub decides (``purpose`` is forwarded).
        """

        TOPIC = "interop-hub:exchange.authorised"
        class_version = 1
        purpose: str
        basis: str
        legal_basis: str
        consent_id: str

    @event(Authorised)
    def authorise(self, purpose: str, basis: str, legal_basis: str, consent_id: str) -> None:
        self._check_status("authorise", Status.RECEIVED)
        self.authorisation = {
            "purpose": purpose, "basis": basis, "legal_basis": legal_basis,
            "consent_id": consent_id,
        }

    class Disclosed(Event):
        """What of the provider's answer the client received: ``fields`` (dotted paths) only.

        Recorded with Responded; the full answer stays sealed there. Holds no
        personal values: the subject is named by reference, fields by path.
        """

        TOPIC = "interop-hub:exchange.disclosed"
        class_version = 1
        purpose: str
        basis: str
        legal_basis: str
        consent_id: str
        recipient: str
        fields: list[str]
        data_subject: str

    @event(Disclosed)
    def disclose(
        self,
        purpose: str,
        basis: str,
        legal_basis: str,
        consent_id: str,
        recipient: str,
        fields: list[str],
        data_subject: str,
    ) -> None:
        self._check_status("disclose", Status.RESPONDED)
        self.disclosed_fields = list(fields)

    class Delivered(Event):
        """The provider system accepted the request (attempt ``attempt``, counted from 1)."""

        TOPIC = "interop-hub:exchange.delivered"
        class_version = 1
        attempt: int

    @event(Delivered)
    def deliver(self, attempt: int) -> None:
        # Only an exchange awaiting delivery can be delivered: a second worker that
        # reloads after the first recorded its answer must not record another one.
        self._check_status("deliver", Status.ROUTED)
        self.attempts = attempt
        self.status = Status.DELIVERING

    class Responded(Event):
        """The provider's answer, translated into the response contract.

        ``data_subject`` repeats the exchange's subject reference: the answer is sealed
        under the same person's key, and a mapper sees one event at a time.
        """

        TOPIC = "interop-hub:exchange.responded"
        class_version = 3
        contract: str
        document: dict[str, Any]
        digest: str
        provider_ms: float
        data_subject: str
        purpose: str
        retention: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 had no data subject (and stored the document unsealed)."""
            state["data_subject"] = ""

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Version 2 was sealed under the subject's own key, kept until forgotten."""
            state["purpose"] = ""
            state["retention"] = ""

    @event(Responded)
    def respond(
        self,
        contract: str,
        document: dict[str, Any],
        digest: str,
        provider_ms: float,
        data_subject: str,
        purpose: str = "",
        retention: str = "",
    ) -> None:
        """``purpose`` and ``retention`` as for :meth:`translate`, for the answer."""
        self._check_status("respond", Status.DELIVERING)
        self.response_contract = contract
        self.response = document
        self.status = Status.RESPONDED

    class DeliveryFailed(Event):
        """One delivery attempt failed; ``retryable`` says whether another attempt follows."""

        TOPIC = "interop-hub:exchange.delivery-failed"
        class_version = 1
        attempt: int
        code: str
        reason: str
        retryable: bool

    @event(DeliveryFailed)
    def fail_delivery(self, attempt: int, code: str, reason: str, retryable: bool) -> None:
        self._check_status("fail_delivery", Status.ROUTED)
        self.attempts = attempt
        self.error = {"code": code, "message": reason, "issues": []}
        self.status = Status.ROUTED if retryable else Status.FAILED

    class DeadLettered(Event):
        """Delivery was given up after ``attempts`` tries; the reason is kept for operators."""

        TOPIC = "interop-hub:exchange.dead-lettered"
        class_version = 1
        attempts: int
        reason: str

    @event(DeadLettered)
    def dead_letter(self, attempts: int, reason: str) -> None:
        self._check_not_terminal("dead_letter")
        self.status = Status.DEAD_LETTERED

    class Requeued(Event):
        """An operator put a dead-lettered (or failed) exchange back to be delivered again.

        The outbox relay publishes it anew (a new ledger position, so a new message id).
        """

        TOPIC = "interop-hub:exchange.requeued"
        class_version = 1
        by: str
        reason: str

    @event(Requeued)
    def requeue(self, by: str, reason: str) -> None:
        self._check_status("requeue", Status.DEAD_LETTERED, Status.FAILED)
        self.status = Status.ROUTED

    class Completed(Event):
        """The client was answered in its own format (``reply_digest`` covers those bytes)."""

        TOPIC = "interop-hub:exchange.completed"
        class_version = 1
        reply_digest: str
        latency_ms: float

    @event(Completed)
    def complete(self, reply_digest: str, latency_ms: float) -> None:
        self._check_status("complete", Status.RESPONDED)
        self.status = Status.COMPLETED

    # Status is kept as its plain string value: snapshots store the aggregate's
    # attributes as they are, and an enum member would come back as a bare str.
    @property
    def status(self) -> Status:
        return Status(self._status)

    @status.setter
    def status(self, value: Status) -> None:
        self._status = value.value

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def _check_not_terminal(self, action: str) -> None:
        if self.is_terminal:
            raise ExchangeStateError(self.id, action, f"exchange is already {self.status.value}")

    def _check_status(self, action: str, *expected: Status) -> None:
        if self.status not in expected:
            allowed = ", ".join(s.value for s in expected)
            raise ExchangeStateError(
                self.id, action, f"status is {self.status.value}, expected {allowed}"
            )
