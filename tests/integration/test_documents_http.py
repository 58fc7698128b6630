"""The JSON edge of documents against a running region hub (real NATS, store, HTTP).

Multipart upload, resumable upload (with a wrong offset and a cut-off PUT resumed), signed
links for the recipient only, and refusals answered as recorded problem details.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import pytest

from hub.domain.credential import CredentialKind
from hub.domain.document import Document, DocumentRefusal
from hub.entrypoints.serve import Hub
from hub.settings import HubSettings
from tests.integration.console_fixtures import enrol, log_in
from tests.integration.documents_fixtures import ANDERSSON, pdf
from tests.integration.hub_fixtures import PURPOSE, department_token, running_region
from tests.waiting import wait_until_async

SERVICE = "north/social-security/contribution-history"
TAX, OWNER = "north/tax", "north/social-security"


@pytest.fixture
async def hub(hub_settings: HubSettings) -> AsyncIterator[Hub]:
    async with running_region(hub_settings) as region:
        yield region.hub


def _bearer(hub: Hub, department: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {department_token(hub, department)}"}


def _topic(hub: Hub, topic: str) -> list[object]:
    ledger = hub.ledger
    return [ledger.mapper.to_domain_event(n) for n in ledger.notifications(1, 10_000, (topic,))]


async def _upload(client: httpx.AsyncClient, hub: Hub, data: bytes,
                  declared: str = "application/pdf") -> httpx.Response:
    return await client.post(
        "/documents", headers=_bearer(hub, TAX),
        data={"service": SERVICE, "purpose": PURPOSE, "subject": ANDERSSON},
        files={"file": ("certificate.pdf", data, declared)})


async def test_multipart_upload_link_and_download_for_the_recipient_only(hub: Hub) -> None:
    """Supplied once by tax, disclosed to social security by a link only it can use."""
    data = pdf(pad=700_000)
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        supplied = await _upload(client, hub, data)
        assert supplied.status_code == 201, supplied.text
        body = supplied.json()
        assert (body["media_type"], body["size"], body["sha256"]) == (
            "application/pdf", len(data), hashlib.sha256(data).hexdigest())
        linked = await client.post(f"/documents/{body['document_id']}/links",
                                   headers=_bearer(hub, TAX),
                                   json={"recipient": OWNER, "purpose": PURPOSE,
                                         "step": "assess-claim"})
        assert linked.status_code == 201, linked.text
        url = linked.json()["url"]
        fetched = await client.get(url, headers=_bearer(hub, OWNER))
        assert fetched.status_code == 200 and fetched.content == data
        assert fetched.headers["content-type"] == "application/pdf"
        for token, who, reason in ((url, TAX, "link-recipient"),
                                   (url[:-3] + "AAA", OWNER, "link-invalid")):
            refused = await client.get(token, headers=_bearer(hub, who))
            assert refused.status_code == 403
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["issues"][0]["code"] == reason
            assert refused.json()["exchange_id"]  # recorded as a rejected exchange
    (disclosed,) = _topic(hub, Document.Disclosed.TOPIC)
    assert (disclosed.recipient, disclosed.step) == (OWNER, "assess-claim")  # type: ignore[attr-defined]


async def test_a_refused_upload_is_problem_details_and_recorded(hub: Hub) -> None:
    """A zip declared as PDF: 415 naming the sniffed type; DocumentRefusal.Refused recorded."""
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        refused = await _upload(client, hub, b"PK\x03\x04" + os.urandom(5000))
        unauthenticated = await client.post("/documents", files={"file": ("x", b"x")})
    assert refused.status_code == 415
    problem = refused.json()
    assert problem["code"] == "document-media-type"
    assert "application/zip" in problem["detail"] and problem["issues"][0]["field"] == (
        "media_type")
    assert unauthenticated.status_code == 401
    (recorded,) = _topic(hub, DocumentRefusal.Refused.TOPIC)
    assert recorded.code == "document-media-type"  # type: ignore[attr-defined]
    assert problem["refusal_id"] == str(recorded.originator_id)  # type: ignore[attr-defined]


def _cut_off_put(url: str, path: str, token: str, offset: int, declared: int,
                 sent: bytes) -> None:
    """A PUT that promises ``declared`` bytes, sends ``sent`` and then the line drops."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as raw:
        raw.sendall((f"PUT {path} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                     f"Authorization: Bearer {token}\r\nUpload-Offset: {offset}\r\n"
                     f"Content-Length: {declared}\r\n\r\n").encode() + sent)


async def test_resumable_upload_checks_offsets_and_resumes_after_a_cut(hub: Hub) -> None:
    """Offsets must follow on; a PUT cut off keeps what arrived and the rest resumes."""
    data = pdf(pad=600_000)
    half = len(data) // 2
    headers = _bearer(hub, TAX)
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        started = await client.post("/documents/uploads", headers=headers, json={
            "service": SERVICE, "purpose": PURPOSE, "subject": ANDERSSON, "size": len(data)})
        assert started.status_code == 201, started.text
        location = started.json()["location"]
        first = await client.put(location, headers={**headers, "Upload-Offset": "0"},
                                 content=data[:1000])
        assert first.json()["offset"] == 1000
        wrong = await client.put(location, headers={**headers, "Upload-Offset": "0"},
                                 content=data[:1000])
        assert wrong.status_code == 409 and wrong.headers["Upload-Offset"] == "1000"
        await asyncio.to_thread(_cut_off_put, hub.http_url, location,
                                headers["Authorization"].split()[1], 1000, len(data) - 1000,
                                data[1000:half])

        async def offset() -> int:
            reply = await client.get(location, headers=headers)
            return int(reply.json()["offset"])

        async def counted() -> bool:
            return await offset() > 1000

        await wait_until_async(counted, timeout_s=10, interval_s=0.05,
                               message="the cut-off PUT's bytes counted")
        reached = await offset()
        assert 1000 < reached <= half
        done = await client.put(location, headers={**headers, "Upload-Offset": str(reached)},
                                content=data[reached:])
        assert done.status_code == 201, done.text
        document_id = done.json()["document_id"]
        assert done.json()["sha256"] == hashlib.sha256(data).hexdigest()
        link = await client.post(f"/documents/{document_id}/links", headers=headers,
                                 json={"purpose": PURPOSE})
        fetched = await client.get(link.json()["url"], headers=headers)
    assert fetched.content == data


async def test_a_multipart_upload_cut_off_midway_stores_nothing_and_is_recorded(
    hub: Hub,
) -> None:
    """The connection drops inside the file part: refused as malformed, recorded, no
    object left in the region's bucket."""
    boundary = "cut-off-boundary"
    head = "".join(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
                   for k, v in (("service", SERVICE), ("purpose", PURPOSE),
                                ("subject", ANDERSSON)))
    head += (f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="c.pdf"'
             '\r\nContent-Type: application/pdf\r\n\r\n')
    sent = head.encode() + pdf(pad=400_000)[:300_000]
    parts = urlsplit(hub.http_url)
    token = department_token(hub, TAX)

    def cut_off() -> None:
        with socket.create_connection((parts.hostname, parts.port), timeout=5) as raw:
            raw.sendall((f"POST /documents HTTP/1.1\r\nHost: {parts.netloc}\r\n"
                         f"Authorization: Bearer {token}\r\n"
                         f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                         f"Content-Length: {len(sent) + 500_000}\r\n\r\n").encode() + sent)

    await asyncio.to_thread(cut_off)

    def refusals() -> list[object]:
        return _topic(hub, DocumentRefusal.Refused.TOPIC)

    found = await wait_until_async(refusals, timeout_s=10, interval_s=0.05, in_thread=True,
                                   message="the cut-off upload's refusal recorded")
    assert found[0].code == "multipart-malformed"  # type: ignore[attr-defined]
    assert found[0].received > 0  # type: ignore[attr-defined]  # refused mid-file
    assert not _topic(hub, Document.Supplied.TOPIC)
    status = await hub.documents.store.objects.status()
    assert status.stream_info.state.messages == 0


async def test_the_console_lists_documents_and_shows_a_documents_history(hub: Hub) -> None:
    """A viewer sees the documents and one document's events (supplied, disclosed), never
    its bytes; an unknown id is a 404 page."""
    viewer = enrol(hub, "vera", "viewer")
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        supplied = (await _upload(client, hub, pdf())).json()
        await client.post(f"/documents/{supplied['document_id']}/links",
                          headers=_bearer(hub, TAX),
                          json={"recipient": OWNER, "purpose": PURPOSE, "step": "assess"})
        assert (await log_in(client, hub.http_url, viewer)).status_code in (200, 303)
        listing = await client.get("/console/documents")
        page = await client.get(f"/console/documents/{supplied['document_id']}")
        missing = await client.get("/console/documents/not-a-document")
    assert listing.status_code == 200 and supplied["document_id"][:8] in listing.text
    assert 'href="/console/documents"' in listing.text  # on the console's navigation
    assert page.status_code == 200
    assert "Supplied" in page.text and "Disclosed" in page.text and "assess" in page.text
    assert supplied["sha256"] in page.text and "%PDF" not in page.text
    assert missing.status_code == 404 and "no document not-a-document" in missing.text


async def test_an_auditor_reads_the_bytes_while_the_hub_runs_and_the_read_is_recorded(
    hub: Hub,
) -> None:
    """GET /documents/{id}/content: an auditor's operator token gets the bytes, a viewer's
    and a department's do not; the read is a disclosure and an operator action."""
    enrol(hub, "aud", "auditor")
    enrol(hub, "vic", "viewer")

    def operator(name: str) -> dict[str, str]:
        token = hub.credentials.issue(f"operator:{name}", CredentialKind.OPERATOR,
                                      dt.timedelta(hours=1)).token
        return {"Authorization": f"Bearer {token}"}

    data = pdf(pad=300_000)
    async with httpx.AsyncClient(base_url=hub.http_url, timeout=30) as client:
        document_id = (await _upload(client, hub, data)).json()["document_id"]
        url = f"/documents/{document_id}/content"
        read = await client.get(url, headers=operator("aud"))
        as_viewer = await client.get(url, headers=operator("vic"))
        as_department = await client.get(url, headers=_bearer(hub, TAX))
        unknown = await client.get("/documents/not-one/content", headers=operator("aud"))
    assert read.status_code == 200 and read.content == data
    assert (as_viewer.status_code, as_department.status_code, unknown.status_code) == (
        403, 403, 404)
    (disclosed,) = _topic(hub, Document.Disclosed.TOPIC)
    assert (disclosed.recipient, disclosed.basis) == (  # type: ignore[attr-defined]
        "operator:aud", "auditor-role")
    actions = hub.console.directory.actions()
    assert any(a.action == "document.read" and a.target == document_id for a in actions)
