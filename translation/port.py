"""The provider port: how the hub calls a department's native service."""

from __future__ import annotations

from typing import Protocol

from contracts import Contract


class ProviderAdapter(Protocol):
    """Calls one department service in its own format, speaking contracts to the hub.

    ``call`` encodes the request contract into the native message, calls the
    provider, and decodes the native answer into ``response_contract``. It
    raises only :class:`translation.errors.ProviderError` subclasses (or
    :class:`contracts.errors.ContractError` for an answer that violates the
    contract); every third-party exception is translated.
    """

    request_contract: type[Contract]
    response_contract: type[Contract]

    async def call(self, request: Contract, *, correlation_id: str) -> Contract: ...

    async def aclose(self) -> None: ...
