"""The citizen API's answers as OpenAPI schemas, so a portal's developers can generate a
client from ``/openapi.json``. Documentation only: the routes build their JSON from the
desk's items; the citizen API's integration tests validate real answers against these."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class DataUseOut(BaseModel):
    """One disclosure of the person's data to a department."""

    at: str = Field(description="When (ISO 8601, UTC)")
    exchange_id: str
    recipient: str = Field(description="The department that received the data")
    service: str
    purpose: str
    basis: str = Field(description="legal-basis, consent, subscription or remote")
    legal_basis: str
    consent_id: str = Field(description="The consent used, when the basis is consent")
    fields: list[str] = Field(description="Which fields were disclosed (never their values)")


class ReportOut(BaseModel):
    """The person's data-use report."""

    subject: str = Field(description="The person's subject reference (ds-…)")
    uses: list[DataUseOut]


class ConsentOut(BaseModel):
    """One of the person's consents, with its state now."""

    consent_id: str
    purpose: str
    recipient: str
    fields: list[str] = Field(description="Empty: all the purpose allows")
    until: str = Field(description="Last day of validity (YYYY-MM-DD)")
    state: Literal["active", "revoked", "expired"]
    uses: int


class ConsentsOut(BaseModel):
    """The person's consents, in the order first granted."""

    subject: str
    consents: list[ConsentOut]


class RevokedOut(BaseModel):
    """The consent as it stands after the withdrawal."""

    consent: ConsentOut


class CasesOut(BaseModel):
    """The person's cases, each with its steps' progress (``GET /cases/{id}``'s answer)."""

    subject: str
    cases: list[dict[str, Any]]
    note: str


class KeptOut(BaseModel):
    """One thing kept about the person."""

    kind: Literal["data-use", "consent"]
    exchange_id: str | None = None
    consent_id: str | None = None
    service: str | None = None
    recipient: str
    purpose: str
    since: str | None
    kept_until: str | None = Field(description="null: no retention period stated yet")


class RetentionOut(BaseModel):
    """What the hub keeps about the person, and until when."""

    subject: str
    kept: list[KeptOut]
    note: str
