"""A raw TCP listener on 127.0.0.1 for servers that must misbehave below HTTP/SMTP libraries
(never greet, drip bytes, close mid-body): it accepts, counts, and hands each connection to a
function in its own thread."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable


class ConnectionServer:
    """Accepts connections until stopped; ``handle(connection)`` runs in a thread per connection
    (it owns the socket) and may wait on :attr:`stopping` to give up early."""

    def __init__(self, handle: Callable[[socket.socket], None], port: int = 0) -> None:
        self.connections = 0
        self.stopping = threading.Event()
        self._handle = handle
        self._listener = socket.create_server(("127.0.0.1", port))
        self._listener.settimeout(0.05)
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def start(self) -> ConnectionServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        self._listener.close()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _address = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(connection,), daemon=True).start()
