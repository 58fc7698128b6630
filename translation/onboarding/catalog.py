"""OASIS XML Catalogs (``urn:oasis:names:tc:entity:xmlns:xml:catalog``): URLs to local copies.

The catalog is how onboarding (and the hub at run time, ``HUB_CATALOG``) finds
the schemas a WSDL imports by URL without ever fetching them. It is the format
libxml2 (``XML_CATALOG_FILES``), Xerces and most XML editors read, so one file
serves every tool. Supported entries: ``uri``, ``rewriteURI``, ``uriSuffix`` and,
as a fallback for schema locations, ``system``, ``rewriteSystem``, ``systemSuffix``;
``group`` and ``xml:base`` scope them; ``nextCatalog`` chains local catalogs.
Every target must be a local file: a catalog that maps a URL onto another URL
would make the tool fetch, so it is refused when loaded.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

from lxml import etree

from contracts.errors import FieldIssue
from translation.errors import MalformedInput, PayloadTooLarge
from translation.onboarding.errors import CatalogError
from translation.xml_safety import XmlLimits, parse_xml

CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
# Entries for URI resolution first (what a schemaLocation is), then the system-id ones
# that many catalogs, like the X-Road one, list alongside.
_EXACT = {"uri": "name", "system": "systemId"}
_REWRITE = {"rewriteURI": "uriStartString", "rewriteSystem": "systemIdStartString"}
_SUFFIX = {"uriSuffix": "uriSuffix", "systemSuffix": "systemIdSuffix"}
_ORDER = ("uri", "system")


@dataclass(frozen=True)
class CatalogEntry:
    """One mapping rule: ``kind`` is uri/system, ``how`` is exact, rewrite or suffix."""

    kind: str
    how: str
    match: str
    target: str  # an absolute file: URL (a prefix, for rewrites)
    where: str  # catalog file and line, for messages


class XmlCatalog:
    """A loaded catalog (and the catalogs it chains to); resolves URLs to local files."""

    def __init__(self, files: tuple[Path, ...], entries: tuple[CatalogEntry, ...]) -> None:
        self.files = files
        self.entries = entries

    @classmethod
    def load(cls, path: Path, limits: XmlLimits = XmlLimits()) -> XmlCatalog:  # noqa: B008
        """Read ``path`` (and every ``nextCatalog``) with the hardened parser."""
        files: list[Path] = []
        entries: list[CatalogEntry] = []
        _load_into(path.resolve(), limits, files, entries)
        return cls(tuple(files), tuple(entries))

    def resolve(self, uri: str) -> Path | None:
        """The local file ``uri`` maps onto, or None when the catalog does not know it."""
        for kind in _ORDER:
            target = self._resolve_kind(uri, kind)
            if target is not None:
                return _file_path(target)
        return None

    def _resolve_kind(self, uri: str, kind: str) -> str | None:
        entries = [e for e in self.entries if e.kind == kind]
        for entry in entries:
            if entry.how == "exact" and entry.match == uri:
                return entry.target
        # The spec picks the longest matching prefix (rewrite) or suffix.
        rewrites = [e for e in entries if e.how == "rewrite" and uri.startswith(e.match)]
        if rewrites:
            best = max(rewrites, key=lambda e: len(e.match))
            return best.target + uri[len(best.match) :]
        suffixes = [e for e in entries if e.how == "suffix" and uri.endswith(e.match)]
        if suffixes:
            return max(suffixes, key=lambda e: len(e.match)).target
        return None


def catalog_line(url: str, local_name: str | None = None) -> str:
    """The ``<uri/>`` entry that maps ``url`` onto a local copy (for error messages)."""
    name = local_name or (Path(urlsplit(url).path).name or "schema.xsd")
    return f'<uri name="{url}" uri="{name}"/>'


def _load_into(
    path: Path, limits: XmlLimits, files: list[Path], entries: list[CatalogEntry]
) -> None:
    if path in files:
        return  # a nextCatalog cycle: each file counts once
    root = _read(path, limits)
    files.append(path)
    nested: list[Path] = []
    for element, base in _walk(root, path.as_uri()):
        name = etree.QName(element).localname
        where = f"{path}:{element.sourceline}"
        if name == "nextCatalog":
            nested.append(_file_path(_target(element, "catalog", base, where)))
        else:
            entry = _entry(element, name, base, where)
            if entry is not None:
                entries.append(entry)
    for child in nested:
        _load_into(child, limits, files, entries)


def _read(path: Path, limits: XmlLimits) -> etree._Element:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(
            f"cannot read the XML catalog {path}: {exc.strerror or exc}",
            issues=(FieldIssue(path=str(path), reason="cannot be read", code="catalog-missing"),),
        ) from None
    try:
        root = parse_xml(data, limits)
    except (MalformedInput, PayloadTooLarge) as exc:
        hint = " (remove its DOCTYPE line: DTDs are never read)" if _dtd(exc) else ""
        raise CatalogError(
            f"the XML catalog {path} is not usable: {exc.message}{hint}",
            issues=tuple(
                FieldIssue(path=f"{path}", reason=i.reason + hint, code=i.code) for i in exc.issues
            ),
        ) from None
    if root.tag != f"{{{CATALOG_NS}}}catalog":
        reason = f"root element is {root.tag}, not {{{CATALOG_NS}}}catalog"
        raise CatalogError(
            f"{path} is not an OASIS XML catalog: {reason}",
            issues=(FieldIssue(path=str(path), reason=reason, code="not-a-catalog"),),
        )
    return root


def _dtd(exc: MalformedInput | PayloadTooLarge) -> bool:
    return any(i.code == "dtd-forbidden" for i in exc.issues)


def _walk(element: etree._Element, base: str) -> Iterator[tuple[etree._Element, str]]:
    """Every entry element with its effective base URL (``xml:base`` on it or a group)."""
    base = urljoin(base, element.get(_XML_BASE, ""))
    for child in _entries(element):
        child_base = urljoin(base, child.get(_XML_BASE, ""))
        if etree.QName(child).localname == "group":
            yield from _walk(child, base)
        else:
            yield child, child_base


def _entries(element: etree._Element) -> Iterable[etree._Element]:
    return (c for c in element if isinstance(c.tag, str) and c.tag.startswith(f"{{{CATALOG_NS}}}"))


def _entry(element: etree._Element, name: str, base: str, where: str) -> CatalogEntry | None:
    for table, how, attribute_target in (
        (_EXACT, "exact", "uri"),
        (_REWRITE, "rewrite", "rewritePrefix"),
        (_SUFFIX, "suffix", "uri"),
    ):
        if name in table:
            match = element.get(table[name])
            if not match:
                raise _bad(where, f"<{name}> lacks its {table[name]} attribute")
            kind = "uri" if "uri" in name.lower() else "system"
            target = _target(element, attribute_target, base, where)
            return CatalogEntry(kind, how, match, target, where)
    return None  # public, delegate*: not used for schema locations


def _target(element: etree._Element, attribute: str, base: str, where: str) -> str:
    value = element.get(attribute)
    if not value:
        raise _bad(where, f"<{etree.QName(element).localname}> lacks its {attribute} attribute")
    target = urljoin(base, value)
    if urlsplit(target).scheme != "file":
        raise _bad(
            where,
            f"{value!r} is not a local file; the catalog must map URLs onto local copies "
            "(nothing is ever fetched from the network)",
        )
    return target


def _file_path(url: str) -> Path:
    return Path(url2pathname(urlsplit(url).path))


def _bad(where: str, reason: str) -> CatalogError:
    return CatalogError(
        f"XML catalog entry at {where}: {reason}",
        issues=(FieldIssue(path=where, reason=reason, code="catalog-entry"),),
    )
