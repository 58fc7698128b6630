"""The periodic audit checkpoints are signed in a child process of the hub
(hub.bootstrap.audit_process): off the serving process, covering what the hub records,
taken over by the hub when the child dies, and ended by the hub's own last checkpoint."""

from __future__ import annotations

import multiprocessing
import os
import signal
import uuid
from multiprocessing.process import BaseProcess

import httpx

from hub.bootstrap.privacy import build_ledger
from hub.entrypoints.serve import Hub
from hub.service_layer.audit import Auditor, Checkpoint
from hub.settings import HubSettings
from tests.integration.fault_helpers import post_query
from tests.integration.hub_fixtures import department_token, running_region
from tests.waiting import wait_until_async

INTERVAL_S = 0.2


def _children(region: str) -> list[BaseProcess]:
    return [p for p in multiprocessing.active_children() if p.name == f"audit-{region}"]


def _settings(hub_settings: HubSettings, **update: object) -> HubSettings:
    return hub_settings.model_copy(update={"audit_checkpoint_interval_s": INTERVAL_S, **update})


class SignedHere:
    """Counts the checkpoints the hub's own auditor is asked for (its process signs them)."""

    def __init__(self, auditor: Auditor) -> None:
        self.calls = 0
        original = auditor.checkpoint_if_new

        def counted() -> Checkpoint | None:
            self.calls += 1
            return original()

        auditor.checkpoint_if_new = counted  # type: ignore[method-assign]


def _latest_size(auditor: Auditor) -> int:
    latest = auditor.checkpoints.latest(auditor.verifier())
    return latest.size if latest is not None else 0


async def _query_and_wait_for_a_checkpoint_over_it(hub: Hub, http: httpx.AsyncClient) -> None:
    token = department_token(hub, f"{hub.settings.region}/tax")
    response = await post_query(http, hub.http_url, hub.settings.region, token,
                                str(uuid.uuid4()))
    assert response.status_code == 200, response.text
    head = hub.ledger.recorder.max_notification_id() or 0
    await wait_until_async(lambda: _latest_size(hub.auditor) >= head, timeout_s=15,
                           interval_s=0.05, message=f"a checkpoint over {head} events")


async def test_checkpoints_are_signed_in_a_child_and_by_the_hub_once_it_dies(
    hub_settings: HubSettings,
) -> None:
    settings = _settings(hub_settings)
    async with running_region(settings) as region, httpx.AsyncClient(timeout=30) as http:
        hub = region.hub
        here = SignedHere(hub.auditor)
        await wait_until_async(lambda: len(_children(settings.region)) == 1, timeout_s=10,
                               message="the audit process started")
        (child,) = _children(settings.region)

        await _query_and_wait_for_a_checkpoint_over_it(hub, http)
        assert here.calls == 0  # signed by the child, not here

        os.kill(child.pid, signal.SIGKILL)
        await wait_until_async(lambda: not child.is_alive(), timeout_s=10,
                               message="the audit process gone")
        await _query_and_wait_for_a_checkpoint_over_it(hub, http)
        assert here.calls > 0  # the hub signs them now
        assert hub.supervisor.dead == []
        health = await http.get(f"{hub.http_url}/health")
        assert health.status_code == 200, health.text
        assert _children(settings.region) == []  # not started again behind its back


async def test_the_child_stops_with_the_hub_and_the_last_checkpoint_covers_everything(
    hub_settings: HubSettings,
) -> None:
    settings = _settings(hub_settings, audit_checkpoint_interval_s=3600.0)
    async with running_region(settings) as region, httpx.AsyncClient(timeout=30) as http:
        hub = region.hub
        await wait_until_async(lambda: len(_children(settings.region)) == 1, timeout_s=10,
                               message="the audit process started")
        (child,) = _children(settings.region)
        token = department_token(hub, f"{settings.region}/tax")
        response = await post_query(http, hub.http_url, settings.region, token,
                                    str(uuid.uuid4()))
        assert response.status_code == 200, response.text
    assert not child.is_alive() and child.exitcode == 0  # stopped in order
    auditor = Auditor.from_settings(settings)
    assert auditor.verify().ok
    ledger = build_ledger(settings)
    try:
        head = ledger.recorder.max_notification_id()
    finally:
        ledger.close()
    assert head and _latest_size(auditor) == head  # the hub's last checkpoint


async def test_without_the_setting_the_hub_signs_in_its_own_process(
    hub_settings: HubSettings,
) -> None:
    settings = _settings(hub_settings, audit_process=False)
    async with running_region(settings) as region, httpx.AsyncClient(timeout=30) as http:
        hub = region.hub
        here = SignedHere(hub.auditor)
        await _query_and_wait_for_a_checkpoint_over_it(hub, http)
        assert here.calls > 0
        assert _children(settings.region) == []
