"""An ``http.server`` served on a daemon thread until stopped: the TRN simulator's way of
running, and the test doubles' (fake Discord, the jitter proxy, one-off upstreams)."""

from __future__ import annotations

import threading
from http.server import HTTPServer
from types import TracebackType
from typing import Self

POLL_SECONDS = 0.05
"""How often ``serve_forever`` looks at its stop flag (a stop waits at most this long)."""


class _StartStop:
    """``with`` = :meth:`start` … :meth:`stop`."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class BackgroundHttpServer(_StartStop):
    """Serves ``server`` on a daemon thread named ``name`` between :meth:`start` and
    :meth:`stop` (or as a context manager); :meth:`stop` closes the listening socket."""

    def __init__(self, server: HTTPServer, name: str) -> None:
        self.server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": POLL_SECONDS},
            name=name,
            daemon=True,
        )

    @property
    def root_url(self) -> str:
        """``http://host:port`` of the listening socket."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Start serving."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving (after the request in progress) and close the socket; idempotent."""
        if self._thread.is_alive():
            self.server.shutdown()
            self._thread.join(timeout=5)
        self.server.server_close()


class Served(_StartStop):
    """A service that can be started and stopped again (or used as a context manager), each
    start serving a new server from :meth:`make_server` on a thread named :attr:`thread_name`."""

    thread_name = "http"
    _serving: BackgroundHttpServer | None = None

    def make_server(self) -> HTTPServer:
        """A new server bound to this service's address."""
        raise NotImplementedError

    @property
    def root_url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._serving is None:
            raise RuntimeError(f"the {self.thread_name} is not running")
        return self._serving.root_url

    def start(self) -> Self:
        """Start serving in a background thread."""
        self._serving = BackgroundHttpServer(self.make_server(), self.thread_name).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._serving is not None:
            self._serving.stop()
            self._serving = None
