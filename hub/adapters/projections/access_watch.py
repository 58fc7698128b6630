"""The access watch: a projection that notices unusual access and hands the evidence on.

It follows the exchanges' ``Received``, ``Translated`` (an accepted query and
the pseudonymous reference of the person it is about) and ``Rejected`` events
(queries by any way in; records a department issues are not lookups),
with its tracking position in the read store like every projection, and keeps
just enough state to judge, per credential (or per department where the way in
names no credential) and service, four things against the service's
:class:`~hub.domain.watch_policy.WatchPolicy`:

- distinct data subjects in the current clock hour against the credential's
  own baseline (an exponentially weighted mean of earlier hours, with a floor);
- refusals within a sliding window;
- access outside the service's declared hours;
- one subject looked up by many departments within a window.

Time is the events' own time, never the clock: a replay judges the same
history the same way, and :class:`~hub.domain.access_anomaly.Evidence` ids are
derived from it, so the :class:`AnomalySink` records each anomaly once. State
is bounded by time: arrivals waiting for their outcome, the current hour's
subjects, refusals and lookups inside their windows; older rows are pruned as
the watch moves on. It keeps subject references (pseudonymous) and exchange
ids, never a personal value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from hub.adapters.projections.access_watch_state import WatchState
from hub.adapters.projections.base import Event, Projection
from hub.adapters.projections.store import Tx
from hub.adapters.projections.timestamps import from_micros, to_micros
from hub.domain.access_anomaly import (
    OUTSIDE_SERVICE_HOURS,
    REFUSAL_BURST,
    SUBJECT_MANY_DEPARTMENTS,
    SUBJECTS_ABOVE_BASELINE,
    Evidence,
)
from hub.domain.exchange import Exchange
from hub.domain.watch_policy import DEFAULT_POLICY, WatchPolicy

HOUR_US = 3_600_000_000
_US = 1_000_000
NOT_LOOKUPS = frozenset({"notification"})
"""Ways in whose exchanges are not someone looking people up: a department issuing its own
records to their subscribers (hub.service_layer.notifications) discloses what it holds."""


class AnomalySink(Protocol):
    """Where the watch hands what it found: records it (once) and acts on it."""

    def raise_anomaly(self, evidence: Evidence, *, suspend: bool) -> str:
        """Record ``evidence`` unless recorded before; the action taken (suspend | alarm)."""
        ...


@dataclass(frozen=True, slots=True)
class _Access:
    """One arrival, as the watch remembers it until its outcome."""

    exchange_id: str
    client: str
    credential: str
    service: str
    at_us: int

    @property
    def who(self) -> str:
        """Whose baseline and windows this counts in: the credential, else the department."""
        return self.credential or f"department:{self.client}"


class AccessWatch(Projection):
    """Judges access per credential and service; breaches go to the sink (module docstring)."""

    name: ClassVar[str] = "access_watch"
    version: ClassVar[int] = 1
    topics: ClassVar[frozenset[str]] = frozenset(
        {Exchange.Received.TOPIC, Exchange.Translated.TOPIC, Exchange.Rejected.TOPIC})
    tables: ClassVar[tuple[str, ...]] = WatchState.TABLES

    def __init__(self, policies: Mapping[str, WatchPolicy], sink: AnomalySink) -> None:
        self._policies = dict(policies)
        self._sink = sink
        self._longest_s = max(
            (max(p.refusals_window_s, p.departments_window_s)
             for p in [DEFAULT_POLICY, *self._policies.values()]), default=0)

    def policy(self, service: str) -> WatchPolicy:
        """The thresholds for ``service`` (the defaults where it declares none)."""
        return self._policies.get(service, DEFAULT_POLICY)

    def create(self, tx: Tx) -> None:
        WatchState.create(tx)

    def create_indexes(self, tx: Tx) -> None:
        WatchState.create_indexes(tx)

    def apply(self, tx: Tx, events: Sequence[Event]) -> None:
        state = WatchState(tx)
        waiting: dict[str, _Access] = {}
        last_us = 0
        for event in events:
            ev: Any = event
            at_us = to_micros(ev.timestamp)
            last_us = max(last_us, at_us)
            key = str(ev.originator_id)
            if isinstance(ev, Exchange.Received):
                if ev.ingress not in NOT_LOOKUPS:
                    waiting[key] = _Access(key, ev.client, ev.credential, ev.service, at_us)
                continue
            access = waiting.pop(key, None) or self._arrival(state, key)
            if access is None:
                continue  # its arrival was pruned long ago (an exchange far older than any window)
            if isinstance(ev, Exchange.Translated):
                self._accessed(state, access, ev.data_subject, at_us)
            elif isinstance(ev, Exchange.Rejected):
                self._refused(state, access, at_us)
        state.remember_arrivals(
            (a.exchange_id, a.client, a.credential, a.service, a.at_us) for a in waiting.values())
        if last_us:
            state.prune(before_us=last_us - max(self._longest_s * _US, HOUR_US),
                        hour=last_us // HOUR_US)

    def _arrival(self, state: WatchState, exchange_id: str) -> _Access | None:
        row = state.take_arrival(exchange_id)
        return None if row is None else _Access(exchange_id, *row)

    def _accessed(self, state: WatchState, access: _Access, subject: str, at_us: int) -> None:
        policy = self.policy(access.service)
        self._check_hours(state, access, policy, at_us)
        if not subject:
            return  # a contract about nobody: no person to count
        self._check_subjects(state, access, policy, subject, at_us)
        self._check_departments(state, access, policy, subject, at_us)

    def _check_hours(
        self, state: WatchState, access: _Access, policy: WatchPolicy, at_us: int
    ) -> None:
        hours = policy.hours
        if hours is None or hours.contains(from_micros(at_us)):
            return
        hour = at_us // HOUR_US
        evidence = self._evidence(
            OUTSIDE_SERVICE_HOURS, access, "", hour * HOUR_US, at_us, 1, 0, (access.exchange_id,),
            f"access at {_iso(at_us)}, outside the service hours {hours.describe()}")
        self._raise(state, evidence, policy)

    def _check_subjects(
        self, state: WatchState, access: _Access, policy: WatchPolicy, subject: str, at_us: int
    ) -> None:
        hour, baseline, alarmed = state.baseline(access.who, access.service, at_us // HOUR_US,
                                                 policy.baseline_alpha)
        count = state.add_subject(access.who, access.service, hour, subject)
        if count is None or alarmed:
            return  # seen this hour already, or this hour has raised its alarm
        threshold = policy.subjects_threshold(baseline)
        if count <= threshold:
            return
        sample = state.hour_subjects(access.who, access.service, hour, policy.sample_size)
        evidence = self._evidence(
            SUBJECTS_ABOVE_BASELINE, access, "", hour * HOUR_US, at_us, count, threshold, sample,
            f"{count} distinct subjects this hour; baseline {baseline:.1f}, threshold "
            f"max({policy.subjects_floor}, {policy.baseline_factor} x baseline) = {threshold}")
        state.mark_alarmed(access.who, access.service)
        self._raise(state, evidence, policy)

    def _check_departments(
        self, state: WatchState, access: _Access, policy: WatchPolicy, subject: str, at_us: int
    ) -> None:
        window_us = policy.departments_window_s * _US
        first_us, departments = state.add_lookup(subject, access.client, at_us, window_us)
        if len(departments) <= policy.departments_max:
            return
        if state.raised_since(SUBJECT_MANY_DEPARTMENTS, subject, at_us - window_us):
            return  # the same crowd around the same person: already raised in this window
        evidence = self._evidence(
            SUBJECT_MANY_DEPARTMENTS, access, subject, first_us, at_us, len(departments),
            policy.departments_max, tuple(departments[: policy.sample_size]),
            f"{len(departments)} departments looked up one subject within "
            f"{policy.departments_window_s} s")
        self._raise(state, evidence, policy, who=subject, suspend=False)

    def _refused(self, state: WatchState, access: _Access, at_us: int) -> None:
        policy = self.policy(access.service)
        window_us = policy.refusals_window_s * _US
        count, first_us = state.add_refusal(access.who, access.exchange_id, at_us, window_us)
        if count <= policy.refusals_max:
            return
        if state.raised_since(REFUSAL_BURST, access.who, at_us - window_us):
            return  # one burst, one alarm
        evidence = self._evidence(
            REFUSAL_BURST, access, "", first_us, at_us, count, policy.refusals_max,
            state.refusal_sample(access.who, policy.sample_size),
            f"{count} refused requests within {policy.refusals_window_s} s")
        self._raise(state, evidence, policy)

    @staticmethod
    def _evidence(
        kind: str, access: _Access, subject: str, start_us: int, end_us: int, count: int,
        threshold: int, sample: Sequence[str], detail: str,
    ) -> Evidence:
        return Evidence(kind, access.credential, access.client, access.service, subject,
                        _iso(start_us), _iso(end_us), count, threshold, tuple(sample), detail)

    def _raise(
        self, state: WatchState, evidence: Evidence, policy: WatchPolicy, *,
        who: str | None = None, suspend: bool | None = None,
    ) -> None:
        """Hand ``evidence`` to the sink once (a replay finds the row and stops here)."""
        if state.raised(evidence.id):
            return
        action = self._sink.raise_anomaly(
            evidence, suspend=policy.suspend if suspend is None else suspend)
        state.record_raised(evidence, action, who=who or evidence.credential
                            or f"department:{evidence.department}",
                            at_us=to_micros(dt.datetime.fromisoformat(evidence.window_end)))


def _iso(micros: int) -> str:
    return from_micros(micros).isoformat()
