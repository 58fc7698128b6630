"""``METHOD /path/{a}?q={b}``: a JSON service's request line, both ways.

The placeholders of a mapping's ``[json] request`` line name top-level members
of the request document that ``[request.fields]`` writes; :class:`JsonRoute`
renders a document as the request target (and body), and parses one back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import pydantic_core

from contracts.errors import FieldIssue
from translation.errors import MappingError
from translation.mapping.frames import Frame
from translation.mapping.report import Report
from translation.mapping.spec import Section

_NO_BODY = frozenset({"GET", "DELETE"})
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class JsonRoute:
    """``METHOD /path/{a}?q={b}``: request documents to HTTP requests and back.

    Placeholders name top-level members of the request document. A GET or
    DELETE carries no body; other methods send the members that no placeholder
    took as a JSON body.
    """

    def __init__(self, method: str, template: str) -> None:
        self.method = method
        self.template = template
        parts = urlsplit(template)
        self._path = parts.path
        self._query = parse_qsl(parts.query, keep_blank_values=True)
        self.placeholders = tuple(_PLACEHOLDER.findall(template))
        pattern = re.escape(self._path)
        for name in _PLACEHOLDER.findall(self._path):
            pattern = pattern.replace(re.escape(f"{{{name}}}"), f"(?P<{name}>[^/]+)")
        self._path_re = re.compile(pattern)

    def check(self, frame: Frame, section: Section, report: Report) -> None:
        """Every placeholder must be a top-level member that the request section writes."""
        written = {source.lstrip("/") for source in frame.field_of}
        for name in self.placeholders:
            if name not in written and f"/{name}" not in section.constants:
                report.error("json.request", f"placeholder {{{name}}} is not written by "
                             f"[request.fields] (map a field onto \"/{name}\")", "unknown-path")

    def render(self, document: Mapping[str, Any]) -> tuple[str, bytes | None]:
        """The request target (path and query) and body for a request document."""
        missing = [name for name in self.placeholders if document.get(name) is None]
        if missing:
            reason = f"no value for {', '.join('{' + m + '}' for m in missing)}"
            raise MappingError(f"cannot build the request URL: {reason}", issues=tuple(
                FieldIssue(path=f"/{m}", reason=reason, code="missing") for m in missing))
        path = _PLACEHOLDER.sub(lambda m: quote(_text(document[m[1]]), safe=""), self._path)
        query = "&".join(
            f"{quote(key, safe='')}=" + _PLACEHOLDER.sub(
                lambda m: quote(_text(document[m[1]]), safe=""), value)
            for key, value in self._query)
        target = f"{path}?{query}" if query else path
        if self.method in _NO_BODY:
            return target, None
        rest = {k: v for k, v in document.items() if k not in self.placeholders}
        return target, pydantic_core.to_json(rest)

    def parse(self, target: str, body: bytes | None = None) -> dict[str, Any]:
        """The request document behind a request target (and body): ``render`` reversed."""
        parts = urlsplit(target)
        match = self._path_re.fullmatch(parts.path)
        if match is None:
            raise MappingError(f"{parts.path} does not match {self._path}", issues=(
                FieldIssue(path="$", reason=f"expected {self._path}", code="malformed"),))
        document: dict[str, Any] = {k: unquote(v) for k, v in match.groupdict().items()}
        actual = dict(parse_qsl(parts.query, keep_blank_values=True))
        for key, value in self._query:
            names = _PLACEHOLDER.findall(value)
            if names and key in actual:
                document[names[0]] = actual[key]
        if body:
            document.update(pydantic_core.from_json(body))
        return document


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
