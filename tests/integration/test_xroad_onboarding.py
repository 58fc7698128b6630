"""The live X-Road example formats agree with what onboarding reads from the department's WSDL.

Scaffolding xrd4j's example-adapter.wsdl (lenient, with the catalog) lists,
for getRandom and helloService, exactly the elements the hub's native formats
decode and encode — so the skeleton an integrator fills in and the adapter
that runs describe the same messages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from translation.native_soap import NativeMessage, NativeSoapFormat
from translation.onboarding import ScaffoldOptions, describe_wsdl
from translation.onboarding.scaffold import MessageShape
from translation.xroad_example import GET_RANDOM, HELLO_SERVICE


def _body_paths(message: MessageShape | None) -> set[str]:
    assert message is not None
    return {leaf.path for part in message.body for leaf in part.leaves if leaf.mappable}


def _native_paths(message: NativeMessage) -> set[str]:
    return {f"/tns:{message.name}/tns:{child}" for child in message.fields}


@pytest.mark.parametrize("native", [GET_RANDOM, HELLO_SERVICE], ids=["getRandom", "helloService"])
def test_native_formats_match_the_scaffolded_operations(
    shared_external: Path, native: NativeSoapFormat
) -> None:
    """Every mapped child of the native format is a leaf of the scaffold, and nothing else is."""
    described = describe_wsdl(
        shared_external / "xroad-example-adapter" / "example-adapter.wsdl",
        ScaffoldOptions(catalog=shared_external / "catalog" / "catalog.xml", lenient=True),
    )
    assert described.namespaces["tns"] == native.namespace
    assert native.xroad_service is not None
    (shape,) = [s for s in described.operations if s.operation.name == native.request.name]
    assert native.xroad_service.service_code == shape.operation.name
    assert _body_paths(shape.input) == _native_paths(native.request)
    assert _body_paths(shape.output) == _native_paths(native.response)
    assert shape.input is not None
    assert {p.root for p in shape.input.headers} >= {"xrd:client", "xrd:service", "xrd:id"}
