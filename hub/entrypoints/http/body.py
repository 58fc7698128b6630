"""Read a request body without ever holding more than the configured cap."""

from __future__ import annotations

from starlette.requests import Request

from translation.errors import PayloadTooLarge


async def read_capped(request: Request, limit: int) -> bytes:
    """The body, or :class:`PayloadTooLarge` as soon as it is known to exceed ``limit``.

    A declared Content-Length over the cap is refused before reading anything.
    """
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(size, limit)
        chunks.append(chunk)
    return b"".join(chunks)
