"""schemathesis against the running hub's OpenAPI document (real uvicorn server on loopback).

The document itself is valid OpenAPI (openapi-spec-validator), and every answer
conforms to it: a documented status code, a documented media type, and a body
that matches the documented schema.

Without credentials no operation answers 5xx, and no ``/services/…`` or
``/records/…`` operation answers 2xx. With a valid department token no
operation answers 500 (except SOAP, whose Faults are 500 by WS-I Basic Profile
R1126: there, only a soap:Client fault); a 502/504 is allowed only as the documented problem
of a provider that failed or did not answer (the emulated bureaus refuse
unknown persons), never as an unhandled error. Operator operations (``/api/…``,
``/subjects/…``) are fuzzed as a viewer (console cookie), an operator (cookie and CSRF
header) and an auditor (operator token): never a 5xx, and a role answers 403 wherever
it lacks the permission. Examples are bounded per operation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from hub.domain.credential import CredentialKind
from hub.settings import HubSettings
from tests.integration.console_fixtures import csrf_token, enrol, log_in
from tests.integration.hub_fixtures import running_region

EXAMPLES = 8  # per operation and mode: keeps the whole test well under a minute
GUARDED = ("/services/", "/records/", "/api/", "/subjects/")
OPERATOR_PATHS = ("/api/", "/subjects/")
AUDITORS_ONLY = ("/subjects/", "/api/operators/")
CONFORMANCE = [status_code_conformance, content_type_conformance, response_schema_conformance]
SOAP_PATHS = ("/soap", "/soap/documents")  # SOAP 1.1 endpoints: a Fault is a 500 (WS-I R1126)


def _fuzz(base_url: str, headers: dict[str, str], check: Any,
          only: tuple[str, ...] = ()) -> list[str]:
    """Run every operation's strategy (those under ``only``, if given); the names of the
    operations exercised."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    exercised = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if only and not operation.path.startswith(only):
            continue
        _fuzz_one(operation, base_url, headers, check)
        exercised.append(f"{operation.method.upper()} {operation.path}")
    return exercised


def _fuzz_one(operation: Any, base_url: str, headers: dict[str, str], check: Any) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        if case.headers:  # the generated headers never carry credentials of their own
            case.headers = {k: v for k, v in case.headers.items()
                            if k.lower() not in ("authorization", "cookie", "x-csrf-token")}
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        check(operation.path, response)
        # The answer is what the document says: a listed status, its media type, its schema.
        case.validate_response(response, checks=CONFORMANCE)

    run()


async def test_the_served_document_is_valid_openapi(hub_settings: HubSettings) -> None:
    """openapi-spec-validator accepts /openapi.json: every $ref resolves (contracts' nested
    models used to point at #/$defs/..., which the document does not have)."""
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        document = (await http.get(f"{region.hub.http_url}/openapi.json")).json()
    validate(document)
    assert "#/$defs/" not in json.dumps(document)
    assert {"PersonIdentity", "InsuredPeriod"} <= set(document["components"]["schemas"])


async def test_no_credentials_no_success_and_no_server_error(hub_settings: HubSettings) -> None:
    """Anonymous fuzzing: never a 5xx (but a SOAP 1.1 soap:Client Fault, which WS-I's R1126
    answers with 500: a refusal of the caller's input, never the hub failing), never a 2xx on a
    service or record operation."""
    def check(path: str, response: Any) -> None:
        if path in SOAP_PATHS and response.status_code == 500:
            assert "<faultcode>soap:Client</faultcode>" in response.text, response.text[:300]
            return
        assert response.status_code < 500, (path, response.status_code, response.text[:300])
        if path.startswith(GUARDED):
            assert not 200 <= response.status_code < 300, (path, response.text[:300])
            assert response.status_code == 401, (path, response.status_code)

    async with running_region(hub_settings) as region:
        exercised = await asyncio.to_thread(_fuzz, region.hub.http_url, {}, check)
    assert any(op.startswith("POST /services/") for op in exercised)
    assert any(op.startswith("POST /records/") for op in exercised)
    assert any(op.startswith("POST /api/") for op in exercised)
    assert any(op.startswith("GET /subjects/") for op in exercised)


async def test_with_a_department_token_no_unhandled_server_error(
    hub_settings: HubSettings,
) -> None:
    """With a valid token: no 500; 502/504 only as a provider's documented problem."""
    def check(path: str, response: Any) -> None:
        if path in SOAP_PATHS and response.status_code == 500:  # WS-I R1126: a Fault is a 500
            assert "<faultcode>soap:Client</faultcode>" in response.text, response.text[:300]
            return
        assert response.status_code != 500, (path, response.text[:300])
        if response.status_code >= 500:
            assert response.status_code in (502, 504), (path, response.status_code)
            problem = response.json()
            assert problem["outcome"] in ("failed", "dead-lettered", "timeout"), problem

    settings_ = hub_settings.model_copy(update={"reply_timeout_s": 10})
    async with running_region(settings_) as region:
        assert region.hub.credentials is not None
        token = region.hub.credentials.issue(
            "north/tax", CredentialKind.DEPARTMENT, dt.timedelta(hours=1)).token
        await asyncio.to_thread(
            _fuzz, region.hub.http_url, {"Authorization": f"Bearer {token}"}, check)


async def test_operator_operations_with_each_role_no_server_error(
    hub_settings: HubSettings,
) -> None:
    """Viewer by cookie, operator by cookie and CSRF header, auditor by operator token: no
    5xx on any generated input; the viewer may act nowhere, only the auditor reads reports."""
    async with running_region(hub_settings) as region, httpx.AsyncClient(timeout=30) as http:
        hub, url = region.hub, region.hub.http_url
        assert hub.credentials is not None
        await log_in(http, url, await asyncio.to_thread(enrol, hub, "vic", "viewer"))
        viewer = {"Cookie": f"hub_session={http.cookies['hub_session']}"}
        http.cookies.clear()
        await log_in(http, url, await asyncio.to_thread(enrol, hub, "ola", "operator"))
        operator = {"Cookie": f"hub_session={http.cookies['hub_session']}",
                    "X-CSRF-Token": await csrf_token(http, url)}
        await asyncio.to_thread(enrol, hub, "aud", "auditor")
        auditor = {"Authorization": "Bearer " + hub.credentials.issue(
            "operator:aud", CredentialKind.OPERATOR, dt.timedelta(hours=1)).token}
        statuses: dict[str, set[tuple[str, int]]] = {}

        def checker(role: str) -> Any:
            def check(path: str, response: Any) -> None:
                assert response.status_code < 500, (role, path, response.text[:300])
                assert response.status_code != 401, (role, path, response.text[:300])
                statuses.setdefault(role, set()).add((path, response.status_code))
                method = response.request.method
                if role == "viewer" and (method == "POST" or path.startswith(AUDITORS_ONLY)):
                    assert response.status_code in (403, 422), (role, path, response.text)
                if role == "operator" and path.startswith(AUDITORS_ONLY):
                    assert response.status_code in (403, 422), (role, path, response.text)
            return check

        for role, headers in (("viewer", viewer), ("operator", operator), ("auditor", auditor)):
            await asyncio.to_thread(_fuzz, url, headers, checker(role), OPERATOR_PATHS)
    assert ("/api/audit/verify", 200) in statuses["operator"]
    assert ("/api/exchanges", 200) in statuses["viewer"]
    reports = {s for p, s in statuses["auditor"] if p.startswith("/subjects/")}
    assert reports and reports <= {200, 400, 404, 422}, reports  # 400: not a national id
