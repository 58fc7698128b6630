"""A one-stop case's timeline, as the demos print it.

Each step: its state, the department holding it, since when, due by, and the record it
recognised; then what happened to it, in seconds from the case's submission
(``+2.1s acknowledged TAX-000001, +5.6s OVERDUE``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def timeline(shown: dict[str, Any], events: list[Any]) -> list[str]:
    """The lines of the case ``shown`` (``GET /cases/{id}``) with its ``events``."""
    start = events[0].at
    lines = [f"  {'step':<24} {'state':<9} {'who':<24} {'since':<8} {'due':<14} recognition"]
    for step in shown["steps"]:
        recognition = step["recognition"]
        seen = (f"{recognition['outcome']} {recognition['issuer']}'s record "
                f"{recognition['record_id'][:8]}" if recognition else "-")
        who = step["service"].rsplit("/", 1)[0]
        lines.append(f"  {step['name']:<24} {step['state']:<9} {who:<24} "
                     f"{_clock(step['since']):<8} {_due(step['due_at']):<14} {seen}")
        story = [f"+{(e.at - start).total_seconds():.1f}s {_said(e)}"
                 for e in events if getattr(e, "step", None) == step["name"]]
        lines.append("      " + ", ".join(story))
    return lines


def _said(event: Any) -> str:
    """One event of a step, in a few words."""
    name = type(event).__name__
    if name == "StepDecided":
        return event.decision + (f" ({event.reason})" if event.reason else "")
    if name == "StepAcknowledged":
        return f"acknowledged {event.reference}"
    if name == "StepOverdue":
        return "OVERDUE"
    return name.removeprefix("Step").lower()


def _clock(moment: str | None) -> str:
    return dt.datetime.fromisoformat(moment).strftime("%H:%M:%S") if moment else "-"


def _due(moment: str | None) -> str:
    return dt.datetime.fromisoformat(moment).strftime("%m-%d %H:%M:%S") if moment else "-"
