"""A TCP proxy in front of the local GCS that goes down in the middle of a transfer.

`CuttingProxy(port)` listens on 127.0.0.1 and forwards every connection to the server on `port`.
Armed with `cut_during(direction, larger_than, after)`, it waits for an HTTP body whose
Content-Length is at least `larger_than` ("up": a request body, an upload; "down": a response
body, a download) and, once `after` bytes of it have passed, goes down as a crashed server would:
every open connection is reset and new ones are refused until `restore()`. `cut` records what was
in flight.

HTTP is read only as far as needed: a client sends a request only after the previous response on
that connection, so each request (and each response) starts a fresh read of its direction.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import struct
import threading
from dataclasses import dataclass

HOST = "127.0.0.1"
_POLL_S = 0.05
_HEAD = re.compile(
    rb"^(?:(?:GET|HEAD|POST|PUT|PATCH|DELETE) \S+ HTTP/1\.[01]|HTTP/1\.[01] \d{3}[^\r]*)\r\n"
)
_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Cut:
    """The transfer the proxy cut: its request line, its body's declared size, bytes through."""

    direction: str  # "up" (request body) or "down" (response body)
    request: str  # the request line, e.g. "GET /download/storage/v1/b/B/o/NAME?alt=media HTTP/1.1"
    size: int  # Content-Length of the body that was cut
    through: int  # bytes of that body the proxy forwarded before going down


class _Body:
    """Progress of the HTTP message now passing in one direction of one connection."""

    def __init__(self) -> None:
        self.head = ""
        self.size = 0
        self.through = 0

    def feed(self, chunk: bytes) -> None:
        """Account for `chunk`: the start of a new message (head, maybe some body), or more body."""
        match = _HEAD.match(chunk)
        if match is None:
            self.through += len(chunk)
            return
        end = chunk.find(b"\r\n\r\n")
        length = _LENGTH.search(chunk[: end if end >= 0 else len(chunk)])
        self.head = match.group(0).decode("latin-1").strip()
        self.size = int(length.group(1)) if length else 0
        self.through = len(chunk) - (end + 4) if end >= 0 else 0


class CuttingProxy:
    """Forwards 127.0.0.1:`self.port` to 127.0.0.1:`upstream_port`; see the module docstring."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.cut: Cut | None = None
        self._lock = threading.Lock()
        self._armed: tuple[str, int, int] | None = None
        self._down = threading.Event()  # a new one each time the proxy comes up
        self._listener = self._listen(0)
        self.port: int = self._listener.getsockname()[1]
        self._acceptor = self._serve()

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def cut_during(self, direction: str, larger_than: int, after: int) -> None:
        """Go down `after` bytes into the first `direction` body of `larger_than` bytes or more."""
        assert direction in ("up", "down") and 0 < after < larger_than, (direction, after)
        with self._lock:
            self._armed = (direction, larger_than, after)

    def restore(self) -> None:
        """Come back up on the same port (a no-op while up)."""
        if self._down.is_set():
            self._acceptor.join()  # the old listener is closed
            self._down = threading.Event()
            self._listener = self._listen(self.port)
            self._acceptor = self._serve()

    def close(self) -> None:
        """Go down for good: reset every connection, close the listener."""
        self._go_down(self._down)
        self._acceptor.join()

    def _go_down(self, down: threading.Event) -> None:
        """Refuse connections from now on (shutting a listener down stops it listening, at once);
        every pump resets its connection within _POLL_S."""
        down.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)

    def _listen(self, port: int) -> socket.socket:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((HOST, port))
        listener.listen(64)
        return listener

    def _serve(self) -> threading.Thread:
        args = (self._listener, self._down)
        acceptor = threading.Thread(target=self._accept, args=args, daemon=True)
        acceptor.start()
        return acceptor

    def _accept(self, listener: socket.socket, down: threading.Event) -> None:
        with listener, contextlib.suppress(OSError):  # OSError: shut down while accepting
            while not down.is_set():
                if not select.select([listener], [], [], _POLL_S)[0]:
                    continue
                client, _ = listener.accept()
                try:
                    upstream = socket.create_connection((HOST, self.upstream_port))
                except OSError:  # the server itself is down
                    _reset(client)
                    continue
                request, response = _Body(), _Body()
                for src, dst, body in ((client, upstream, request), (upstream, client, response)):
                    threading.Thread(
                        target=self._pump, args=(src, dst, body, request, down), daemon=True
                    ).start()

    def _pump(
        self,
        src: socket.socket,
        dst: socket.socket,
        body: _Body,
        request: _Body,
        down: threading.Event,
    ) -> None:
        """Copy `src` to `dst`, `body` following its messages (`request`: the same connection's
        requests, which `body` is when this is the upload direction)."""
        with contextlib.suppress(OSError, ValueError):  # a side reset, or the other pump closed it
            while not down.is_set():
                if not select.select([src], [], [], _POLL_S)[0]:
                    continue
                chunk = src.recv(1 << 16)
                if not chunk:  # an orderly end of stream: pass it on
                    dst.shutdown(socket.SHUT_WR)
                    return
                keep = self._keep(body, request, chunk)
                dst.sendall(chunk[:keep])
                if keep < len(chunk):
                    self._go_down(down)
        _reset(src)  # gone down, or broken: the peers see a reset
        _reset(dst)

    def _keep(self, body: _Body, request: _Body, chunk: bytes) -> int:
        """How many bytes of `chunk` to forward: all, or fewer when the armed cut falls inside."""
        body.feed(chunk)
        direction = "up" if body is request else "down"
        with self._lock:
            if self._armed is None or self._armed[0] != direction:
                return len(chunk)
            _, larger_than, after = self._armed
            if body.size < larger_than or body.through <= after:
                return len(chunk)
            self._armed = None
            self.cut = Cut(direction, request.head, body.size, after)
            return len(chunk) - (body.through - after)


def _reset(sock: socket.socket) -> None:
    """Close `sock` so that the peer sees a reset (RST), not an orderly end of stream."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
