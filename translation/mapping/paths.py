"""Source paths as written in mapping files: XPath steps for XML, JSON Pointers for JSON.

A *simple* XML path is child steps with namespace prefixes and an optional
final attribute (``bur:Holder/bur:PersNo``, ``bur:Period/@kind``, ``@id``, ``.``);
it can be read fast, positionally, and written back on encode. Anything else is
compiled as a general XPath 1.0 expression (``lxml.etree.XPath``) and is
decode-only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from translation.mapping.errors import MappingFileError

_NAME = r"[A-Za-z_][\w.-]*"
_STEP = re.compile(rf"(?:(?P<prefix>{_NAME}):)?(?P<local>{_NAME})")


class PathError(MappingFileError):
    """Raised when a path is not valid (bad syntax, unknown namespace prefix)."""

    code = "bad-path"


@dataclass(frozen=True)
class XmlPath:
    """A parsed XML source path: element steps (Clark names) and an optional attribute."""

    text: str
    steps: tuple[str, ...] = ()
    attribute: str | None = None
    xpath: etree.XPath | None = None  # set for general (decode-only) expressions

    @property
    def simple(self) -> bool:
        return self.xpath is None

    def local(self) -> str:
        """The path as local names, as issues show it (``Holder/PersNo``, ``Period/@kind``)."""
        parts = [step.rpartition("}")[2] for step in self.steps]
        if self.attribute is not None:
            parts.append("@" + self.attribute.rpartition("}")[2])
        return "/".join(parts)


def parse_xml_path(text: str, namespaces: Mapping[str, str]) -> XmlPath:
    """Parse ``text``: simple steps when possible, else a compiled XPath expression."""
    text = text.strip()
    if text in (".", ""):
        return XmlPath(text=".")
    simple = _simple(text, namespaces)
    if simple is not None:
        return simple
    try:
        compiled = etree.XPath(text, namespaces=dict(namespaces), smart_strings=False)
    except etree.XPathSyntaxError as exc:
        raise PathError(f"{text!r} is not a valid XPath 1.0 expression: {exc}") from None
    return XmlPath(text=text, xpath=compiled)


def _simple(text: str, namespaces: Mapping[str, str]) -> XmlPath | None:
    parts = text.split("/")
    attribute = None
    if parts[-1].startswith("@"):
        attribute = _clark(parts.pop()[1:], namespaces, text, attribute=True)
        if attribute is None:
            return None
    steps = []
    for part in parts:
        clark = _clark(part, namespaces, text, attribute=False)
        if clark is None:
            return None
        steps.append(clark)
    return XmlPath(text=text, steps=tuple(steps), attribute=attribute)


def _clark(step: str, namespaces: Mapping[str, str], text: str, *, attribute: bool
           ) -> str | None:
    match = _STEP.fullmatch(step)
    if match is None:
        return None
    prefix, local = match["prefix"], match["local"]
    if prefix is None:
        # Unprefixed element names are in no namespace (XPath 1.0), like unqualified attributes.
        return local
    if prefix not in namespaces:
        known = ", ".join(namespaces) or "none"
        raise PathError(f"{text!r} uses prefix {prefix!r}, which [namespaces] does not declare "
                        f"(declared: {known})")
    return f"{{{namespaces[prefix]}}}{local}"


@dataclass(frozen=True)
class JsonPointer:
    """An RFC 6901 JSON Pointer, split into unescaped reference tokens."""

    text: str
    tokens: tuple[str, ...]

    def child(self, index: int) -> str:
        """This pointer below list item ``index`` of a parent pointer (for issues)."""
        return f"/{index}{self.text}"


def parse_pointer(text: str) -> JsonPointer:
    """Parse ``/a/b~1c`` (``""`` is the whole document); raises :class:`PathError`."""
    if text == "":
        return JsonPointer(text="", tokens=())
    if not text.startswith("/"):
        raise PathError(f"{text!r} is not a JSON Pointer: it must start with '/' (RFC 6901)")
    if re.search(r"~[^01]|~$", text):
        raise PathError(f"{text!r}: '~' must be followed by 0 or 1 (RFC 6901 escapes)")
    tokens = tuple(t.replace("~1", "/").replace("~0", "~") for t in text[1:].split("/"))
    return JsonPointer(text=text, tokens=tokens)
