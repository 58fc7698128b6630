"""The star of leaf-node links between regions on one machine (the demo, tests).

The first region listens for leaf connections; every other region dials it
and federates with every other region (its peers). See :mod:`hub.adapters.peers` for
why a star, and what it costs.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from pathlib import Path

from pydantic import SecretStr

from hub.adapters.nats.server import free_port
from hub.adapters.peers.errors import LinkError
from hub.settings import HubSettings

REGION_NAMES = ("north", "south", "east", "west", "centre")
_HOST = "127.0.0.1"  # the embedded nats-server listens on loopback only


def star_settings(
    base: HubSettings, regions: Sequence[str], data: Path, *, leaf_port: int | None = None
) -> list[HubSettings]:
    """Settings of each region: data in ``data/<region>``, the first one the star's centre."""
    if len(set(regions)) != len(regions) or not regions:
        raise LinkError(f"regions must be distinct, and at least one: {list(regions)}")
    linked = len(regions) > 1
    port = (leaf_port or free_port(_HOST)) if linked else None
    remote = f"nats-leaf://{_HOST}:{port}"
    # The regions of one star share a leaf password (hub.adapters.nats.accounts: leaf links need
    # one).
    password = base.leaf_password or SecretStr(secrets.token_urlsafe(24))
    return [
        base.model_copy(
            update={
                "region": region,
                "data": data / region,
                "nats_url": None,
                "leaf_port": port if index == 0 else None,
                "leaf_remotes": [remote] if linked and index > 0 else [],
                "peers": [r for r in regions if r != region],
                "leaf_password": password if linked else base.leaf_password,
            }
        )
        for index, region in enumerate(regions)
    ]
