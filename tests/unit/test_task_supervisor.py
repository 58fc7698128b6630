"""The task supervisor: which background task died and why, logged once; a stop is no death."""

from __future__ import annotations

import asyncio

from structlog.testing import capture_logs

from hub.bootstrap.supervisor import DeadTask, TaskSupervisor


async def test_a_task_that_raises_or_returns_early_is_recorded_and_logged_once() -> None:
    """A failing task and one that returns while the hub runs are both dead, with reasons;
    a second report of the same name adds nothing to the record or the log."""
    stop = asyncio.Event()
    supervisor = TaskSupervisor(stop)

    async def fails() -> None:
        raise OSError("store closed")

    async def returns() -> None:
        return None

    with capture_logs() as logs:
        supervisor.start(fails(), name="outbox-relay")
        supervisor.start(returns(), name="projections")
        await asyncio.sleep(0.05)
        supervisor.record("outbox-relay", "again")
    assert supervisor.dead == [
        DeadTask("outbox-relay", "OSError: store closed"),
        DeadTask("projections", "returned while the hub was running"),
    ]
    died = [entry for entry in logs if entry["event"] == "background task died"]
    assert [(e["task"], e["log_level"]) for e in died] == [
        ("outbox-relay", "error"), ("projections", "error")]


async def test_tasks_asked_to_stop_are_not_dead() -> None:
    """Stopping the hub ends its tasks (and cancels stragglers) without recording a death."""
    stop = asyncio.Event()
    supervisor = TaskSupervisor(stop)

    async def obeys() -> None:
        await stop.wait()

    async def ignores() -> None:
        await asyncio.Event().wait()

    supervisor.start(obeys(), name="deliver-tax")
    straggler = supervisor.start(ignores(), name="stubborn")
    await supervisor.stop(timeout_s=0.2)
    await asyncio.sleep(0)
    assert straggler.cancelled()
    assert supervisor.dead == []
