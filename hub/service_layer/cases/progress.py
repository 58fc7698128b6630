"""A case's progress as shown to the applicant (through their portal or with their own ID
token): each step's state, who holds it, since when, due by, and what is awaited from
the applicant. Read from the cases read model: nothing personal beyond the case itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.adapters.readmodels.cases import APPLICANT, CaseRow

MORE_INFORMATION = "more-information-needed"


def _at(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def progress(row: CaseRow) -> dict[str, Any]:
    """``row`` as the applicant's progress."""
    return {
        "case_id": str(row.id), "case_type": row.case_type, "status": row.status,
        "submitted_at": _at(row.submitted_at), "due_at": _at(row.due_at),
        "closed_at": _at(row.closed_at), "reason": row.reason,
        "result_issued": row.result_issued,
        "steps": [{"name": s.name, "service": s.service, "state": s.state,
                   "holder": s.holder, "since": _at(s.since), "due_at": _at(s.due_at),
                   "overdue": s.overdue, "reference": s.reference, "reason": s.reason,
                   # another region's record the step waited for, and whether it stood
                   "recognition": s.recognition}
                  for s in row.steps],
        # what the applicant must supply: each step that asked, with what it said is missing
        "awaited_from_applicant": [{"step": s.name, "missing": s.reason}
                                   for s in row.steps if s.holder == APPLICANT],
    }
