"""The medium-independent half of a compiled plan: slots in, contract data out, and back.

A *frame* is one context of a mapping — a section's root, or one item of a
list block — tied to one contract model. Reading the native message fills
*slots* (one per source path; :mod:`translation.mapping.xml_plan` and
:mod:`translation.mapping.json_plan` do that for their medium). The frame then
applies the compiled rules:

- ``build`` is the hot path: flat loops over precompiled tuples, no try block
  per rule; the first :class:`TransformError` aborts it;
- ``build_careful`` runs only after that, applying rule by rule to report
  *every* unreadable value with its legacy path and contract field.

Encoding goes the other way: compiled getters read the contract, codecs turn
values into native ones, and each frame fills *write slots* that the medium
emits.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from contracts.errors import FieldIssue
from translation.mapping.spec import MISSING
from translation.mapping.transforms import OMIT, TransformError


class Layout:
    """The nested dicts that dotted fields of one frame write into (``person.x`` → person)."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {"": 0}
        self.containers: list[tuple[int, str]] = []

    def target(self, dotted: str) -> tuple[int, str]:
        """Container index and key for ``dotted``, creating parent containers as needed."""
        parent, _, key = dotted.rpartition(".")
        return self._container(parent), key

    def _container(self, dotted: str) -> int:
        if dotted not in self._index:
            grand, _, key = dotted.rpartition(".")
            self.containers.append((self._container(grand), key))
            self._index[dotted] = len(self.containers)
        return self._index[dotted]

    def new(self) -> list[dict[str, Any]]:
        if not self.containers:
            return [{}]
        made: list[dict[str, Any]] = [{}]
        for parent, key in self.containers:
            made[parent][key] = child = {}
            made.append(child)
        return made


@dataclass
class Applier:
    """Decodes one rule: reads slots, writes contract values; ``source`` is for issues."""

    field: str
    source: str

    @property
    def covers(self) -> tuple[str, ...]:
        """The contract fields this rule fills."""
        return (self.field,)

    def apply(self, slots: list[Any], made: list[dict[str, Any]]) -> None:
        raise NotImplementedError


@dataclass
class Simple(Applier):
    """One source, one field (the common case)."""

    slot: int = 0
    ci: int = 0
    key: str = ""
    decode: Callable[[Any], Any] | None = None  # None: the native value is used as it is
    default: Any = MISSING

    def apply(self, slots: list[Any], made: list[dict[str, Any]]) -> None:
        value = slots[self.slot]
        if value is MISSING:
            if self.default is not MISSING:
                made[self.ci][self.key] = self.default
        else:
            made[self.ci][self.key] = value if self.decode is None else self.decode(value)


@dataclass
class Split(Applier):
    """One source holding several fields: ``"Surname, Forenames"`` → two fields."""

    slot: int = 0
    separator: str = ""
    parts: tuple[tuple[int, str, Callable[[Any], Any]], ...] = ()
    names: tuple[str, ...] = ()

    @property
    def covers(self) -> tuple[str, ...]:
        return self.names

    def apply(self, slots: list[Any], made: list[dict[str, Any]]) -> None:
        value = slots[self.slot]
        if value is MISSING:
            return
        if not isinstance(value, str):
            raise TransformError("type", f"{value!r} is not text to split")
        pieces = value.split(self.separator, len(self.parts) - 1)
        if len(pieces) != len(self.parts):
            raise TransformError("malformed", f"{value!r} does not hold {len(self.parts)} parts "
                                 f"separated by {self.separator!r}")
        for (ci, key, decode), piece in zip(self.parts, pieces, strict=True):
            made[ci][key] = decode(piece)


@dataclass
class Join(Applier):
    """Several sources concatenated into one field: street + house number → address line."""

    slots: tuple[int, ...] = ()
    separator: str = ""
    ci: int = 0
    key: str = ""
    decode: Callable[[Any], Any] = field(default=lambda value: value)

    def apply(self, slots: list[Any], made: list[dict[str, Any]]) -> None:
        values = [slots[slot] for slot in self.slots if slots[slot] is not MISSING]
        if values:
            made[self.ci][self.key] = self.decode(self.separator.join(map(str, values)))


@dataclass
class Const(Applier):
    """A field that always has the same value."""

    ci: int = 0
    key: str = ""
    value: Any = None

    def apply(self, slots: list[Any], made: list[dict[str, Any]]) -> None:
        made[self.ci][self.key] = self.value


@dataclass
class Encoder:
    """Encodes one rule: reads the contract, writes native values into write slots."""

    field: str
    source: str

    def write(self, obj: Any, values: list[Any]) -> None:
        raise NotImplementedError


def getter(dotted: str) -> Callable[[Any], Any]:
    """Read ``a.b.c`` from a contract; None when an optional parent is None."""
    get = operator.attrgetter(dotted)
    if "." not in dotted:
        return get

    def read(obj: Any) -> Any:
        try:
            return get(obj)
        except AttributeError:
            return None

    return read


@dataclass
class SimpleOut(Encoder):
    """One field to one native value."""

    get: Callable[[Any], Any]
    encode: Callable[[Any], Any] = field(default=lambda value: value)
    wslot: int = 0

    def write(self, obj: Any, values: list[Any]) -> None:
        values[self.wslot] = self.encode(self.get(obj))


@dataclass
class SplitOut(Encoder):
    """Several fields joined into one native value (the inverse of :class:`Split`)."""

    parts: tuple[tuple[Callable[[Any], Any], Callable[[Any], Any], str], ...] = ()
    separator: str = ""
    wslot: int = 0

    def write(self, obj: Any, values: list[Any]) -> None:
        pieces = []
        for index, (get, encode, name) in enumerate(self.parts):
            piece = encode(get(obj))
            piece = "" if piece is OMIT else str(piece)
            if self.separator in piece and index < len(self.parts) - 1:
                raise TransformError("ambiguous", f"{name} {piece!r} contains the separator "
                                     f"{self.separator!r}: the parts could not be told apart")
            pieces.append(piece)
        values[self.wslot] = self.separator.join(pieces)


@dataclass
class JoinOut(Encoder):
    """One field split over several native values (the inverse of :class:`Join`)."""

    get: Callable[[Any], Any]
    encode: Callable[[Any], Any] = field(default=lambda value: value)
    separator: str = ""
    wslots: tuple[int, ...] = ()

    def write(self, obj: Any, values: list[Any]) -> None:
        text = self.encode(self.get(obj))
        if text is OMIT:
            return
        pieces = str(text).split(self.separator, len(self.wslots) - 1)
        if len(pieces) != len(self.wslots):
            raise TransformError("not-representable", f"{text!r} must hold {len(self.wslots)} "
                                 f"parts separated by {self.separator!r}")
        for wslot, piece in zip(self.wslots, pieces, strict=True):
            values[wslot] = piece


@dataclass
class ConstOut(Encoder):
    """A constant field: encoding only checks that the contract holds the constant."""

    get: Callable[[Any], Any]
    check: Callable[[Any], Any] = field(default=lambda value: value)

    def write(self, obj: Any, values: list[Any]) -> None:
        self.check(self.get(obj))


class Frame:
    """A compiled context: reads slots with ``reader``, applies rules, recurses into lists.

    ``reader(ctx, slots)`` fills the slots from a native context (an element, a
    JSON object); each list link yields the native items of one list block.
    """

    def __init__(self, layout: Layout, appliers: Iterable[Applier], encoders: Iterable[Encoder],
                 n_slots: int, write_template: list[Any]) -> None:
        self.layout = layout
        self.appliers = tuple(appliers)
        self.encoders = tuple(encoders)
        self.n_slots = n_slots
        self.write_template = write_template
        self.reader: Callable[[Any, list[Any]], None] = lambda ctx, slots: None
        self.lists: list[ListLink] = []
        # The medium's writer (XML: element builder; JSON: document builder), set by it.
        self.emit: Any = None
        simple = [a for a in self.appliers if isinstance(a, Simple)]
        self._plain = tuple((a.slot, a.ci, a.key) for a in simple
                            if a.decode is None and a.default is MISSING)
        self._coded = tuple((a.slot, a.ci, a.key, a.decode or _same, a.default) for a in simple
                            if a.decode is not None or a.default is not MISSING)
        self._others = tuple(a for a in self.appliers if not isinstance(a, Simple))
        self.source_of = {name: a.source for a in self.appliers for name in a.covers}
        self.field_of = {a.source: a.field for a in reversed(self.appliers)}

    def build(self, ctx: Any) -> dict[str, Any]:
        """Decode one context; raises the first :class:`TransformError` met."""
        slots = [MISSING] * self.n_slots
        self.reader(ctx, slots)
        made = self.layout.new()
        for slot, ci, key in self._plain:
            value = slots[slot]
            if value is not MISSING:
                made[ci][key] = value
        for slot, ci, key, decode, default in self._coded:
            value = slots[slot]
            if value is not MISSING:
                made[ci][key] = decode(value)
            elif default is not MISSING:
                made[ci][key] = default
        for applier in self._others:
            applier.apply(slots, made)
        for link in self.lists:
            made[link.ci][link.key] = [link.frame.build(item) for item in link.items(ctx)]
        return made[0]

    def build_careful(self, ctx: Any, issues: list[FieldIssue], where: str,
                      prefix: str = "") -> dict[str, Any]:
        """Decode one context, collecting every transform failure as an issue."""
        slots = [MISSING] * self.n_slots
        self.reader(ctx, slots)
        made = self.layout.new()
        for applier in self.appliers:
            try:
                applier.apply(slots, made)
            except TransformError as exc:
                issues.append(FieldIssue(path=where + applier.source, reason=exc.reason,
                                         code=exc.issue_code, field=prefix + applier.field))
        for link in self.lists:
            try:
                items = list(link.items(ctx))
            except TransformError as exc:
                issues.append(FieldIssue(path=where + link.each_source, reason=exc.reason,
                                         code=exc.issue_code, field=prefix + link.field))
                items = []
            made[link.ci][link.key] = [
                link.frame.build_careful(item, issues, link.item_path(where, index),
                                         f"{prefix}{link.field}.{index}.")
                for index, item in enumerate(items)
            ]
        return made[0]

    def encode_values(self, obj: Any, issues: list[FieldIssue], where: str,
                      prefix: str = "") -> list[Any]:
        """The native values of ``obj``'s fields, in write slots (OMIT: not written)."""
        values = list(self.write_template)
        for encoder in self.encoders:
            try:
                encoder.write(obj, values)
            except TransformError as exc:
                issues.append(FieldIssue(path=where + encoder.source, reason=exc.reason,
                                         code=exc.issue_code, field=prefix + encoder.field))
        return values

    def legacy_path(self, parts: list[str], where: str) -> str:
        """The legacy location of a contract field given as pydantic ``loc`` parts."""
        name = ""
        for index, part in enumerate(parts):
            name = f"{name}.{part}" if name else part
            link = next((link for link in self.lists if link.field == name), None)
            if link is not None:
                rest = parts[index + 1:]
                if rest and rest[0].isdigit():
                    return link.frame.legacy_path(rest[1:], link.item_path(where, int(rest[0])))
                return where + link.each_source
            if name in self.source_of:
                return where + self.source_of[name]
        return where


def _same(value: Any) -> Any:
    return value


@dataclass
class ListLink:
    """A list block inside a frame: where its items are, and the frame that reads each."""

    field: str
    ci: int
    key: str
    frame: Frame
    items: Callable[[Any], Iterable[Any]]
    item_path: Callable[[str, int], str]
    each_source: str
    get: Callable[[Any], Any]
