"""The id of an aggregate as the event store hands it back.

The library types a stored event's ``originator_id`` as ``UUID | str`` because a store may
be configured for string ids; every store of the hub is configured for UUIDs, so what
comes back is a UUID (a string only from a store configured otherwise, parsed here).
"""

from __future__ import annotations

from uuid import UUID


def originator_uuid(originator_id: UUID | str) -> UUID:
    """``originator_id`` as a UUID; raises ``ValueError`` for a string that is not one."""
    return originator_id if isinstance(originator_id, UUID) else UUID(originator_id)
