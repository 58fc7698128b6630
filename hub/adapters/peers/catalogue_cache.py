"""The last service catalogue learnt from each peer, kept in ``DIR/links/catalogues/<peer>.json``.

Read back at start, so exchanges routed before a restart can be relayed and
forwarded while the peer is still out of reach; replaced whole (atomically)
each time a peer's catalogue changes. :func:`read_catalogue` is the one reader
of a peer's catalogue, whether it comes from the peer or from this cache.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import ValidationError

from hub.adapters.peers.errors import LinkError, PeerAnswerInvalid
from hub.adapters.peers.messages import Catalogue


class CatalogueCache:
    """The last catalogue learnt from each peer, as received (``DIR/links/catalogues``)."""

    def __init__(self, data_dir: Path) -> None:
        self.folder = data_dir / "links" / "catalogues"

    def save(self, catalogue: Catalogue) -> None:
        """Replace the cached catalogue of ``catalogue.region`` (atomically)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{catalogue.region}.json"
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_text(catalogue.model_dump_json(indent=2))
        temporary.replace(path)

    def load(self, peer: str) -> Catalogue | None:
        """The cached catalogue of ``peer``; None when none (or it is unreadable: re-learnt)."""
        path = self.folder / f"{peer}.json"
        try:
            return read_catalogue(peer, path.read_bytes())
        except (OSError, LinkError):
            return None


def read_catalogue(peer: str, data: bytes) -> Catalogue:
    """``data`` as ``peer``'s catalogue; PeerAnswerInvalid when it is not one, or another's."""
    try:
        catalogue = Catalogue.model_validate_json(data)
    except ValidationError as exc:
        raise PeerAnswerInvalid(peer, "catalogue", str(exc.errors(include_url=False)[:3])) \
            from None
    if catalogue.region != peer:
        raise PeerAnswerInvalid(peer, "catalogue", f"it names region {catalogue.region!r}")
    return catalogue
