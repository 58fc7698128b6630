"""Reading mapping skeletons in tests: the annotation written beside a leaf or a header path.

Skeleton lines are aligned per block (``# contract_field = "tns:a"    # xs:string [1..1]``),
so tests look a path up instead of matching whitespace.
"""

from __future__ import annotations

import re


def leaf(text: str, path: str) -> str | None:
    """``xs:string [1..1] -- notes`` beside the body leaf ``path`` (mappable or not), or None."""
    quoted = re.escape(f'"{path}"')
    found = re.search(rf"^# (?:contract_field =|not mappable:) {quoted} +# (.*)$", text, re.M)
    return found[1] if found else None


def header(text: str, path: str) -> str | None:
    """The annotation beside the SOAP header path ``path`` (``xrd:client/id:memberCode``)."""
    found = re.search(rf"^#   {re.escape(path)} +# (.*)$", text, re.M)
    return found[1] if found else None
