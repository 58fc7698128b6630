"""Who a request comes from, as proven by its token, UsernameToken or client certificate."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from hub.domain.credential import CredentialKind
from hub.domain.credential_errors import CredentialError


@dataclass(frozen=True)
class Principal:
    """Who a request comes from, as proven by its token."""

    name: str  # region/department, or operator:<name>
    kind: CredentialKind
    credential_id: UUID

    @property
    def department(self) -> str:
        """The ``region/department`` of a department principal (the exchange's client)."""
        if self.kind is not CredentialKind.DEPARTMENT:
            raise CredentialError(f"{self.name} is an operator, not a department")
        return self.name
