"""Which JetStream Object Store buckets belong to a region: the one naming rule.

Every bucket a region keeps is named ``hub-<region>-<kind>``, the region code
lower-cased with any character outside ``[a-z0-9_-]`` turned into ``_``
(``CN-31``'s documents: ``hub-cn-31-documents``; JetStream's stream behind it is
``OBJ_hub-cn-31-documents``). The document store names its bucket with
:func:`region_bucket`; backup copies every bucket whose name starts with
:func:`region_bucket_prefix`, so a new kind of bucket is backed up without
anyone remembering to add it.
"""

from __future__ import annotations

import re

_NOT_NAME = re.compile(r"[^a-z0-9_-]")


def region_bucket_prefix(region: str) -> str:
    """The name prefix of every Object Store bucket that belongs to ``region``."""
    return f"hub-{_NOT_NAME.sub('_', region.lower())}-"


def region_bucket(region: str, kind: str) -> str:
    """The name of ``region``'s bucket of ``kind`` (``documents``, say)."""
    return region_bucket_prefix(region) + kind
