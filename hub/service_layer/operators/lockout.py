"""The login lockout: refusals of one name counted in the store, per lockout window.

After ``MAX_FAILURES`` refusals of a name within ``LOCKOUT``, the directory
refuses further attempts without looking at the password. Each window of
``LOCKOUT`` length has its own ``LoginFailures`` aggregate (hub.domain.operator)
per name, and a check reads this window and the previous one, so the count holds
across hub workers sharing the store and across restarts; a good login clears it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from hub.domain.operator import LoginFailures, LoginRefusal, failures_id

MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)


class Lockout:
    """Counts refused logins per name in ``app``'s store."""

    def __init__(self, app: Application[UUID]) -> None:
        self._app = app

    def _windows(self, name: str, now: dt.datetime) -> list[LoginFailures]:
        """``name``'s failure counts of the previous and the current lockout window."""
        current = _window(now)
        found: list[LoginFailures] = []
        for window in (current - 1, current):
            try:
                found.append(self._app.repository.get(failures_id(name, window)))
            except AggregateNotFoundError:
                continue
        return found

    def locked(self, name: str, now: dt.datetime) -> bool:
        """True when ``name`` had ``MAX_FAILURES`` refusals within ``LOCKOUT`` of ``now``
        since its last good login."""
        counts = self._windows(name, now)
        cleared = max((c.cleared_at for c in counts), default="")
        since = max(cleared, _at(now - LOCKOUT))
        return sum(at > since for c in counts for at in c.failed_at) >= MAX_FAILURES

    def count(self, name: str, now: dt.datetime, refusal: LoginRefusal) -> None:
        """Record ``refusal`` and count it, in one transaction (retried on a race)."""
        for _ in range(5):
            try:
                counts: LoginFailures = self._app.repository.get(failures_id(name, _window(now)))
                counts.fail(_at(now))
            except AggregateNotFoundError:
                counts = LoginFailures(name, _window(now), _at(now))
            try:
                self._app.save(refusal, counts)
                return
            except IntegrityError:  # another worker counted one at the same moment
                continue
        self._app.save(refusal)  # still recorded; the count is a brake, the refusal the record

    def clear(self, name: str, now: dt.datetime) -> None:
        """A good login: earlier refusals stop counting (only if there are any)."""
        for counts in self._windows(name, now):
            if counts.failed_at[-1] > counts.cleared_at:
                counts.clear(_at(now))
                with contextlib.suppress(IntegrityError):  # raced: a new refusal counts on
                    self._app.save(counts)


def _window(now: dt.datetime) -> int:
    """The lockout window ``now`` falls in (``LOCKOUT``-long, counted from the epoch)."""
    return int(now.timestamp() // LOCKOUT.total_seconds())


def _at(moment: dt.datetime) -> str:
    """A moment as stored in failure counts: RFC 3339 in UTC with microseconds, so that
    two of them compare as strings in time order."""
    return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")
