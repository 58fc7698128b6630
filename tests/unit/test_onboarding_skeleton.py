"""Skeletons are mapping files: unfilled they name their placeholders, filled they compile.

The social-security bureau's own WSDL (simulations/social_security_bureau) is
scaffolded and filled the way the shipped mapping was written; it must map
exactly as that mapping does.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from lxml import etree

from contracts.social_security import ContributionHistoryQuery
from simulations.departments import SOCIAL_SECURITY_MAPPING
from tests.skeleton_lines import leaf
from tests.unit.test_mapping_social_security import ANSWER
from translation.mapping import compile_mapping, load_mapping
from translation.onboarding import describe_wsdl, render_skeleton, write_skeletons

BUREAU_WSDL = SOCIAL_SECURITY_MAPPING.parent.parent / "social_security_bureau" / "insurance.wsdl"
SKELETON = "InsuranceRecordService.InsuranceRecordPort.GetInsuranceRecord.toml"
DATE = 'date = "%d.%m.%Y"'
# (skeleton line, filled line) as an integrator writes them for the contribution history.
FILLS = (
    ('service = "<department/service>"', 'service = "social-security/contribution-history"'),
    ('request = "<request contract name@MAJOR.MINOR>"',
     'request = "social-security.contribution-history-query@1.0"'),
    ('response = "<response contract name@MAJOR.MINOR>"',
     'response = "social-security.contribution-history@1.0"'),
    ('# contract_field = "tns:PersNo"', 'national_id = "tns:PersNo"'),
    ('# contract_field = "tns:FromDt"', f'period_start = {{ path = "tns:FromDt", {DATE} }}'),
    ('# contract_field = "tns:ToDt"', f'period_end = {{ path = "tns:ToDt", {DATE} }}'),
    ('# contract_field = "tns:Holder/tns:PersNo"',
     '"person.national_id" = "tns:Holder/tns:PersNo"'),
    ('# contract_field = "tns:Holder/tns:Surname"',
     '"person.family_name" = "tns:Holder/tns:Surname"'),
    ('# contract_field = "tns:Holder/tns:Forenames"',
     '"person.given_names" = "tns:Holder/tns:Forenames"'),
    ('# contract_field = "tns:Holder/tns:BirthDt"',
     f'"person.date_of_birth" = {{ path = "tns:Holder/tns:BirthDt", {DATE} }}'),
    ('# contract_field = "tns:ExtractDt"', f'as_of = {{ path = "tns:ExtractDt", {DATE} }}'),
    ('field = "<contract list field>"', 'field = "periods"'),
    ('# contract_field = "tns:EmplNo"', 'employer_id = "tns:EmplNo"'),
    ('# contract_field = "tns:EmplName"', 'employer_name = "tns:EmplName"'),
    ('# contract_field = "tns:BeginDt"', f'start = {{ path = "tns:BeginDt", {DATE} }}'),
    ('# contract_field = "tns:EndDt"',
     f'end = {{ path = "tns:EndDt", {DATE}, null = "00.00.0000" }}'),
    ('# contract_field = "tns:ContribBaseCents"',
     'contribution_base = { path = "tns:ContribBaseCents", scale = 2 }'),
    ('# contract_field = "tns:Curr"', 'currency = "tns:Curr"'),
)
QUERY = ContributionHistoryQuery.model_validate(
    {"national_id": "19800101-1234", "period_start": "2000-01-01", "period_end": "2026-12-31"}
)


def _scaffold(out: Path) -> Path:
    (path,) = write_skeletons(describe_wsdl(BUREAU_WSDL), out)
    assert path.name == SKELETON
    return path


def _content(element: etree._Element) -> list[tuple[str, str | None]]:
    """Tags and texts in document order: prefixes aside, the same message."""
    return [(e.tag, e.text) for e in element.iter()]


def test_an_unfilled_skeleton_is_a_mapping_file_naming_its_placeholders(tmp_path: Path) -> None:
    """`adapter check` of a fresh skeleton finds only the placeholders left to fill in."""
    _, report = compile_mapping(_scaffold(tmp_path))
    assert [(f.code, f.key) for f in report.findings] == [
        ("placeholder", "mapping.service"),
        ("placeholder", "mapping.request"),
        ("placeholder", "mapping.response"),
        ("placeholder", "response.list[0].field"),
    ]
    assert "is a placeholder left by `adapter scaffold`" in report.findings[0].message


def test_a_filled_skeleton_maps_like_the_shipped_mapping(tmp_path: Path) -> None:
    """Filled in, the bureau's skeleton compiles cleanly and maps as the shipped mapping does."""
    text = _scaffold(tmp_path).read_text()
    for placeholder, value in FILLS:
        assert text.count(placeholder) == 1, placeholder
        text = text.replace(placeholder, value)
    filled = tmp_path / "filled.toml"
    filled.write_text(text)
    mine, shipped = load_mapping(filled), load_mapping(SOCIAL_SECURITY_MAPPING)
    assert mine.report.findings == []
    answer = etree.fromstring(ANSWER)
    assert mine.response.decode(answer) == shipped.response.decode(answer)
    assert _content(mine.request.encode(QUERY)) == _content(shipped.request.encode(QUERY))


def test_repeated_elements_become_nested_list_blocks(tmp_path: Path) -> None:
    """Each repeated element opens a list block; paths inside are relative to its item."""
    ns = "urn:example:catalogue"
    wsdl = tmp_path / "catalogue.wsdl"
    wsdl.write_text(BUREAU_WSDL.read_text().replace(
        "</xs:schema>",
        f"""<xs:element name="Catalogue" xmlns:c="{ns}"><xs:complexType><xs:sequence>
          <xs:element name="Items"><xs:complexType><xs:sequence>
            <xs:element name="Item" maxOccurs="unbounded"><xs:complexType><xs:sequence>
              <xs:element name="Name" type="xs:string"/>
              <xs:element name="Tag" type="xs:string" minOccurs="0" maxOccurs="5"/>
            </xs:sequence><xs:attribute name="code" type="xs:int"/></xs:complexType>
            </xs:element></xs:sequence></xs:complexType></xs:element>
        </xs:sequence></xs:complexType></xs:element></xs:schema>""", 1,
    ).replace('element="tns:GetInsuranceRecordResponse"', 'element="tns:Catalogue"'))
    described = describe_wsdl(wsdl)
    text = render_skeleton(described, described.operations[0], tmp_path)
    (items,) = tomllib.loads(text)["response"]["list"]
    assert items["each"] == "tns:Items/tns:Item"
    assert items["list"][0]["each"] == "tns:Tag"
    assert leaf(text, "@code") == "xs:int [0..1]"
    assert leaf(text, "tns:Name") == "xs:string [1..1]"
    assert '[response.list.list.fields]\n# contract_field = "."' in text
    assert "# (no leaf outside the repeated elements below)" in text
