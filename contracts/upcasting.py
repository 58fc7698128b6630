"""Upcasters: how a document of one major version becomes a document of the next.

A minor version needs none: every ``X@1.0`` document is a valid ``X@1.1``
document by construction (``interop-hub contracts check`` enforces it). A major
version is a new shape, so it may declare an :class:`Upcaster` from the previous
major, written as a plain function over JSON-shaped documents::

    @upcaster("social-security.contribution-history@1.0",
              "social-security.contribution-history@2.0")
    def contribution_history_1_to_2(document: Document) -> Document: ...

The upcaster reads documents of its ``source`` minor (and so of every earlier
minor of that major); :func:`plan` chains upcasters across majors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from contracts.base import ContractId
from contracts.errors import ContractError, FieldIssue

Document = dict[str, Any]
"""A contract document as stored or sent: JSON-shaped (``model_dump(mode="json")``)."""


class UpcasterError(ContractError):
    """Raised when an upcaster is declared wrongly (not one major forward, or a duplicate)."""

    code = "bad-upcaster"


class NoUpcastPathError(ContractError):
    """Raised when a document stored as one contract version cannot be read as another."""

    code = "no-upcast-path"

    def __init__(self, source: ContractId, target: ContractId, reason: str) -> None:
        super().__init__(
            str(source),
            f"cannot be read as {target}: {reason}",
            issues=(FieldIssue(path="$", reason=reason, code=self.code),),
        )
        self.source = source
        self.target = target


@dataclass(frozen=True)
class Upcaster:
    """Turns a ``source`` document (or one of an earlier minor) into a ``target`` document."""

    source: ContractId
    target: ContractId
    function: Callable[[Document], Document]

    def __post_init__(self) -> None:
        if self.source.name != self.target.name or self.target.major != self.source.major + 1:
            raise UpcasterError(
                str(self.target),
                f"an upcaster goes from one major to the next of the same contract, "
                f"not from {self.source}",
            )

    @property
    def name(self) -> str:
        """The function's name, for listings."""
        return getattr(self.function, "__name__", repr(self.function))

    def __call__(self, document: Document) -> Document:
        return self.function(document)


def upcaster(source: str, target: str) -> Callable[[Callable[[Document], Document]], Upcaster]:
    """Declare the decorated function as the upcaster from ``source`` to ``target``."""

    def declare(function: Callable[[Document], Document]) -> Upcaster:
        return Upcaster(ContractId.parse(source), ContractId.parse(target), function)

    return declare


def plan(
    upcasters: Mapping[tuple[str, int], Upcaster], source: ContractId, target: ContractId
) -> list[Upcaster]:
    """The upcasters that take a ``source`` document to ``target``, in order (maybe none).

    ``upcasters`` maps ``(name, source major)`` to the one upcaster out of that
    major. Raises :class:`NoUpcastPathError` naming both ids when there is no way.
    """
    if source.name != target.name:
        raise NoUpcastPathError(source, target, "they are different contracts")
    if source.major > target.major:
        raise NoUpcastPathError(source, target, "documents are never downcast to an older major")
    steps: list[Upcaster] = []
    current = source
    while current.major < target.major:
        step = upcasters.get((current.name, current.major))
        if step is None:
            raise NoUpcastPathError(
                source, target, f"no upcaster is declared from {current.name}@{current.major}.x"
            )
        if step.source.minor < current.minor:
            raise NoUpcastPathError(
                source, target, f"the upcaster to {step.target} reads {step.source}, not {current}"
            )
        steps.append(step)
        current = step.target
    if current.minor > target.minor:
        raise NoUpcastPathError(
            source, target, f"a {current} document may carry fields {target} does not know"
        )
    return steps
