"""The one hardened parser configuration for every XML document that enters the hub.

Two passes, both libxml2 with entities, DTD loading and network access off:

1. a *prolog sniff* with a parser target that stops at the first element start
   and refuses a DOCTYPE the moment libxml2 reports it — before the internal
   subset is read, so no entity declaration is ever parsed, let alone expanded;
2. the tree parse proper, after which the document info is checked again for a
   DTD as a second line of defence.

A DOCTYPE can only occur in the prolog, so the sniff reads a few bytes of a
normal message and its cost does not grow with the document.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from lxml import etree

from contracts.errors import FieldIssue
from translation.errors import MalformedInput, PayloadTooLarge

# libxml2 refuses deeper documents unless XML_PARSE_HUGE is set, which we never set.
LIBXML2_MAX_DEPTH = 256

# A character XML 1.0 cannot carry (control characters, lone surrogates, U+FFFE...).
NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_chars_only(text: str) -> str:
    """``text`` with each character XML cannot carry replaced by U+FFFD (a fault must still
    be sent when its reason holds one)."""
    return NOT_XML_CHAR.sub("\ufffd", text)

# Error types libxml2 uses for bytes that do not decode in the document's encoding.
_ENCODING_ERRORS = frozenset({"ERR_INVALID_ENCODING", "ERR_UNSUPPORTED_ENCODING"})


@dataclass(frozen=True)
class XmlLimits:
    """Size and nesting caps applied to every inbound XML document.

    ``max_depth`` counts the root element as depth 1 and cannot exceed 256:
    libxml2 refuses deeper documents on its own without ``huge_tree``.
    """

    max_bytes: int = 10 * 1024 * 1024
    max_depth: int = LIBXML2_MAX_DEPTH

    def __post_init__(self) -> None:
        if self.max_bytes < 1:
            raise ValueError(f"max_bytes must be positive, got {self.max_bytes}")
        if not 1 <= self.max_depth <= LIBXML2_MAX_DEPTH:
            raise ValueError(
                f"max_depth must be between 1 and {LIBXML2_MAX_DEPTH} "
                f"(libxml2's own limit without huge_tree), got {self.max_depth}"
            )


class _DoctypeSeen(Exception):
    """Raised by the sniff target when libxml2 reports a DOCTYPE declaration."""


class _PrologEnd(Exception):
    """Raised by the sniff target at the first element: the prolog is over, no DOCTYPE."""


class _PrologSniffer:
    """A parser target that only listens for the DOCTYPE and the first element.

    lxml calls back into Python only for the methods a target defines, so this
    pass costs a libxml2 SAX scan of the prolog and nothing more.
    """

    def doctype(self, name: str | None, pubid: str | None, system: str | None) -> None:
        raise _DoctypeSeen(name or "")

    def start(self, tag: str, attrib: object, nsmap: object = None) -> None:
        raise _PrologEnd

    def close(self) -> None:
        return None


class _ThreadParsers(threading.local):
    """One tree parser per thread, made on first use: lxml parsers must not be shared
    between threads, and a new one per message costs about as much as a small parse's
    tail (libxml2 resets the parser and its error log at the start of every parse)."""

    def __init__(self) -> None:
        self.tree = _parser()


def _parser(target: object | None = None) -> etree.XMLParser:
    return etree.XMLParser(
        target=target,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


_PARSERS = _ThreadParsers()


def thread_parser() -> etree.XMLParser:
    """This thread's parser of the hardened configuration, for XML the hub wrote itself."""
    return _PARSERS.tree


def parse_xml(data: bytes, limits: XmlLimits = XmlLimits()) -> etree._Element:
    """Parse untrusted XML bytes into an element, refusing anything dangerous.

    Raises :class:`PayloadTooLarge` before parsing when ``data`` exceeds the cap,
    and :class:`MalformedInput` (issue codes ``dtd-forbidden``, ``too-deep``,
    ``not-well-formed``, ``invalid-encoding``) for everything else.
    """
    if len(data) > limits.max_bytes:
        raise PayloadTooLarge(len(data), limits.max_bytes)
    _refuse_doctype(data)
    parser = _PARSERS.tree
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, parser.error_log) from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise _dtd_forbidden(docinfo.root_name or "")
    if limits.max_depth < LIBXML2_MAX_DEPTH:
        _check_depth(root, limits.max_depth)
    return root


def _refuse_doctype(data: bytes) -> None:
    """Scan the prolog and raise if it declares a DOCTYPE, before any DTD is read."""
    if _prolog_is_plain(data):
        return
    parser = _parser(_PrologSniffer())
    try:
        etree.fromstring(data, parser)
    except _PrologEnd:
        return
    except _DoctypeSeen as seen:
        raise _dtd_forbidden(str(seen)) from None
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, parser.error_log) from None


# Encodings in which the prolog's markup bytes are plain ASCII; any other declared
# encoding goes through libxml2's own prolog scan.
_ASCII_COMPATIBLE = (b"utf-8", b"utf8", b"us-ascii", b"ascii", b"iso-8859-1", b"latin1")
# The prolog nearly every message has, recognised in one regex match; anything else goes
# to the byte scan below. It can only say "the root element starts here".
_COMMON_PROLOG = re.compile(
    rb"""
    (?:\xef\xbb\xbf)?                                   # a UTF-8 byte order mark
    [ \t\r\n]*
    (?:<\?xml [ \t\r\n]+ version [ \t\r\n]*=[ \t\r\n]* (?P<q1>['"]) 1\.[0-9]+ (?P=q1)
       (?:[ \t\r\n]+ encoding [ \t\r\n]*=[ \t\r\n]* (?P<q2>['"])
          (?i:utf-8|utf8|us-ascii|ascii|iso-8859-1|latin1) (?P=q2))?  # ASCII-compatible
       (?:[ \t\r\n]+ standalone [ \t\r\n]*=[ \t\r\n]* (?P<q3>['"]) (?:yes|no) (?P=q3))?
       [ \t\r\n]* \?>)?                                  # an XML declaration
    [ \t\r\n]*
    <[A-Za-z_:\x80-\xff]                                 # the root element's first name byte
    """,
    re.VERBOSE,
)
_NAME_START = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_:") | frozenset(
    range(0x80, 0x100)
)


def _prolog_is_plain(data: bytes) -> bool:
    """True only when the bytes *certainly* reach the root element without a DOCTYPE.

    The fast path for the common message (XML declaration, comments, processing
    instructions, whitespace, then the root element). It never decides that a
    DOCTYPE is present: any doubt (another encoding, a ``<!`` that is not a
    comment, anything unexpected) returns False, and libxml2's prolog scan then
    decides — so this can only save time, never let a DOCTYPE through.
    """
    return _COMMON_PROLOG.match(data) is not None or _scanned_prolog_is_plain(data)


def _scanned_prolog_is_plain(data: bytes) -> bool:
    """The byte scan: comments and processing instructions before the root too."""
    at = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    end = min(len(data), 64 * 1024)  # a prolog longer than this is unusual: let libxml2 look
    while at < end:
        byte = data[at]
        if byte in b" \t\r\n":
            at += 1
        elif data.startswith(b"<?", at):
            close = data.find(b"?>", at + 2, end)
            if close < 0 or not _declared_encoding_is_plain(data[at:close]):
                return False
            at = close + 2
        elif data.startswith(b"<!--", at):
            close = data.find(b"-->", at + 4, end)
            if close < 0:
                return False
            at = close + 3
        else:
            return byte == 0x3C and at + 1 < len(data) and data[at + 1] in _NAME_START
    return False


def _declared_encoding_is_plain(instruction: bytes) -> bool:
    if not instruction.startswith(b"<?xml") or b"encoding" not in instruction:
        return True
    declared = instruction.split(b"encoding", 1)[1].split(b"=", 1)[-1].strip()[1:]
    name = declared.split(b'"', 1)[0].split(b"'", 1)[0].strip().lower()
    return name in _ASCII_COMPATIBLE


def _dtd_forbidden(root_name: str) -> MalformedInput:
    reason = f"DOCTYPE declaration{f' for {root_name!r}' if root_name else ''} is forbidden"
    return MalformedInput(
        f"XML refused: {reason}; DTDs and entities are never processed",
        issues=(FieldIssue(path="$", reason=reason, code="dtd-forbidden"),),
    )


def _syntax_error(exc: etree.XMLSyntaxError, log: etree._ListErrorLog) -> MalformedInput:
    """Map libxml2's first error onto one of our issue codes, keeping its line and column."""
    entries = list(log)
    # Warnings (e.g. a relative namespace URI) may precede the error that stopped the parse.
    errors = [e for e in entries if e.level >= etree.ErrorLevels.ERROR] or entries
    first = errors[0] if errors else None
    message = (first.message if first is not None else str(exc)).strip()
    where = (
        f"line {first.line}, column {first.column}"
        if first is not None
        else f"line {exc.lineno or 0}, column {exc.offset or 0}"
    )
    if any("Excessive depth" in e.message for e in entries):
        # libxml2's wording points at a parser option we deliberately never set.
        code, summary = "too-deep", "XML is too deep"
        message = f"element nests deeper than {LIBXML2_MAX_DEPTH} levels"
    elif any(e.type_name in _ENCODING_ERRORS for e in entries):
        code, summary = "invalid-encoding", "XML bytes do not match the document's encoding"
    else:
        code, summary = "not-well-formed", "XML is not well-formed"
    reason = f"{where}: {message}"
    return MalformedInput(
        f"{summary}: {reason}", issues=(FieldIssue(path="$", reason=reason, code=code),)
    )


def _check_depth(root: etree._Element, max_depth: int) -> None:
    depth = 0
    for event, element in etree.iterwalk(root, events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > max_depth:
            reason = f"line {element.sourceline}: element nests deeper than {max_depth} levels"
            raise MalformedInput(
                f"XML is too deep: {reason}",
                issues=(FieldIssue(path="$", reason=reason, code="too-deep"),),
            )
