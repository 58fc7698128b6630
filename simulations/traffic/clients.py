"""How a load or benchmark client is made known to a hub: the one place to change.

Every load generator and benchmark asks :func:`client_headers` for the HTTP
headers of each client department before it builds its requests. Today a
client names itself with ``X-Hub-Client``. When the hub authenticates
departments (API tokens from ``hub/security/credentials.py``) and checks access
rights (deny by default, grants from ``hub/security/access.py``), this function
issues the client's token and grants it ``services``, and returns
``Authorization: Bearer <token>`` beside the client header; no caller changes.
"""

from __future__ import annotations

from collections.abc import Sequence

from hub.entrypoints.json_ingress import CLIENT_HEADER
from hub.settings import HubSettings


def client_headers(settings: HubSettings, client: str, services: Sequence[str]) -> dict[str, str]:
    """The headers with which ``client`` (region/department) calls ``services`` on the hub
    whose data folder ``settings`` names."""
    del settings, services  # used once the hub has credentials and access rights
    return {CLIENT_HEADER: client}
