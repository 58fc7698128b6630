"""The suite's one polling helper: returns what it waited for, fails naming it, keeps its bound."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

import pytest

from tests.waiting import WaitTimeout, wait_until, wait_until_async


def test_returns_the_first_truthy_value() -> None:
    """The predicate's own value comes back, from the call on which it first held."""
    values = iter([None, [], ["ready"], ["later"]])
    assert wait_until(lambda: next(values), timeout_s=1, interval_s=0.001) == ["ready"]
    assert next(values) == ["later"]  # no call after the one that held


def test_times_out_naming_what_was_awaited_and_the_last_value() -> None:
    """The failure names the awaited condition, the bound and the last value seen."""
    counter = itertools.count()
    with pytest.raises(WaitTimeout) as caught:
        wait_until(lambda: next(counter) < 0, timeout_s=0.1, interval_s=0.01,
                   message="the counter going negative")
    text = str(caught.value)
    assert text.startswith("the counter going negative: not within 0.1 s")
    assert "last value: False" in text
    assert caught.value.attempts >= 2 and caught.value.last is False
    assert isinstance(caught.value, AssertionError)  # pytest reports it as a failed check


def test_without_a_message_the_predicate_is_named() -> None:
    """A named function is its own description."""

    def queue_drained() -> int:
        return 0

    with pytest.raises(WaitTimeout, match=r"^.*queue_drained: not within 0.05 s"):
        wait_until(queue_drained, timeout_s=0.05, interval_s=0.01)


def test_respects_the_bound() -> None:
    """A predicate that never holds fails after the bound, not long after it."""
    started = time.monotonic()
    with pytest.raises(WaitTimeout):
        wait_until(lambda: False, timeout_s=0.3, interval_s=0.05)
    took = time.monotonic() - started
    assert 0.3 <= took < 0.3 + 0.25


def test_the_interval_spaces_the_calls() -> None:
    """Calls are interval_s apart: about timeout/interval of them, not a busy loop."""
    calls = itertools.count(1)
    with pytest.raises(WaitTimeout) as caught:
        wait_until(lambda: next(calls) < 0, timeout_s=0.3, interval_s=0.1)
    assert 3 <= caught.value.attempts <= 5


def test_ignored_errors_mean_not_yet_and_are_reported_last() -> None:
    """An allowed exception is retried; if it never stops, it is the reported last value."""
    attempts = iter([ConnectionRefusedError("starting"), 7])

    def connect() -> int:
        value = next(attempts)
        if isinstance(value, Exception):
            raise value
        return value

    assert wait_until(connect, timeout_s=1, interval_s=0.001, ignoring=(OSError,)) == 7

    def refused() -> None:
        raise ConnectionRefusedError("still starting")

    with pytest.raises(WaitTimeout, match=r"last value: ConnectionRefusedError\('still"):
        wait_until(refused, timeout_s=0.05, interval_s=0.01, ignoring=(OSError,))


def test_other_errors_propagate_at_once() -> None:
    """An exception not listed in ``ignoring`` is a real failure, raised on the first call."""
    started = time.monotonic()
    with pytest.raises(KeyError):
        wait_until(lambda: {}["missing"], timeout_s=5)
    assert time.monotonic() - started < 1


async def test_async_accepts_sync_and_coroutine_predicates() -> None:
    """A plain function, a coroutine function and a lambda returning a coroutine all work."""
    ready = asyncio.Event()
    asyncio.get_running_loop().call_later(0.05, ready.set)

    async def is_ready() -> bool:
        return ready.is_set()

    assert await wait_until_async(is_ready, timeout_s=2, interval_s=0.01) is True
    assert await wait_until_async(ready.is_set, timeout_s=2) is True
    assert await wait_until_async(lambda: asyncio.sleep(0, "done"), timeout_s=2) == "done"


async def test_async_times_out_naming_what_was_awaited_and_the_last_value() -> None:
    """The async wait fails as the sync one does, with the last value seen."""
    seen = itertools.count()
    with pytest.raises(WaitTimeout) as caught:
        await wait_until_async(lambda: next(seen) > 1000, timeout_s=0.1, interval_s=0.01,
                               message="a thousand calls")
    assert str(caught.value).startswith("a thousand calls: not within 0.1 s")
    assert caught.value.last is False


async def test_async_bound_holds_even_for_a_predicate_that_hangs() -> None:
    """A call still running at the deadline is abandoned: the wait ends at its bound."""

    async def hangs() -> bool:
        await asyncio.sleep(60)
        return True

    started = time.monotonic()
    with pytest.raises(WaitTimeout, match="no call finished"):
        await wait_until_async(hangs, timeout_s=0.2, message="a hanging check")
    assert time.monotonic() - started < 1


async def test_a_predicates_own_timeout_is_not_mistaken_for_the_bound() -> None:
    """A TimeoutError raised by the predicate (a request that timed out) is only "not
    yet" when ignored, and is otherwise raised as it is."""
    answers = iter([TimeoutError("request timed out"), "pong"])

    async def ping() -> str:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    assert await wait_until_async(ping, timeout_s=2, interval_s=0.01,
                                  ignoring=(TimeoutError,)) == "pong"

    async def always_times_out() -> None:
        raise TimeoutError("request timed out")

    with pytest.raises(TimeoutError, match="request timed out") as caught:
        await wait_until_async(always_times_out, timeout_s=2)
    assert not isinstance(caught.value, WaitTimeout)


async def test_in_thread_keeps_the_loop_free_for_a_blocking_predicate() -> None:
    """A blocking predicate runs off the loop, so tasks on the loop progress meanwhile."""
    ticks: list[float] = []
    done = threading.Event()
    threading.Timer(0.15, done.set).start()

    async def tick() -> None:
        while not done.is_set():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.01)

    ticking = asyncio.create_task(tick())
    assert await wait_until_async(lambda: done.wait(0.05), timeout_s=2, in_thread=True)
    await ticking
    assert len(ticks) >= 5
