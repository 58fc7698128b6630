"""Offline document loading: local files and catalog-mapped URLs, nothing from the network.

Every WSDL and schema a scaffold reads passes through :class:`OfflineLoader`:
relative locations are resolved from the referring file's folder, locations with
a URL scheme only through the XML catalog, and every file is parsed by the one
hardened parser (:func:`translation.xml_safety.parse_xml`: no DTD, no entities, no
network). No code path here opens a socket, so "offline" does not depend on
any library's settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

from lxml import etree

from contracts.errors import FieldIssue
from translation.errors import MalformedInput, PayloadTooLarge
from translation.onboarding.catalog import XmlCatalog
from translation.onboarding.errors import ForbiddenLocation, UnreadableDocument
from translation.xml_safety import XmlLimits, parse_xml


@dataclass(frozen=True)
class Source:
    """A document that was read: its local file and, for a catalog hit, the URL it stands for."""

    path: Path
    url: str | None = None

    def __str__(self) -> str:
        return f"{self.path} (for {self.url})" if self.url else str(self.path)


class OfflineLoader:
    """Resolves locations to local files and reads them, remembering what it read."""

    def __init__(self, catalog: XmlCatalog | None = None, limits: XmlLimits | None = None) -> None:
        self.catalog = catalog
        self.limits = limits or XmlLimits()
        self.sources: list[Source] = []
        self._cache: dict[Path, etree._Element] = {}

    def locate(
        self, location: str, referrer: Path, referrer_url: str | None = None
    ) -> Source | None:
        """Where ``location`` (as written in ``referrer``) lives on disk; None if unresolved.

        A location with a URL scheme is looked up in the catalog only; an
        unmapped one is unresolved, never fetched. A relative location is first
        made absolute against the URL the referrer stands for (a catalog copy of
        ``http://x/a.xsd`` including ``b.xsd`` means ``http://x/b.xsd``) and looked
        up in the catalog; otherwise it is the file next to ``referrer``.
        """
        location = location.strip()
        candidates = [location]
        if referrer_url and not urlsplit(location).scheme:
            candidates.insert(0, urljoin(referrer_url, location))
        if self.catalog is not None:
            for candidate in candidates:
                mapped = self.catalog.resolve(candidate)
                if mapped is not None:
                    return Source(mapped, candidate)
        scheme = urlsplit(location).scheme
        if scheme == "file":
            return Source(Path(url2pathname(urlsplit(location).path)))
        if scheme and len(scheme) > 1:  # one letter is a Windows drive, not a scheme
            return None
        return Source((referrer.parent / unquote(location)).resolve())

    def read(self, source: Source) -> etree._Element:
        """Parse one local file with the hardened parser (each file once)."""
        path = source.path
        if path in self._cache:
            return self._cache[path]
        try:
            data = path.read_bytes()
        except OSError as exc:
            where = f" (the catalog's copy of {source.url})" if source.url else ""
            reason = f"cannot read {path}{where}: {exc.strerror or exc}"
            raise UnreadableDocument(
                reason, issues=(FieldIssue(path=str(path), reason=reason, code="file-missing"),)
            ) from None
        try:
            root = parse_xml(data, self.limits)
        except (MalformedInput, PayloadTooLarge) as exc:
            raise UnreadableDocument(
                f"{path} refused: {exc.message}",
                issues=tuple(
                    FieldIssue(path=str(path), reason=i.reason, code=i.code) for i in exc.issues
                ),
            ) from None
        # Messages name the file each element comes from; bytes carry no URL of their own.
        root.getroottree().docinfo.URL = path.as_uri()
        self._cache[path] = root
        self.sources.append(source)
        return root


def local_wsdl(location: str) -> Path:
    """The file a ``--wsdl`` argument names; a URL is refused (download it yourself)."""
    scheme = urlsplit(location).scheme
    if scheme == "file":
        return Path(url2pathname(urlsplit(location).path))
    if scheme and len(scheme) > 1:
        reason = (
            f"{location} is not a local file; onboarding never fetches from the network: "
            "save the WSDL (and what it imports) locally, map imported URLs in a catalog"
        )
        raise ForbiddenLocation(
            reason, issues=(FieldIssue(path=location, reason=reason, code="not-local"),)
        )
    return Path(location)
