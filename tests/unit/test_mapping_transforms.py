"""Each value transform of a mapping rule, both directions, and each error it raises."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum
from typing import Any

import pytest

from translation.mapping.spec import FieldRule
from translation.mapping.transforms import OMIT, RuleError, TransformError, ValueCodec, build_codec


class Colour(StrEnum):
    RED = "red"
    GREEN = "green"
    BLUE = "blue"


def codec(kind: type | None = str, medium: Any = "xml", **rule: Any) -> ValueCodec:
    return build_codec(FieldRule(field="f", key="k", paths=("p",), **rule), kind, medium)


def test_date_format_parses_and_writes_zero_padded() -> None:
    """date = "%d.%m.%Y" reads DD.MM.YYYY and writes it back, years padded to four digits."""
    c = codec(dt.date, date="%d.%m.%Y")
    assert c.decode("05.03.2010") == dt.date(2010, 3, 5)
    assert c.encode(dt.date(2010, 3, 5)) == "05.03.2010"
    assert c.encode(dt.date(999, 1, 2)) == "02.01.0999"


def test_date_format_in_another_order() -> None:
    """Fixed-width directives may come in any order (%Y%m%d)."""
    c = codec(dt.date, date="%Y%m%d")
    assert c.decode("20261128") == dt.date(2026, 11, 28)
    assert c.encode(dt.date(2026, 11, 28)) == "20261128"


@pytest.mark.parametrize(("text", "code"), [("2026-11-28", "malformed"),
                                            ("31.02.2020", "malformed"), ("1.1.2020", "malformed")])
def test_date_that_does_not_fit_is_refused(text: str, code: str) -> None:
    """Wrong shape or an impossible calendar day raise TransformError('malformed')."""
    with pytest.raises(TransformError) as caught:
        codec(dt.date, date="%d.%m.%Y").decode(text)
    assert caught.value.issue_code == code
    assert text in caught.value.reason


def test_date_with_month_names_falls_back_to_strptime() -> None:
    """Formats with non-numeric directives still work (through strptime/strftime)."""
    c = codec(dt.date, date="%d %b %Y")
    assert c.decode("05 Mar 2010") == dt.date(2010, 3, 5)
    assert c.encode(dt.date(2010, 3, 5)) == "05 Mar 2010"


def test_bad_date_format_is_refused_at_load() -> None:
    """A format without directives is a RuleError when the mapping is compiled."""
    with pytest.raises(RuleError):
        codec(dt.date, date="DD.MM.YYYY")


def test_sentinel_means_no_value_both_ways() -> None:
    """null = "00.00.0000" decodes to None and None encodes to the sentinel."""
    c = codec(dt.date, date="%d.%m.%Y", null=("00.00.0000",))
    assert c.decode("00.00.0000") is None
    assert c.encode(None) == "00.00.0000"


def test_none_without_sentinel_is_not_written() -> None:
    """Without a null sentinel, None means the element is left out."""
    assert codec(str).encode(None) is OMIT


def test_iso_timestamp_into_a_date_is_the_utc_day_and_lossy() -> None:
    """datetime = "iso" onto a date field keeps the UTC day and says it is lossy."""
    c = codec(dt.date, medium="json", datetime="iso")
    assert c.decode("2026-11-29T00:30:00+02:00") == dt.date(2026, 11, 28)
    assert c.encode(dt.date(2026, 11, 28)) == "2026-11-28T00:00:00Z"
    assert c.lossy


def test_timestamp_with_format_into_a_datetime() -> None:
    """datetime = "%Y%m%d%H%M%S" onto a datetime field round-trips and is not lossy."""
    c = codec(dt.datetime, datetime="%Y%m%d%H%M%S")
    value = dt.datetime(2026, 11, 28, 10, 0, 5)
    assert c.decode(c.encode(value)) == value
    assert not c.lossy


def test_code_table_maps_both_ways_onto_the_enum() -> None:
    """codes = {R = "red", ...} decodes to enum members and encodes back to codes."""
    c = codec(Colour, codes={"R": "red", "G": "green", "B": "blue"})
    assert c.decode("G") is Colour.GREEN
    assert c.encode(Colour.BLUE) == "B"
    assert not c.lossy


def test_unknown_code_names_the_code_and_the_known_ones() -> None:
    """An unknown legacy code raises 'unknown-code' naming it and the expected codes."""
    with pytest.raises(TransformError) as caught:
        codec(Colour, codes={"R": "red", "G": "green"}).decode("X")
    assert caught.value.issue_code == "unknown-code"
    assert "'X'" in caught.value.reason and "R, G" in caught.value.reason


def test_many_to_one_table_is_lossy_and_writes_the_first_code() -> None:
    """Two codes for one value: decode takes both, encode writes the first, lossy is reported."""
    c = codec(Colour, codes={"R": "red", "RD": "red", "G": "green"})
    assert c.decode("RD") is Colour.RED
    assert c.encode(Colour.RED) == "R"
    assert "several legacy codes" in c.lossy[0]


def test_contract_value_without_a_code_cannot_be_encoded() -> None:
    """An enum value the table does not list raises 'no-code' on encode."""
    with pytest.raises(TransformError) as caught:
        codec(Colour, codes={"R": "red"}).encode(Colour.BLUE)
    assert caught.value.issue_code == "no-code"


def test_table_value_outside_the_enum_is_refused_at_load() -> None:
    """A code table mapping onto a value the enum does not have is a RuleError."""
    with pytest.raises(RuleError, match="purple"):
        codec(Colour, codes={"P": "purple"})


def test_json_integer_codes_are_looked_up_as_text() -> None:
    """A JSON number code finds its table entry (TOML keys are text)."""
    assert codec(Colour, medium="json", codes={"1": "red"}).decode(1) is Colour.RED


def test_cents_become_an_exact_decimal() -> None:
    """scale = 2: whole cents <-> decimal amount, exactly, with two places."""
    c = codec(Decimal, scale=2)
    assert c.decode("31870050") == Decimal("318700.50")
    assert str(c.decode("0")) == "0.00"
    assert c.encode(Decimal("318700.50")) == "31870050"
    assert codec(Decimal, medium="json", scale=2).encode(Decimal("9.80")) == 980


def test_negative_scale_is_a_unit_of_thousands() -> None:
    """scale = -3: the legacy counts thousands."""
    c = codec(Decimal, scale=-3)
    assert c.decode("12") == Decimal("12000")
    assert c.encode(Decimal("12000")) == "12"


@pytest.mark.parametrize("value", ["12.5", "1e3", "twelve", True])
def test_non_integer_minor_units_are_refused(value: Any) -> None:
    """scale needs a whole number of minor units."""
    with pytest.raises(TransformError) as caught:
        codec(Decimal, medium="json", scale=2).decode(value)
    assert caught.value.issue_code == "type"


def test_fraction_of_a_cent_is_not_representable_without_rounding() -> None:
    """Encoding 1.005 as cents refuses rather than rounding silently."""
    with pytest.raises(TransformError) as caught:
        codec(Decimal, scale=2).encode(Decimal("1.005"))
    assert caught.value.issue_code == "not-representable"


def test_declared_rounding_rounds_half_even_and_is_lossy() -> None:
    """round = 2 with scale = 2 rounds fractions of a cent (half to even) and is lossy."""
    c = codec(Decimal, scale=2, round=2)
    assert c.encode(Decimal("1.005")) == "100"
    assert c.encode(Decimal("1.015")) == "102"
    assert c.lossy == ("rounds to 2 decimal places",)


def test_rounding_a_plain_decimal() -> None:
    """round = 0 without scale rounds the value itself, both ways."""
    c = codec(Decimal, round=0)
    assert c.decode("2.5") == Decimal("2")
    assert c.encode(Decimal("3.5")) == "4"


def test_constant_field_ignores_the_message_and_checks_on_encode() -> None:
    """const: decode always gives it; encode accepts only it (and writes nothing)."""
    c = build_codec(FieldRule(field="f", key="k", const="EUR"), str, "xml")
    assert c.decode(None) == "EUR"
    assert c.encode("EUR") is OMIT
    with pytest.raises(TransformError) as caught:
        c.encode("DEM")
    assert caught.value.issue_code == "not-representable"


def test_plain_json_decimal_travels_as_a_number() -> None:
    """A plain decimal is a JSON number; one with more than 15 digits is refused."""
    c = codec(Decimal, medium="json")
    assert c.encode(Decimal("12.25")) == 12.25
    assert c.encode(Decimal("12.00")) == 12
    with pytest.raises(TransformError):
        c.encode(Decimal("1234567890.1234567"))


def test_plain_xml_values_use_xsd_lexical_forms() -> None:
    """Plain values are written as XSD lexical forms (booleans, decimals, dates, enums)."""
    assert codec(bool).encode(True) == "true"
    assert codec(Decimal).encode(Decimal("1E+2")) == "100"
    assert codec(dt.date).encode(dt.date(2026, 1, 2)) == "2026-01-02"
    assert codec(Colour).encode(Colour.RED) == "red"


def test_json_null_is_no_value() -> None:
    """A JSON null decodes to None whatever the transform."""
    assert codec(dt.date, medium="json", date="%d.%m.%Y").decode(None) is None
