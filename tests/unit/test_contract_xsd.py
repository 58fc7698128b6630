"""Contracts render to a compilable, deterministic XSD whose facets mirror the field constraints."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import uuid
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Annotated, ClassVar

import pytest
from lxml import etree
from pydantic import Field

from contracts.base import Contract, ContractId
from contracts.catalogue import SHIPPED
from contracts.social_security import ContributionHistory, InsuredPeriod
from contracts.tax import TaxClearance, TaxClearanceQuery
from contracts.xsd import CONTRACTS_NS, XS_NS, XsdError, element_name, render_schema

XS = {"xs": XS_NS}


def _schema(models: tuple[type[Contract], ...] = SHIPPED) -> etree._Element:
    return etree.fromstring(render_schema(models).encode())


def _field(schema: etree._Element, model: str, name: str) -> etree._Element:
    (element,) = schema.xpath(
        f"xs:complexType[@name='{model}']/xs:sequence/xs:element[@name='{name}']", namespaces=XS
    )
    return element


def _facets(element: etree._Element) -> dict[str, str]:
    return {
        etree.QName(facet).localname: facet.get("value")
        for facet in element.xpath("xs:simpleType/xs:restriction/*", namespaces=XS)
    }


@pytest.mark.parametrize("model", SHIPPED, ids=lambda m: m.__name__)
def test_every_shipped_contract_compiles_alone(model: type[Contract]) -> None:
    """Each shipped contract (with its nested contracts) is a valid XML Schema on its own."""
    etree.XMLSchema(etree.fromstring(render_schema([model]).encode()))


def test_all_shipped_contracts_compile_together() -> None:
    """One schema holds every shipped contract, each type rendered once."""
    schema = _schema()
    etree.XMLSchema(schema)
    assert schema.get("targetNamespace") == CONTRACTS_NS
    assert schema.get("elementFormDefault") == "qualified"
    names = schema.xpath("xs:complexType/@name", namespaces=XS)
    assert sorted(names) == sorted(element_name(model) for model in SHIPPED)
    assert schema.xpath("xs:element/@name", namespaces=XS) == [m.__name__ for m in SHIPPED]


def test_element_name_is_the_class_name() -> None:
    """Contracts are named in XML by their class."""
    assert element_name(ContributionHistory) == "ContributionHistory"


def test_nested_contract_types_are_rendered_once_even_without_their_own_element() -> None:
    """A parent pulls in its nested contracts' types but no global elements for them."""
    schema = etree.fromstring(render_schema([ContributionHistory]).encode())
    assert schema.xpath("xs:element/@name", namespaces=XS) == ["ContributionHistory"]
    assert schema.xpath("xs:complexType/@name", namespaces=XS) == [
        "ContributionHistory",
        "PersonIdentity",
        "InsuredPeriod",
    ]


@pytest.mark.parametrize("model", SHIPPED, ids=lambda m: m.__name__)
def test_child_elements_follow_field_order(model: type[Contract]) -> None:
    """The sequence lists the pydantic fields, by name, in declaration order."""
    schema = _schema()
    names = schema.xpath(
        f"xs:complexType[@name='{model.__name__}']/xs:sequence/xs:element/@name", namespaces=XS
    )
    assert names == list(model.model_fields)


def test_string_facets() -> None:
    """Patterns lose their anchors; lengths become minLength/maxLength."""
    schema = _schema()
    assert _facets(_field(schema, "TaxClearanceQuery", "national_id")) == {
        "pattern": "[A-Z0-9][A-Z0-9-]{4,18}[A-Z0-9]"
    }
    assert _facets(_field(schema, "InsuredPeriod", "employer_id")) == {
        "minLength": "1",
        "maxLength": "40",
    }


def test_number_facets() -> None:
    """ge/le bound integers; max_digits/decimal_places/ge shape decimals."""
    schema = _schema()
    tax_year = _field(schema, "TaxClearanceQuery", "tax_year")
    assert tax_year.xpath("string(xs:simpleType/xs:restriction/@base)", namespaces=XS) == (
        "xs:integer"
    )
    assert _facets(tax_year) == {"minInclusive": "1900", "maxInclusive": "2100"}
    amount = _field(schema, "TaxClearance", "outstanding_amount")
    assert _facets(amount) == {"totalDigits": "14", "fractionDigits": "2", "minInclusive": "0"}


def test_types_occurrences_and_enums() -> None:
    """Dates, nested types, optional and repeated fields, str enums."""
    schema = _schema()
    assert _field(schema, "InsuredPeriod", "start").get("type") == "xs:date"
    end = _field(schema, "InsuredPeriod", "end")
    assert (end.get("type"), end.get("minOccurs"), end.get("maxOccurs")) == ("xs:date", "0", None)
    periods = _field(schema, "ContributionHistory", "periods")
    assert periods.get("type") == "tns:InsuredPeriod"
    assert (periods.get("minOccurs"), periods.get("maxOccurs")) == ("0", "unbounded")
    assert _field(schema, "ContributionHistory", "person").get("minOccurs") is None
    assert _field(schema, "TaxClearance", "status").get("type") == "tns:ClearanceStatus"
    values = schema.xpath(
        "xs:simpleType[@name='ClearanceStatus']/xs:restriction/xs:enumeration/@value",
        namespaces=XS,
    )
    assert values == ["cleared", "outstanding", "under-review"]


class Reading(Contract):
    """A test contract using the scalar types the shipped ones do not."""

    CONTRACT_ID: ClassVar[ContractId] = ContractId("test.reading", 1, 0)

    taken_at: dt.datetime
    verified: bool
    count: Annotated[int, Field(gt=0, lt=10)] | None = None
    tags: Annotated[list[Annotated[str, Field(max_length=5)]], Field(min_length=1, max_length=3)]


def test_other_scalars_and_list_bounds() -> None:
    """datetime, bool, exclusive bounds, item constraints and list length bounds render."""
    schema = etree.fromstring(render_schema([Reading]).encode())
    etree.XMLSchema(schema)
    assert _field(schema, "Reading", "taken_at").get("type") == "xs:dateTime"
    assert _field(schema, "Reading", "verified").get("type") == "xs:boolean"
    count = _field(schema, "Reading", "count")
    assert count.get("minOccurs") == "0"
    assert _facets(count) == {"minExclusive": "0", "maxExclusive": "10"}
    tags = _field(schema, "Reading", "tags")
    assert (tags.get("minOccurs"), tags.get("maxOccurs")) == ("1", "3")
    assert _facets(tags) == {"maxLength": "5"}


def test_output_is_deterministic_across_processes() -> None:
    """The same contracts give the same bytes, whatever the hash seed."""
    code = "from contracts.catalogue import SHIPPED; from contracts.xsd import render_schema; "
    code += "import sys; sys.stdout.write(render_schema(SHIPPED))"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.decode()
        for seed in ("1", "2")
    }
    assert outputs == {render_schema(SHIPPED)}


def test_model_order_is_kept() -> None:
    """Global elements follow the order the models are given in."""
    schema = etree.fromstring(render_schema([TaxClearance, TaxClearanceQuery]).encode())
    assert schema.xpath("xs:element/@name", namespaces=XS) == ["TaxClearance", "TaxClearanceQuery"]


def test_custom_target_namespace() -> None:
    """The target namespace can be chosen and type references follow it."""
    schema = etree.fromstring(render_schema([InsuredPeriod], target_namespace="urn:x").encode())
    assert schema.get("targetNamespace") == "urn:x"
    assert schema.nsmap["tns"] == "urn:x"
    etree.XMLSchema(schema)


class Level(IntEnum):
    LOW = 1


class Colour(StrEnum):
    RED = "red"


def _contract(name: str, annotation: object, default: object = ...) -> type[Contract]:
    """A one-field contract ``name.value: annotation`` built on the fly."""
    namespace: dict[str, object] = {
        "__annotations__": {"CONTRACT_ID": ClassVar[ContractId], "value": annotation},
        "CONTRACT_ID": ContractId(f"test.{name.lower()}", 1, 0),
    }
    if default is not ...:
        namespace["value"] = default
    return type(name, (Contract,), namespace)


@pytest.mark.parametrize(
    ("annotation", "default", "complaint"),
    [
        (uuid.UUID, ..., "UUID is not supported"),
        (float, ..., "float is not supported"),
        (int | str, ..., "unions other than"),
        (list[int] | None, None, "ambiguous"),
        (int | None, ..., "must default to None"),
        (Level, ..., "only str Enums"),
        (dict[str, int], ..., "not supported"),
        (Annotated[int, Field(multiple_of=5)], ..., "MultipleOf"),
        (Annotated[int, Field(strict=True)], ..., "Strict(strict=True) is not supported"),
        (Annotated[str, Field(ge="a")], ..., "'ge' is not supported on str"),
        (Annotated[str, Field(pattern=r"[A-Z]+")], ..., "anchored"),
        (Annotated[str, Field(pattern=r"^a|b$")], ..., "alternation"),
        (Annotated[str, Field(pattern=r"^(?i)abc$")], ..., "'(?'"),
        (Annotated[Decimal, Field(max_length=3)], ..., "'max_length' is not supported"),
        (Annotated[Colour, Field(min_length=2)], ..., "'min_length' is not supported"),
    ],
    ids=lambda value: str(value)[:40],
)
def test_unsupported_types_fail_loudly(annotation: object, default: object, complaint: str) -> None:
    """A field the XSD cannot express names its model and field instead of rendering loosely."""
    model = _contract("Odd", annotation, default)
    with pytest.raises(XsdError, match=r"Odd\.value") as caught:
        render_schema([model])
    assert complaint in str(caught.value)


def test_clashing_names_fail_loudly() -> None:
    """Two models with one class name cannot share a schema."""
    first = _contract("Twin", str)
    second = _contract("Twin", int)
    with pytest.raises(XsdError, match="Twin"):
        render_schema([first, second])
