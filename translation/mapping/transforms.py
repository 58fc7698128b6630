"""Value transforms: one native value <-> one contract value, compiled once per rule.

A :class:`ValueCodec` is built from a field rule when the mapping is loaded;
its ``decode`` and ``encode`` are plain callables that the per-message path
calls without looking at the rule again. They raise :class:`TransformError`
(a stable ``code`` and a reason), which the plan turns into a
:class:`translation.errors.MappingError` naming the legacy path.

The *medium* says what native values are: ``"xml"`` (text) or ``"json"``
(JSON types: str, int, Decimal for numbers, bool, None).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import Enum
from operator import itemgetter
from typing import Any, Literal

from translation.errors import MappingError
from translation.mapping.errors import MappingFileError
from translation.mapping.spec import MISSING, FieldRule

Medium = Literal["xml", "json"]
OMIT: Any = type("Omit", (), {"__repr__": lambda self: "OMIT"})()
"""What ``encode`` returns for a value that is not written at all (None without a null)."""

# strftime directives that have a fixed width of digits: parsed by slicing, not strptime
# (about ten times faster), and written zero-padded (strftime writes year 999 as "999").
_FIXED = {"d": ("day", 2), "m": ("month", 2), "Y": ("year", 4),
          "H": ("hour", 2), "M": ("minute", 2), "S": ("second", 2)}
_INTEGER = re.compile(r"-?[0-9]+", re.ASCII)


class TransformError(MappingError):
    """Raised when one value cannot be transformed; ``issue_code`` says why (``malformed``,
    ``unknown-code``...), ``reason`` in words. The plan that called the transform turns
    it into a :class:`MappingError` issue naming the legacy path and the field."""

    code = "transform-error"

    def __init__(self, issue_code: str, reason: str) -> None:
        super().__init__(reason)
        self.issue_code = issue_code
        self.reason = reason


class RuleError(MappingFileError):
    """Raised at load time when a rule's transform cannot be built (bad format, bad table)."""

    code = "bad-transform"


@dataclass(frozen=True)
class ValueCodec:
    """Both directions of one rule's value transform, plus why it is lossy (if it is)."""

    decode: Callable[[Any], Any]
    encode: Callable[[Any], Any]
    lossy: tuple[str, ...] = ()


def build_codec(rule: FieldRule, kind: type | None, medium: Medium) -> ValueCodec:
    """Compile ``rule``'s transforms for a contract field of type ``kind`` (None: unknown)."""
    if rule.date is not None:
        parse, write, lossy = _date_codec(rule.date)
    elif rule.datetime is not None:
        parse, write, lossy = _datetime_codec(rule.datetime, kind)
    elif rule.codes is not None:
        parse, write, lossy = _code_table(rule.codes, kind, medium)
    elif rule.scale is not None:
        parse, write, lossy = _scaled(rule.scale, rule.round, medium)
    elif rule.round is not None:
        parse, write, lossy = _rounded(rule.round, medium)
    else:
        parse, write, lossy = _identity, (_lexical if medium == "xml" else _json_value), ()
    if rule.const is not MISSING:
        return _const_codec(rule.const, write)
    return ValueCodec(_with_nulls(parse, rule.null), _with_null_out(write, rule.null),
                      lossy)


def _identity(value: Any) -> Any:
    return value


def _with_nulls(parse: Callable[[Any], Any], nulls: tuple[str, ...]) -> Callable[[Any], Any]:
    # Every parser maps None (a JSON null) to None itself, on its error path: no wrapper
    # call on the hot path unless the legacy system has sentinels of its own.
    if not nulls:
        return parse
    sentinels = frozenset(nulls)
    return lambda value: None if value in sentinels else parse(value)


def _with_null_out(write: Callable[[Any], Any], nulls: tuple[str, ...]) -> Callable[[Any], Any]:
    empty = nulls[0] if nulls else OMIT
    return lambda value: empty if value is None else write(value)


def _const_codec(const: Any, write: Callable[[Any], Any]) -> ValueCodec:
    expected = const.value if isinstance(const, Enum) else const

    def decode(_value: Any) -> Any:
        return const

    def encode(value: Any) -> Any:
        actual = value.value if isinstance(value, Enum) else value
        if actual != expected:
            raise TransformError("not-representable",
                                 f"{actual!r} cannot be sent: this service only knows {const!r}")
        return OMIT

    return ValueCodec(decode, encode)


# ---------------------------------------------------------------- plain values


def _lexical(value: Any) -> str:
    """The XSD lexical form of a contract scalar."""
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):  # datetime too
        return value.isoformat()
    return str(value)


def _json_value(value: Any) -> Any:
    """A contract scalar as a JSON value (dates ISO 8601, decimals JSON numbers)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return _json_number(value)
    return value


def _json_number(value: Decimal) -> int | float:
    """A decimal as a JSON number, refusing one that a binary double would change."""
    if value == value.to_integral_value():
        return int(value)
    if len(value.as_tuple().digits) > 15:
        raise TransformError("not-representable", f"{value} has more than 15 significant "
                             "digits: a JSON number cannot carry it exactly (use scale)")
    return float(value)


# ---------------------------------------------------------------- dates and times


def _date_codec(fmt: str) -> tuple[Callable[[Any], Any], Callable[[Any], Any],
                                                   tuple[str, ...]]:
    if fmt == "iso":
        return _text_parser(dt.date.fromisoformat, "an ISO 8601 date"), _iso_date, ()
    fixed = _fixed_format(fmt)
    if fixed is not None:
        layout, writer = fixed
        return _fixed_parser(layout, fmt), writer, ()
    _check_strftime(fmt)
    return (_text_parser(lambda text: dt.datetime.strptime(text, fmt).date(), f"a {fmt} date"),
            lambda value: _checked_date(value).strftime(fmt), ())


def _datetime_codec(fmt: str, kind: type | None) -> tuple[Callable[[Any], Any],
                                                         Callable[[Any], Any], tuple[str, ...]]:
    if fmt == "iso":
        parse: Callable[[str], dt.datetime] = dt.datetime.fromisoformat
        write: Callable[[dt.datetime], str] = _iso_datetime
        what = "an ISO 8601 timestamp"
    else:
        _check_strftime(fmt)
        parse = lambda text: dt.datetime.strptime(text, fmt)  # noqa: E731 - bound format
        write = lambda value: value.strftime(fmt)  # noqa: E731
        what = f"a {fmt} timestamp"
    read = _text_parser(parse, what)
    if kind is dt.date:
        # The contract wants the day: an aware timestamp counts on its UTC calendar day.
        def to_day(value: Any) -> dt.date | None:
            stamp = read(value)
            if stamp is None:
                return None
            return stamp.astimezone(dt.UTC).date() if stamp.tzinfo else stamp.date()

        def from_day(value: Any) -> str:
            day = _checked_date(value)
            return write(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC))

        return to_day, from_day, ("a timestamp becomes its UTC day: the time of day is dropped",)
    return read, lambda value: write(_checked(value, dt.datetime, "a timestamp")), ()


def _iso_date(value: Any) -> str:
    return _checked_date(value).isoformat()


def _iso_datetime(value: dt.datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


@dataclass(frozen=True)
class _FixedLayout:
    """Where the fields of a fixed-width date format sit (``%d.%m.%Y``: day at 0:2...)."""

    width: int
    year: slice
    month: slice
    day: slice
    literals: tuple[tuple[int, str], ...]


def _fixed_format(fmt: str) -> tuple[_FixedLayout, Callable[[Any], str]] | None:
    """A layout and a writer for date formats made only of fixed-width numeric directives."""
    spans: dict[str, slice] = {}
    literals: list[tuple[int, str]] = []
    template, index, offset = [], 0, 0
    while index < len(fmt):
        char = fmt[index]
        directive = fmt[index + 1: index + 2] if char == "%" else ""
        if char != "%" or directive == "%":
            literals.append((offset, char))
            template.append(char.replace("{", "{{").replace("}", "}}"))
            index, offset = index + (2 if directive == "%" else 1), offset + 1
            continue
        if directive not in _FIXED or _FIXED[directive][0] in spans:
            return None  # month names, time parts, a directive twice: strptime's business
        name, width = _FIXED[directive]
        spans[name] = slice(offset, offset + width)
        template.append(f"{{0.{name}:0{width}d}}")
        index, offset = index + 2, offset + width
    if spans.keys() != {"day", "month", "year"}:
        return None
    writer = "".join(template).format
    layout = _FixedLayout(offset, spans["year"], spans["month"], spans["day"], tuple(literals))
    return layout, lambda value: writer(_checked_date(value))


def _fixed_parser(layout: _FixedLayout, fmt: str) -> Callable[[Any], Any]:
    """Parse by slicing: the layout is checked, then ``date.fromisoformat`` (C) builds the
    date, refusing non-digits and impossible days — about twice as fast as a regex."""
    width, year, month, day = layout.width, layout.year, layout.month, layout.day
    # The separators, picked in one C call: "%d.%m.%Y" compares (value[2], value[5]).
    positions = [at for at, _ in layout.literals]
    pick = itemgetter(*positions) if positions else itemgetter(slice(0, 0))
    sample = ["0"] * width
    for at, char in layout.literals:
        sample[at] = char
    separators = pick("".join(sample))
    from_iso = dt.date.fromisoformat

    def parse(value: Any) -> Any:
        if type(value) is str and len(value) == width and pick(value) == separators:
            try:
                return from_iso(f"{value[year]}-{value[month]}-{value[day]}")
            except ValueError as exc:
                raise TransformError("malformed", f"{value!r} is not a {fmt} calendar date: "
                                     f"{exc}") from None
        if value is None:
            return None
        code = "malformed" if isinstance(value, str) else "type"
        raise TransformError(code, f"{value!r} is not a {fmt} date")

    return parse


def _text_parser(parse: Callable[[str], Any], what: str) -> Callable[[Any], Any]:
    def read(value: Any) -> Any:
        try:
            return parse(value)
        except (TypeError, ValueError):
            if value is None:
                return None
            code = "malformed" if isinstance(value, str) else "type"
            raise TransformError(code, f"{value!r} is not {what}") from None

    return read


def _check_strftime(fmt: str) -> None:
    if "%" not in fmt:
        raise RuleError(f"date format {fmt!r} has no % directive; did you mean 'iso'?")
    try:
        dt.datetime(2000, 1, 2, 3, 4, 5).strftime(fmt)
    except ValueError as exc:
        raise RuleError(f"bad date format {fmt!r}: {exc}") from None


def _checked_date(value: Any) -> dt.date:
    return _checked(value, dt.date, "a date")


def _checked(value: Any, kind: type, what: str) -> Any:
    if not isinstance(value, kind):
        raise TransformError("type", f"{value!r} is not {what}")
    return value


# ---------------------------------------------------------------- code tables


def _code_table(codes: Mapping[str, str], kind: type | None, medium: Medium
                ) -> tuple[Callable[[Any], Any], Callable[[Any], Any], tuple[str, ...]]:
    if kind is not None and issubclass(kind, Enum):
        members = {member.value: member for member in kind}
        unknown = [value for value in codes.values() if value not in members]
        if unknown:
            raise RuleError(f"code table value(s) {', '.join(map(repr, unknown))} are not "
                            f"{kind.__name__} values ({', '.join(map(repr, members))})")
        table: dict[Any, Any] = {code: members[value] for code, value in codes.items()}
    else:
        table = dict(codes)
    reverse: dict[Any, str] = {}
    shared: dict[str, list[str]] = {}
    for code, value in codes.items():
        reverse.setdefault(value, code)  # the first code listed is the one written
        shared.setdefault(value, []).append(code)
    many = [f"{value} <- {', '.join(found)}" for value, found in shared.items() if len(found) > 1]
    lossy = (f"several legacy codes map to one contract value ({'; '.join(many)}); "
             "encode writes the first",) if many else ()
    expected = ", ".join(codes)

    def decode(value: Any) -> Any:
        key = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        try:
            return table[key]
        except (KeyError, TypeError):
            if value is None:
                return None
            raise TransformError("unknown-code",
                                 f"unknown code {value!r}; expected one of {expected}") from None

    def encode(value: Any) -> Any:
        key = value.value if isinstance(value, Enum) else value
        try:
            return reverse[key]
        except (KeyError, TypeError):
            raise TransformError("no-code", f"{key!r} has no legacy code in the table "
                                 f"(known: {', '.join(map(str, reverse))})") from None

    return decode, encode, lossy


# ---------------------------------------------------------------- numbers


def _scaled(scale: int, places: int | None, medium: Medium
            ) -> tuple[Callable[[Any], Any], Callable[[Any], Any], tuple[str, ...]]:
    """Legacy whole numbers of 1/10^scale units (cents: 2) <-> contract decimals."""
    quantum = None if places is None else Decimal(1).scaleb(-places)
    unit = f"1/{10 ** scale}" if scale > 0 else f"{10 ** -scale}"
    json_out = medium == "json"

    def decode(value: Any) -> Decimal | None:
        # type() is, not isinstance: a bool is an int, and true is not one cent.
        if (type(value) is str and _INTEGER.fullmatch(value)) or type(value) is int:
            amount = Decimal(value).scaleb(-scale)  # exact; cents keep two places
        elif value is None:
            return None
        else:
            raise TransformError("type", f"{value!r} is not a whole number of {unit} units")
        return amount if quantum is None else amount.quantize(quantum, ROUND_HALF_EVEN)

    def encode(value: Any) -> Any:
        amount = _decimal(value)
        if quantum is not None:
            amount = amount.quantize(quantum, ROUND_HALF_EVEN)
        units = amount.scaleb(scale)
        if units != units.to_integral_value():
            raise TransformError("not-representable", f"{value} is not a whole number of "
                                 f"{unit} units (declare round to round it, lossy)")
        return int(units) if json_out else str(int(units))

    return decode, encode, (f"rounds to {places} decimal places",) if places is not None else ()


def _rounded(places: int, medium: Medium
             ) -> tuple[Callable[[Any], Any], Callable[[Any], Any], tuple[str, ...]]:
    quantum = Decimal(1).scaleb(-places)

    def decode(value: Any) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool):
            raise TransformError("type", f"{value!r} is not a number")
        return _decimal(value).quantize(quantum, ROUND_HALF_EVEN)

    def encode(value: Any) -> Any:
        text = format(_decimal(value).quantize(quantum, ROUND_HALF_EVEN), "f")
        return text if medium == "xml" else Decimal(text)

    return decode, encode, (f"rounds to {places} decimal places",)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int | str) and not isinstance(value, bool):
        try:
            return Decimal(value)
        except InvalidOperation:
            pass
    if isinstance(value, float):
        return Decimal(repr(value))
    raise TransformError("type", f"{value!r} is not a decimal number")
