"""The access decision, taken at ingress and again at delivery.

At ingress (:meth:`AccessPolicy.decide`), in this order: the client names a
purpose; the service declares it; the client holds an active right on the
service covering it; if the purpose needs consent, the data subject has an
active consent for it to this client. The first check that fails refuses the
exchange with its own code. At delivery (:meth:`AccessPolicy.recheck`) the
right and the consent are looked up again: revoked or expired since, the
exchange fails for good. Both read the in-memory read models (no store read);
how fresh those are after a revocation is stated in :mod:`hub.adapters.readmodels.models`.

Services of peer regions are decided by the peer's hub (their rights, their
consents); here the purpose is only recorded and forwarded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from contracts.identity import ServiceId
from hub.service_layer.security.access import AccessRights
from hub.service_layer.security.consents import ConsentBook
from hub.service_layer.security.purposes import Purpose, narrow
from hub.service_layer.security.refusals import (
    AccessDeniedError,
    AccessRevokedError,
    ConsentRequiredError,
    ConsentRevokedError,
    PurposeNotGrantedError,
    PurposeRequiredError,
    UnknownPurposeError,
)

PURPOSE_HEADER = "X-Hub-Purpose"
# The header that carries the purpose, per ingress (for the issue paths of refusals).
_HEADER_OF_INGRESS = {"federation": "Hub-Purpose"}
_CLIENT_HEADER_OF_INGRESS = {"federation": "Hub-Client"}
REMOTE = "remote"


class ServiceDefinition(Protocol):
    """What the decision reads of a service (:class:`hub.service_layer.exchanges.routing.
    ServiceDefinition` is one): its identity and the purposes it declares."""

    @property
    def id(self) -> ServiceId: ...

    @property
    def purposes(self) -> Sequence[Purpose]: ...


@dataclass(frozen=True)
class Decision:
    """Why an exchange may proceed, and which response fields the client may see."""

    purpose: str
    basis: str  # legal-basis | consent | remote
    legal_basis: str = ""
    consent_id: str = ""
    fields: tuple[str, ...] = ()
    retention: str = ""  # the purpose's retention period (hub.domain.retention); "" none


class AccessPolicy:
    """Decides on (client, service, purpose, subject) from the rights and consents recorded."""

    def __init__(self, rights: AccessRights, consents: ConsentBook) -> None:
        self.rights = rights
        self.consents = consents

    def decide(
        self, client: str, service: ServiceDefinition, purpose: str, subject_ref: str,
        *, ingress: str = "json",
    ) -> Decision:
        """The decision for a new exchange; raises the refusal that applies."""
        header = f"header:{_HEADER_OF_INGRESS.get(ingress, PURPOSE_HEADER)}"
        purpose = purpose.strip()
        if service.id.region != self.rights.region:
            return Decision(purpose, REMOTE)
        if not purpose:
            raise PurposeRequiredError(_purpose_required(service, header[7:], ingress),
                                       path=header, field="purpose")
        declared = _declared(service, purpose)
        if declared is None:
            raise UnknownPurposeError(
                f"{service.id} declares no purpose {purpose!r}; it declares: {_names(service)}"
                if service.purposes else _purpose_required(service, header[7:], ingress),
                path=header, field="purpose")
        right = self.rights.current(client, str(service.id))
        if right is None or not right.active:
            raise AccessDeniedError(
                f"{client} holds no right on {service.id} (access is denied by default); "
                f"an operator grants it with `interop-hub access grant {client} {service.id} "
                f"--purpose {purpose} --data DIR`, then the client asks again",
                path=f"header:{_CLIENT_HEADER_OF_INGRESS.get(ingress, 'X-Hub-Client')}",
                field="client")
        if not right.covers(purpose):
            granted = ", ".join(right.purposes) or "none"
            raise PurposeNotGrantedError(
                f"the right of {client} on {service.id} does not cover purpose {purpose!r} "
                f"(granted: {granted})", path=header, field="purpose")
        return self._basis(client, declared, subject_ref)

    def _basis(self, client: str, purpose: Purpose, subject_ref: str) -> Decision:
        if not purpose.consent:
            return Decision(purpose.name, purpose.basis, purpose.legal_basis,
                            fields=purpose.fields, retention=purpose.retention)
        consent = self.consents.active(subject_ref, purpose.name, client)
        if consent is None:
            about = "the data subject" if subject_ref else "a data subject (the request names none)"
            raise ConsentRequiredError(
                f"purpose {purpose.name!r} needs the consent of {about} to {client}, "
                "and none is active; once the citizen consents, an operator records it with "
                f"`interop-hub consent grant NATIONAL_ID --purpose {purpose.name} "
                f"--recipient {client} --until YYYY-MM-DD --data DIR`, then the client asks "
                "again (or asks for a purpose with a legal basis)", path="consent",
                field="consent")
        return Decision(purpose.name, purpose.basis, consent_id=str(consent.id),
                        fields=narrow(purpose.fields, consent.fields),
                        retention=purpose.retention)

    def recheck(
        self, client: str, service: ServiceDefinition, authorisation: dict[str, str],
        subject_ref: str,
    ) -> Decision:
        """The decision again, just before delivery: revoked or expired since, refused."""
        purpose = authorisation.get("purpose", "")
        if authorisation.get("basis") == REMOTE:
            return Decision(purpose, REMOTE)
        right = self.rights.current(client, str(service.id))
        declared = _declared(service, purpose)
        if right is None or not right.covers(purpose) or declared is None:
            raise AccessRevokedError(
                f"the right of {client} on {service.id} for {purpose!r} was revoked after "
                "the query was accepted", path="client", field="client")
        try:
            return self._basis(client, declared, subject_ref)
        except ConsentRequiredError:
            raise ConsentRevokedError(
                f"the consent for {purpose!r} to {client} was revoked or expired after the "
                "query was accepted", path="consent", field="consent") from None


def _declared(service: ServiceDefinition, purpose: str) -> Purpose | None:
    return next((p for p in service.purposes if p.name == purpose), None)


def _purpose_required(service: ServiceDefinition, header: str, ingress: str) -> str:
    """What a client (or, when none is declared, an operator) does about a missing purpose."""
    if not service.purposes:
        return (f"{service.id} declares no purpose, so no query can name one: an operator "
                "declares its purposes in services.toml, each a [[service.purpose]] table "
                "with a name, a legal_basis (or consent = true) and the response fields "
                "it may see, and grants them with `interop-hub access grant`")
    example = service.purposes[0].name
    soap = " (or, from a client that cannot set HTTP headers, the hub:purpose SOAP header)"
    return (f"name the purpose of the query in the {header} header"
            f"{soap if ingress == 'soap' else ''}, e.g. "
            f"`{header}: {example}`; {service.id} may be queried for: {_names(service)}")


def _names(service: ServiceDefinition) -> str:
    return ", ".join(p.name for p in service.purposes) or "nothing (it declares no purpose)"
