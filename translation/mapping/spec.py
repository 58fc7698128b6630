"""Read a mapping file (TOML) into a typed, checked specification.

A mapping file describes one department service: which contracts it answers,
how its native messages look, and — per direction — which legacy path feeds
which contract field. Only the *shape* of the file is checked here; whether
the paths exist in the legacy schema and the fields in the contract is the
business of :mod:`translation.mapping.analysis`.

The format, by example::

    [mapping]
    service = "social-security/contribution-history"      # department/service
    request = "social-security.contribution-history-query@1.0"
    response = "social-security.contribution-history@1.0"
    native = "soap"                                        # or "json"

    [soap]                                                 # native = "soap" only
    wsdl = "../social_security_bureau/insurance.wsdl"     # relative to this file
    operation = "GetInsuranceRecord"
    # catalog = "catalog.xml"    # OASIS XML catalog for schemas imported by URL (optional)
    # lenient = true             # accept WSDL references that differ only in letter case

    [soap.xroad]                 # optional: X-Road message protocol 4.0 headers to send
    client = "DEV/GOV/1000/interop-hub"      # the hub, as X-Road client
    provider = "DEV/COM/1234/TestService"    # the member or subsystem serving the operation
    service_code = "getRandom"
    service_version = "v1"                   # optional

    [namespaces]                                           # prefixes the XPaths use
    bur = "http://bureau.social-security.example/ws/2004"

    [json]                                                 # native = "json" only
    request = "GET /v2/taxpayers/{tin}/clearance?year={year}"

    [request.fields]                                       # contract field = source
    national_id = "bur:PersNo"
    period_start = { path = "bur:FromDt", date = "%d.%m.%Y" }

    [[response.list]]                                      # a repeated element
    field = "periods"
    each = "bur:Period"
    [response.list.fields]
    end = { path = "bur:EndDt", date = "%d.%m.%Y", null = "00.00.0000" }

    [response.constants]                                   # written on encode only
    "@version" = "2"
    [response.match]                                       # answer field = question field
    "person.national_id" = "national_id"
    [response.schema]                                      # native = "json": JSON Schema
    type = "object"

A section may also name its root element (``element = "bur:..."``, SOAP; it
must be the operation's). The keys a field rule accepts are listed in
:data:`RULE_KEYS`. With ``[soap.xroad]`` every request carries the X-Road 4.0
headers (``xrd:id`` is the exchange's correlation id) and the answer must echo
that id. A value still written as a ``"<...>"`` placeholder (as ``interop-hub
adapter scaffold`` leaves them) is refused, naming the key to fill in.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from contracts.errors import FieldIssue
from translation.mapping.attachment_spec import (
    AttachmentRule,
    AttachmentsSpec,
    read_attachment_rules,
    read_packaging,
)
from translation.mapping.errors import MappingFileError
from translation.mapping.xroad_spec import XRoadSpec, read_xroad

Native = Literal["soap", "json"]
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()

RULE_KEYS = {
    "path": "the source path (XPath for XML, JSON Pointer for JSON)",
    "paths": "several source paths concatenated into one field (needs join)",
    "join": "separator placed between the parts of `paths`",
    "split": "separator: the source holds several fields (needs part)",
    "part": "which part (1-based) of a split source this field is",
    "date": "date format (strftime directives, or 'iso')",
    "datetime": "timestamp format (strftime directives, or 'iso')",
    "codes": "code table {legacy code = contract value}",
    "scale": "legacy integer in 1/10^scale units (2: cents) <-> contract decimal",
    "round": "round the contract value to this many decimal places (lossy)",
    "null": "legacy value(s) meaning 'no value' (the first is written on encode)",
    "default": "contract value used when the source is absent",
    "const": "contract value that is always the same (no source)",
    "lossy": "true when decode(encode(x)) may differ from x (must be declared)",
}
_TRANSFORMS = ("date", "datetime", "codes", "scale")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_UNFILLED = re.compile(r"<[^<>]*>")  # a scaffold placeholder, e.g. "<department/service>"


@dataclass(frozen=True)
class FieldRule:
    """How one contract field (dotted, relative to its section or list item) is sourced."""

    field: str
    key: str
    paths: tuple[str, ...] = ()
    join: str | None = None
    split: str | None = None
    part: int | None = None
    date: str | None = None
    datetime: str | None = None
    codes: Mapping[str, str] | None = None
    scale: int | None = None
    round: int | None = None
    null: tuple[str, ...] = ()
    default: Any = MISSING
    const: Any = MISSING
    lossy: bool = False

    @property
    def path(self) -> str | None:
        """The single source path, if the rule has exactly one."""
        return self.paths[0] if len(self.paths) == 1 else None


@dataclass(frozen=True)
class ListBlock:
    """A repeated legacy element (``each``) that becomes the contract list ``field``."""

    field: str
    each: str
    key: str
    rules: tuple[FieldRule, ...] = ()
    lists: tuple[ListBlock, ...] = ()


@dataclass(frozen=True)
class Section:
    """One direction's message: the request or the response."""

    name: Literal["request", "response"]
    element: str | None = None
    rules: tuple[FieldRule, ...] = ()
    lists: tuple[ListBlock, ...] = ()
    constants: Mapping[str, Any] = field(default_factory=dict)
    match: Mapping[str, str] = field(default_factory=dict)
    schema: Mapping[str, Any] | None = None
    attachments: tuple[AttachmentRule, ...] = ()


@dataclass(frozen=True)
class SoapHeader:
    """Where the SOAP service is described and which operation this mapping covers."""

    wsdl: str
    operation: str
    namespaces: Mapping[str, str]
    service: str | None = None
    port: str | None = None
    catalog: str | None = None  # OASIS XML catalog for imports by URL, beside the file
    lenient: bool = False  # accept WSDL references that differ only in letter case
    xroad: XRoadSpec | None = None
    attachments: AttachmentsSpec | None = None


@dataclass(frozen=True)
class JsonHeader:
    """The HTTP method and URL template of a JSON service's request."""

    method: str
    template: str

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(_PLACEHOLDER.findall(self.template))


@dataclass(frozen=True)
class MappingSpec:
    """A whole mapping file, shape-checked."""

    source: Path
    service: str
    request_contract: str
    response_contract: str
    native: Native
    request: Section
    response: Section
    soap: SoapHeader | None = None
    json: JsonHeader | None = None
    description: str = ""

    def resolve(self, location: str) -> str:
        """A path written in the file, relative to the file's folder (URLs unchanged)."""
        if "://" in location:
            return location
        return str((self.source.parent / location).resolve())


def load_spec(path: Path | str) -> MappingSpec:
    """Read and shape-check a mapping file; raises :class:`MappingFileError` naming the key."""
    path = Path(path)
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _error(path, "$", f"cannot read the mapping file: {exc.strerror}",
                     "unreadable") from None
    except tomllib.TOMLDecodeError as exc:
        raise _error(path, "$", f"not valid TOML: {exc}", "not-toml") from None
    except UnicodeDecodeError as exc:
        raise _error(path, "$", f"not UTF-8: {exc.reason}", "invalid-encoding") from None
    return _Reader(path).spec(document)


def _error(path: Path, key: str, reason: str, code: str) -> MappingFileError:
    return MappingFileError(
        f"{path}: {key}: {reason}", issues=(FieldIssue(path=f"{path}:{key}", reason=reason,
                                                       code=code),)
    )


class _Reader:
    """Walks the TOML document, collecting every problem before raising once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.issues: list[FieldIssue] = []

    def problem(self, key: str, reason: str, code: str = "invalid") -> None:
        self.issues.append(FieldIssue(path=f"{self.path}:{key}", reason=reason, code=code))

    def spec(self, doc: dict[str, Any]) -> MappingSpec:
        self.unknown(doc, "", {"mapping", "soap", "json", "namespaces", "request", "response"})
        head = self.table(doc, "mapping", required=True)
        native = head.get("native")
        if native not in ("soap", "json"):
            self.problem("mapping.native", f"must be 'soap' or 'json', got {native!r}")
        self.unknown(head, "mapping", {"service", "request", "response", "native", "description"})
        names = [self.text(head, "mapping", key) for key in ("service", "request", "response")]
        soap = self.soap(doc) if native == "soap" else None
        json_head = self.json(doc) if native == "json" else None
        misplaced = ({"soap", "json"} - {native}) | ({"namespaces"} if native == "json" else set())
        for other in sorted(misplaced & doc.keys()):
            self.problem(other, f"[{other}] does not apply to native = {native!r}")
        spec = MappingSpec(
            source=self.path,
            service=names[0],
            request_contract=names[1],
            response_contract=names[2],
            native=native if native in ("soap", "json") else "soap",
            request=self.section(doc, "request", native, soap),
            response=self.section(doc, "response", native, soap),
            soap=soap,
            json=json_head,
            description=str(head.get("description", "")),
        )
        if self.issues:
            first = self.issues[0]
            raise MappingFileError(
                f"{self.path}: {len(self.issues)} problem(s); first: {first.path}: {first.reason}",
                issues=tuple(self.issues),
            )
        return spec

    # ------------------------------------------------------------ headers

    def soap(self, doc: dict[str, Any]) -> SoapHeader:
        table = self.table(doc, "soap", required=True)
        self.unknown(table, "soap",
                     {"wsdl", "operation", "service", "port", "catalog", "lenient", "xroad",
                      "attachments"})
        lenient = table.get("lenient", False)
        if not isinstance(lenient, bool):
            self.problem("soap.lenient", "must be true or false")
        namespaces = self.table(doc, "namespaces")
        for prefix, uri in namespaces.items():
            if not isinstance(uri, str) or not re.fullmatch(r"[A-Za-z_][\w.-]*", prefix):
                self.problem(f"namespaces.{prefix}", "a prefix maps to a namespace URI")
        return SoapHeader(
            wsdl=self.text(table, "soap", "wsdl"),
            operation=self.text(table, "soap", "operation"),
            namespaces={k: v for k, v in namespaces.items() if isinstance(v, str)},
            service=self.text(table, "soap", "service", required=False),
            port=self.text(table, "soap", "port", required=False),
            catalog=self.text(table, "soap", "catalog", required=False),
            lenient=lenient is True,
            xroad=read_xroad(self, table) if "xroad" in table else None,
            attachments=read_packaging(self, table) if "attachments" in table else None,
        )

    def json(self, doc: dict[str, Any]) -> JsonHeader:
        table = self.table(doc, "json", required=True)
        self.unknown(table, "json", {"request"})
        line = self.text(table, "json", "request")
        method, _, template = line.partition(" ")
        if method not in _METHODS or not template.startswith("/"):
            self.problem("json.request", f"expected 'METHOD /path?query' with METHOD one of "
                         f"{', '.join(_METHODS)}, got {line!r}")
        return JsonHeader(method=method, template=template.strip())

    # ------------------------------------------------------------ sections

    def section(self, doc: dict[str, Any], name: Literal["request", "response"],
                native: object, soap: SoapHeader | None) -> Section:
        table = self.table(doc, name)
        allowed = {"fields", "list", "constants"} | (
            {"element", "attachments"} if native == "soap" else {"schema"}) | (
            {"match"} if name == "response" else set())
        self.unknown(table, name, allowed)
        schema = table.get("schema")
        if schema is not None and not isinstance(schema, dict):
            self.problem(f"{name}.schema", "must be a table holding a JSON Schema")
            schema = None
        match = self.table(table, "match", where=f"{name}.match")
        attachments = read_attachment_rules(
            self, table, name, self.table(table, "fields", where=f"{name}.fields"),
            packaged=soap is not None and soap.attachments is not None)
        return Section(
            name=name,
            element=self.text(table, name, "element", required=False),
            # An attachment's element is mapped like a plain field: the provider adapter
            # swaps the reference on the wire for the document id in the contract.
            rules=self.rules(table, name) + tuple(
                FieldRule(field=a.field, key=a.key, paths=(a.path,)) for a in attachments),
            attachments=attachments,
            lists=self.lists(table, name),
            constants=self.table(table, "constants", where=f"{name}.constants"),
            match={k: v for k, v in match.items() if self.is_text(v, f"{name}.match.{k}")},
            schema=schema,
        )

    def lists(self, table: dict[str, Any], where: str) -> tuple[ListBlock, ...]:
        raw = table.get("list", [])
        if not isinstance(raw, list):
            self.problem(f"{where}.list", "must be an array of tables: [[...list]]")
            return ()
        blocks = []
        for index, item in enumerate(raw):
            key = f"{where}.list[{index}]"
            if not isinstance(item, dict):
                self.problem(key, "must be a table")
                continue
            self.unknown(item, key, {"field", "each", "fields", "list"})
            blocks.append(ListBlock(
                field=self.text(item, key, "field"), each=self.text(item, key, "each"), key=key,
                rules=self.rules(item, key), lists=self.lists(item, key),
            ))
        return tuple(blocks)

    def rules(self, table: dict[str, Any], where: str) -> tuple[FieldRule, ...]:
        fields = self.table(table, "fields", where=f"{where}.fields")
        return tuple(rule for name, raw in fields.items()
                     if (rule := self.rule(name, raw, f'{where}.fields."{name}"')) is not None)

    def rule(self, name: str, raw: Any, key: str) -> FieldRule | None:
        if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", name):
            self.problem(key, "a contract field path is dotted names, e.g. person.family_name")
            return None
        if isinstance(raw, str):
            return FieldRule(field=name, key=key, paths=(raw,))
        if not isinstance(raw, dict):
            self.problem(key, "must be a source path (string) or an inline table of rule keys")
            return None
        unknown = set(raw) - RULE_KEYS.keys()
        if unknown:
            self.problem(key, f"unknown key(s) {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(RULE_KEYS)}", "unknown-key")
            return None
        rule = FieldRule(
            field=name, key=key, paths=self.paths(raw, key),
            join=raw.get("join"), split=raw.get("split"), part=raw.get("part"),
            date=raw.get("date"), datetime=raw.get("datetime"), codes=raw.get("codes"),
            scale=raw.get("scale"), round=raw.get("round"), null=self.nulls(raw, key),
            default=raw.get("default", MISSING), const=raw.get("const", MISSING),
            lossy=raw.get("lossy", False),
        )
        self.check_rule(rule, key)
        return rule

    def paths(self, raw: dict[str, Any], key: str) -> tuple[str, ...]:
        if "path" in raw and "paths" in raw:
            self.problem(key, "give either path or paths, not both")
        value = raw.get("paths", [raw["path"]] if "path" in raw else [])
        if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
            self.problem(key, "path is a non-empty string; paths a list of them")
            return ()
        return tuple(value)

    def nulls(self, raw: dict[str, Any], key: str) -> tuple[str, ...]:
        value = raw.get("null", [])
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            self.problem(f"{key}.null", "must be a string or a list of strings")
            return ()
        return tuple(values)

    def check_rule(self, rule: FieldRule, key: str) -> None:
        chosen = [name for name in _TRANSFORMS if getattr(rule, name) is not None]
        if len(chosen) > 1:
            self.problem(key, f"{' and '.join(chosen)} cannot be combined in one rule")
        if rule.const is not MISSING and (rule.paths or rule.default is not MISSING):
            self.problem(key, "const takes no path and no default: the field is always const")
        if rule.const is MISSING and not rule.paths:
            self.problem(key, "needs a path (or paths, or const)")
        if len(rule.paths) > 1 and not isinstance(rule.join, str):
            self.problem(key, "several paths are concatenated: give join = \"<separator>\"")
        if rule.join is not None and len(rule.paths) < 2:
            self.problem(key, "join needs at least two paths")
        if (rule.split is None) != (rule.part is None):
            self.problem(key, "split and part go together: split = \", \", part = 1")
        if rule.split is not None and (not isinstance(rule.split, str) or not rule.split):
            self.problem(f"{key}.split", "must be a non-empty separator string")
        if rule.part is not None and (not isinstance(rule.part, int) or rule.part < 1):
            self.problem(f"{key}.part", "must be a whole number from 1")
        for name in ("join", "date", "datetime"):
            if getattr(rule, name) is not None and not isinstance(getattr(rule, name), str):
                self.problem(f"{key}.{name}", "must be a string")
        if rule.codes is not None and (not isinstance(rule.codes, dict) or not rule.codes
                                       or not all(isinstance(v, str)
                                                  for v in rule.codes.values())):
            self.problem(f"{key}.codes", "must be a non-empty table {legacy = \"contract\"}")
        for name in ("scale", "round"):
            value = getattr(rule, name)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                self.problem(f"{key}.{name}", "must be a whole number")
        if not isinstance(rule.lossy, bool):
            self.problem(f"{key}.lossy", "must be true or false")

    # ------------------------------------------------------------ scalars

    def table(self, parent: dict[str, Any], name: str, *, required: bool = False,
              where: str | None = None) -> dict[str, Any]:
        value = parent.get(name)
        if value is None:
            if required:
                self.problem(where or name, f"[{where or name}] is missing", "missing")
            return {}
        if not isinstance(value, dict):
            self.problem(where or name, "must be a table")
            return {}
        return value

    def text(self, table: dict[str, Any], where: str, name: str, *,
             required: bool = True) -> Any:
        value = table.get(name)
        if value is None:
            if required:
                self.problem(f"{where}.{name}", "is missing", "missing")
            return "" if required else None
        return value if self.is_text(value, f"{where}.{name}") else ""

    def is_text(self, value: Any, key: str) -> bool:
        if isinstance(value, str) and _UNFILLED.fullmatch(value):
            self.problem(key, f"{value} is a placeholder left by `adapter scaffold`: fill it in",
                         "placeholder")
            return False
        if isinstance(value, str) and value:
            return True
        self.problem(key, "must be a non-empty string")
        return False

    def unknown(self, table: dict[str, Any], where: str, allowed: set[str]) -> None:
        for name in sorted(set(table) - allowed):
            self.problem(f"{where}.{name}" if where else name,
                         f"unknown key; expected one of: {', '.join(sorted(allowed))}",
                         "unknown-key")
