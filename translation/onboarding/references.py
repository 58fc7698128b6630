"""Resolving QName references in a WSDL, with a precise report of the ones that dangle.

Real WSDLs refer to things that are not there: most often a name that differs
only in letter case (X-Road's example adapter binds ``tns:requestHeader`` while
declaring ``requestheader``). XML names are case-sensitive, so by default such a
reference is an error naming it and its nearest match; in lenient mode a
case-only mismatch is resolved to the declared name and reported as a warning.
Anything else that dangles is always an error.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypeVar

from contracts.errors import FieldIssue
from translation.onboarding.errors import DanglingReference
from translation.onboarding.report import CASE_MISMATCH, ToleranceLog, Tolerated

T = TypeVar("T")


@dataclass(frozen=True)
class Reference:
    """One reference as written: ``kind`` (message, binding, part...), its text and place."""

    kind: str
    text: str  # as written, e.g. "tns:requestHeader"
    key: str  # Clark notation, e.g. "{http://...}requestHeader"
    where: str  # file:line
    context: str  # e.g. "binding testServiceBinding, operation listPeople, input soap:header"


class ReferenceChecker:
    """Resolves references against declarations; collects what dangles and what was bent."""

    def __init__(self, *, lenient: bool) -> None:
        self.lenient = lenient
        # Everything lenient reading bends is recorded here (the scaffold's report).
        self.tolerated = ToleranceLog()
        self._dangling: dict[tuple[str, str], tuple[list[Reference], str | None]] = {}
        self._bent: dict[tuple[str, str], tuple[list[Reference], str]] = {}

    def resolve(self, ref: Reference, declared: Mapping[str, T]) -> T | None:
        """The declaration ``ref`` names; None (and a recorded problem) when it dangles."""
        if ref.key in declared:
            return declared[ref.key]
        same_case = [k for k in declared if isinstance(k, str) and k.lower() == ref.key.lower()]
        if same_case and self.lenient:
            refs, _ = self._bent.setdefault((ref.kind, ref.key), ([], same_case[0]))
            refs.append(ref)
            self.tolerated.add(_bent(ref, same_case[0]))
            return declared[same_case[0]]
        nearest = same_case[0] if same_case else _nearest(ref.key, declared)
        refs, _ = self._dangling.setdefault((ref.kind, ref.key), ([], nearest))
        refs.append(ref)
        return None

    @property
    def warnings(self) -> list[str]:
        """One line per case-only mismatch resolved in lenient mode."""
        return [
            f"{refs[0].kind} {refs[0].text} resolved to {_display(refs[0], target)}: "
            f"the names differ only in letter case ({_count(refs)})"
            for refs, target in self._bent.values()
        ]

    def raise_if_dangling(self) -> None:
        """Raise one :class:`DanglingReference` listing every reference that dangles."""
        if not self._dangling:
            return
        issues = tuple(self._issue(refs, nearest) for refs, nearest in self._dangling.values())
        first = issues[0]
        more = f" (and {len(issues) - 1} more)" if len(issues) > 1 else ""
        raise DanglingReference(f"{first.path}: {first.reason}{more}", issues=issues)

    def _issue(self, refs: list[Reference], nearest: str | None) -> FieldIssue:
        ref = refs[0]
        reason = f"{ref.context} refers to {ref.kind} {ref.text}, which is not declared"
        if nearest is not None:
            shown = _display(ref, nearest)
            reason += f"; nearest match: {shown}"
            if nearest.lower() == ref.key.lower():
                reason += (
                    " (differs only in letter case: correct the WSDL, or pass --lenient "
                    "to accept it with a warning)"
                )
        reason += f" [{_count(refs)}]"
        return FieldIssue(path=ref.where, reason=reason, code="dangling-reference")


def _bent(ref: Reference, target: str) -> Tolerated:
    file, _, line = ref.where.rpartition(":")
    return Tolerated(
        CASE_MISMATCH,
        file or ref.where,
        int(line) if line.isdigit() else None,
        f"{ref.context}: {ref.kind} {ref.text}",
        f"resolved to {_display(ref, target)} (names differ only in letter case)",
    )


def split_clark(key: str) -> tuple[str, str]:
    """(namespace, local name) of a Clark name; never raises (a mutated WSDL's reference
    may be empty, ``{ns}`` or hold characters no XML name may: it is still reported)."""
    if key.startswith("{") and "}" in key:
        namespace, _, local = key[1:].partition("}")
        return namespace, local
    return "", key


def _nearest(key: str, declared: Mapping[str, object]) -> str | None:
    namespace, local = split_clark(key)
    same_namespace = [k for k in declared if isinstance(k, str) and split_clark(k)[0] == namespace]
    by_local = {split_clark(k)[1]: k for k in same_namespace}
    close = difflib.get_close_matches(local, list(by_local), n=1, cutoff=0.6)
    return by_local[close[0]] if close else None


def _display(ref: Reference, key: str) -> str:
    """``key`` written with the reference's own prefix when it is in the same namespace."""
    prefix, sep, _ = ref.text.rpartition(":")
    namespace, local = split_clark(key)
    if namespace == split_clark(ref.key)[0]:
        return f"{prefix}{sep}{local}"
    return key


def _count(refs: list[Reference]) -> str:
    if len(refs) == 1:
        return f"at {refs[0].where}"
    return f"{len(refs)} references, first at {refs[0].where}"
