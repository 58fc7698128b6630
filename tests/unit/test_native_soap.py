"""A native SOAP format decodes and encodes a service's own elements, naming native paths."""

from __future__ import annotations

import pytest
from lxml import etree

from contracts.errors import ContractError
from contracts.xroad_example import Hello, HelloQuery, RandomNumber, RandomNumberQuery
from translation.errors import SchemaViolation
from translation.xroad_example import GET_RANDOM, HELLO_SERVICE, LEGACY_PRODUCER_NS, PRODUCER_NS


def _xml(text: str) -> etree._Element:
    return etree.fromstring(text.encode())


def test_native_request_decodes_into_its_contract() -> None:
    """``prod:helloService/prod:name`` becomes HelloQuery(name)."""
    element = _xml(f'<p:helloService xmlns:p="{PRODUCER_NS}"><p:name>Ada</p:name></p:helloService>')
    assert HELLO_SERVICE.decode(element, HELLO_SERVICE.request, HelloQuery) == HelloQuery(
        name="Ada"
    )


def test_legacy_namespace_and_empty_leftover_child_are_accepted() -> None:
    """getRandom in the older .fi namespace with an empty ``request`` child is accepted."""
    element = _xml(f'<p:getRandom xmlns:p="{LEGACY_PRODUCER_NS}"><p:request/></p:getRandom>')
    assert GET_RANDOM.decode(element, GET_RANDOM.request, RandomNumberQuery) == RandomNumberQuery()
    assert f"{{{LEGACY_PRODUCER_NS}}}getRandom" in GET_RANDOM.request_elements


@pytest.mark.parametrize(
    ("text", "path"),
    [
        (
            f'<p:helloService xmlns:p="{PRODUCER_NS}"><p:nom>x</p:nom></p:helloService>',
            "/helloService/nom",
        ),
        (
            f'<p:helloService xmlns:p="{PRODUCER_NS}"><name>x</name></p:helloService>',
            "/helloService/name",
        ),
        (
            f'<p:helloService xmlns:p="{PRODUCER_NS}"><p:name><b/></p:name></p:helloService>',
            "/helloService/name",
        ),
        (
            f'<p:getRandom xmlns:p="{PRODUCER_NS}"><p:request>1</p:request></p:getRandom>',
            "/getRandom/request",
        ),
        ('<p:helloService xmlns:p="urn:other"/>', "/helloService"),
    ],
)
def test_unexpected_structure_is_a_schema_violation_at_its_path(text: str, path: str) -> None:
    """Unknown, unqualified, nested or non-empty tolerated children, other namespaces: refused."""
    format_ = GET_RANDOM if "getRandom" in text else HELLO_SERVICE
    model = RandomNumberQuery if format_ is GET_RANDOM else HelloQuery
    with pytest.raises(SchemaViolation) as caught:
        format_.decode(_xml(text), format_.request, model)
    assert caught.value.issues[0].path == path
    assert caught.value.message.startswith(str(model.contract_id()))


def test_invalid_values_are_contract_errors_with_native_paths() -> None:
    """A provider's non-numeric ``data`` is a contract error at ``/getRandomResponse/data``."""
    element = _xml(
        f'<p:getRandomResponse xmlns:p="{PRODUCER_NS}"><p:data>many</p:data></p:getRandomResponse>'
    )
    with pytest.raises(ContractError) as caught:
        GET_RANDOM.decode(element, GET_RANDOM.response, RandomNumber)
    (issue,) = caught.value.issues
    assert (issue.path, issue.field) == ("/getRandomResponse/data", "number")


def test_encode_writes_the_native_element_in_the_requested_namespace() -> None:
    """Encoding answers in the namespace the client used, and round-trips through decode."""
    element = HELLO_SERVICE.encode(Hello(message="Hi"), HELLO_SERVICE.response, LEGACY_PRODUCER_NS)
    assert element.tag == f"{{{LEGACY_PRODUCER_NS}}}helloServiceResponse"
    assert HELLO_SERVICE.decode(element, HELLO_SERVICE.response, Hello) == Hello(message="Hi")
    number = GET_RANDOM.encode(RandomNumber(number=7), GET_RANDOM.response)
    assert number.findtext(f"{{{PRODUCER_NS}}}data") == "7"
