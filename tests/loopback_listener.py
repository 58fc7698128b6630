"""A loopback TCP listener that records every connection: proof that nothing was fetched."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field


@dataclass
class Listener:
    """Where the listener listens and who connected to it (must stay empty in the tests)."""

    port: int
    connections: list[tuple[str, int]] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.contextmanager
def loopback_listener() -> Iterator[Listener]:
    """Accept (and close) connections on a free loopback port for the duration of the block."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.05)
    spy = Listener(port=server.getsockname()[1])
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, address = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            spy.connections.append(address)
            conn.close()

    thread = threading.Thread(target=serve, name="loopback-listener", daemon=True)
    thread.start()
    try:
        yield spy
    finally:
        stop.set()
        thread.join(timeout=2)
        server.close()
