"""Bounded waits for tests: poll a predicate until it holds, or fail saying what never came.

Real servers, stores and processes settle in their own time, so a test often has to
wait for a condition rather than for an event it can await. Every such wait in the
suite goes through :func:`wait_until` (plain code) or :func:`wait_until_async` (inside
the event loop), so each one is bounded by a deadline, polls at a stated interval, and
on timeout fails with :class:`WaitTimeout` naming what was awaited and the last value
the predicate returned (or the last exception it was allowed to raise).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

_NOTHING = object()


class WaitTimeout(AssertionError):
    """Raised when a predicate did not hold within its bound: what, how long, last value."""

    def __init__(self, what: str, timeout_s: float, attempts: int, last: object) -> None:
        shown = "no call finished" if last is _NOTHING else repr(last)
        super().__init__(
            f"{what}: not within {timeout_s} s ({attempts} attempts); last value: {shown}")
        self.what = what
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.last = None if last is _NOTHING else last


def wait_until(
    predicate: Callable[[], T],
    *,
    timeout_s: float,
    interval_s: float = 0.05,
    message: str | None = None,
    ignoring: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``predicate`` every ``interval_s`` until it returns a truthy value; that value.

    ``ignoring``: exception types that mean "not yet" (e.g. a connection refused while a
    server starts); the last one is reported as the last value. Fails with
    :class:`WaitTimeout` once ``timeout_s`` has passed since the first call.
    """
    poll = _Poll(_what(predicate, message), timeout_s, interval_s)
    while True:
        poll.attempts += 1
        try:
            poll.last = value = predicate()
        except ignoring as exc:
            poll.last = exc
        else:
            if value:
                return value
        time.sleep(poll.pause())


async def wait_until_async(
    predicate: Callable[[], T | Awaitable[T]],
    *,
    timeout_s: float,
    interval_s: float = 0.05,
    message: str | None = None,
    ignoring: tuple[type[BaseException], ...] = (),
    in_thread: bool = False,
) -> T:
    """:func:`wait_until` for the event loop; ``predicate`` may be sync or return an awaitable.

    ``in_thread``: call a sync predicate in a worker thread, for one that blocks (a store
    read) while the code under test runs on this loop. A call still running at the
    deadline is abandoned and counts as a timeout, so the wait never outlasts its bound.
    """
    poll = _Poll(_what(predicate, message), timeout_s, interval_s)
    while True:
        poll.attempts += 1
        # asyncio's clock is time.monotonic, the one _Poll keeps its deadline on.
        scope = asyncio.timeout_at(max(poll.deadline, time.monotonic() + interval_s))
        try:
            async with scope:
                poll.last = value = await _call(predicate, in_thread)
        except TimeoutError as exc:  # the bound, or the predicate's own timeout
            if scope.expired():
                raise poll.failure() from None
            if not isinstance(exc, ignoring):
                raise
            poll.last = exc
        except ignoring as exc:
            poll.last = exc
        else:
            if value:
                return value
        await asyncio.sleep(poll.pause())


class _Poll:
    """One wait's bookkeeping: its deadline, the attempts made and the last value seen."""

    def __init__(self, what: str, timeout_s: float, interval_s: float) -> None:
        self.what, self.timeout_s, self.interval_s = what, timeout_s, interval_s
        self.deadline = time.monotonic() + timeout_s
        self.attempts = 0
        self.last: object = _NOTHING

    def failure(self) -> WaitTimeout:
        return WaitTimeout(self.what, self.timeout_s, self.attempts, self.last)

    def pause(self) -> float:
        """How long to sleep before the next attempt; raises the failure past the deadline."""
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise self.failure()
        return min(self.interval_s, remaining)


async def _call(predicate: Callable[[], Any], in_thread: bool) -> Any:
    if in_thread:
        return await asyncio.to_thread(predicate)
    value = predicate()
    if inspect.isawaitable(value):
        return await value
    return value


def _what(predicate: Callable[..., Any], message: str | None) -> str:
    return message or getattr(predicate, "__qualname__", repr(predicate))
