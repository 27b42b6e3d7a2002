"""Live watching: a program serves its pools' stream, a viewer keeps replicas of them.

``serve(address)`` (or ``GENPOOL_WATCH=address``) makes this process a
producer: every viewer that connects gets the stream header, a snapshot
of every pool, then the events (``docs/trace-format.md``).  The server
lives in the producer's writer thread and never blocks the program: a
viewer that reads too slowly gets a resync and a fresh snapshot rather
than unbounded memory; one that disconnects, sends garbage or connects
twice changes nothing for the others.

``connect(address)`` returns a :class:`WatchClient` whose background
thread keeps a :class:`~genpool.replica.ReplicaSet` equal to the
producer's pools, and reconnects with backoff when the producer goes
away.  Addresses are ``unix:PATH`` or ``HOST:PORT``; a host other than
loopback needs ``allow_remote=True``, and then a token the viewer must
present.
"""

from __future__ import annotations

import errno
import hmac
import json
import os
import secrets
import socket
import stat
import time
from collections import deque

from .errors import InvalidArgument
from .producer import Endpoint, Sink, add_endpoint, remove_endpoint
from .watch_address import check_token, parse_address
from .watch_client import STATUSES, WatchClient, connect

__all__ = ["STATUSES", "WatchClient", "WatchServer", "connect", "parse_address", "serve"]

#: Bytes queued for one viewer before it is considered stuck and resynced instead.
VIEWER_BACKLOG = 4 << 20
#: Viewers served at once; more are turned away.
MAX_VIEWERS = 32
#: Seconds of silence after which a viewer is sent a ``tick`` (so that it can tell a hung producer).
HEARTBEAT = 1.0
_HELLO_LIMIT = 4096
_PIECE = 1 << 16
_TICK = b'{"type":"tick"}\n'


class _Viewer(Sink):
    """One connected viewer: its socket and the bytes queued for it."""

    def __init__(self, sock: socket.socket) -> None:
        super().__init__()
        self.sock = sock
        self.greeted = False
        self.closed = False
        self._hello = b""
        self._out: deque[memoryview] = deque()
        self._queued = 0
        self.last_send = time.monotonic()

    def send(self, data: bytes) -> None:
        """Queue the lines and send what the socket takes; past the backlog limit, drop them and resync."""
        if self.closed:
            return
        # In pieces of whole lines, so that a stuck viewer's backlog can be cut at a line's end.
        view, start = memoryview(data), 0
        while start < len(data):
            end = data.find(b"\n", start + _PIECE) + 1 or len(data)
            self._out.append(view[start:end])
            start = end
        self._queued += len(data)
        self.last_send = time.monotonic()
        self.flush()
        if self._queued > VIEWER_BACKLOG:
            # Stuck: keep only the line being sent, and resync once it reads again.
            while len(self._out) > 1:
                self._queued -= len(self._out.pop())
            self.needs_snapshot = True

    def ready_for_snapshot(self) -> bool:
        """Only once the viewer has said hello and read everything queued for it."""
        return not self._out and self.greeted

    def flush(self) -> None:
        """Send what the socket takes now."""
        out = self._out
        while out and not self.closed:
            try:
                sent = self.sock.send(out[0])
            except BlockingIOError:
                return
            except OSError:
                self.close()
                return
            self._queued -= sent
            if sent == len(out[0]):
                out.popleft()
            else:
                out[0] = out[0][sent:]

    def receive(self, token: str | None) -> None:
        """Read what the viewer sent: its hello line once, anything after is ignored."""
        try:
            data = self.sock.recv(_HELLO_LIMIT)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self.close()
            return
        if self.greeted:
            return
        self._hello += data
        if b"\n" not in self._hello:
            if len(self._hello) >= _HELLO_LIMIT:
                self.close()
            return
        try:
            hello = json.loads(self._hello.partition(b"\n")[0])
        except ValueError:
            hello = None
        if type(hello) is not dict or hello.get("type") != "hello":
            self.close()
            return
        given = hello.get("token")
        if token is not None and not (isinstance(given, str) and hmac.compare_digest(given, token)):
            self.send(b'{"type":"error","message":"wrong or missing token"}\n')
            self.close()
            return
        self.greeted = True

    def close(self) -> None:
        """Send what is queued (waiting at most a second), then close the socket."""
        if not self.closed:
            self.closed = True
            try:
                self.sock.setblocking(True)
                self.sock.settimeout(1.0)
                for chunk in self._out:
                    self.sock.sendall(chunk)
            except OSError:
                pass
            self._out.clear()
            self.sock.close()


class WatchServer(Endpoint):
    """A listening socket that streams every pool to the viewers that connect.

    ``address`` is where it listens (with the real port when 0 was
    asked), ``token`` what a viewer must present (None for none).
    """

    def __init__(self, sock: socket.socket, address: str, token: str | None, unix_path: str | None) -> None:
        self._sock = sock
        self.address = address
        self.token = token
        self._unix_path = unix_path
        self._viewers: list[_Viewer] = []
        self._closed = False

    def __repr__(self) -> str:
        return f"<WatchServer {self.address} viewers={len(self._viewers)}>"

    def service(self) -> None:
        """Accept new viewers, read their hellos, send what waits, and tick to the quiet ones."""
        while True:
            try:
                conn, _ = self._sock.accept()
            except (BlockingIOError, OSError):
                break
            if len(self._viewers) >= MAX_VIEWERS:
                conn.close()
                continue
            conn.setblocking(False)
            self._viewers.append(_Viewer(conn))
        now = time.monotonic()
        for viewer in self._viewers:
            viewer.receive(self.token)
            viewer.flush()
            if viewer.greeted and not viewer.needs_snapshot and now - viewer.last_send > HEARTBEAT:
                viewer.send(_TICK)  # all quiet here, but alive: the viewer can tell a hung producer
        self._viewers = [viewer for viewer in self._viewers if not viewer.closed]

    def sinks(self) -> list[Sink]:
        """The viewers that said hello."""
        return [viewer for viewer in self._viewers if viewer.greeted]

    @property
    def viewers(self) -> int:
        """Viewers connected now."""
        return len(self._viewers)

    def close(self) -> None:
        """Stop serving: flush and drop every viewer, close the socket (and remove a Unix socket's file)."""
        if self._closed:
            return
        self._closed = True
        remove_endpoint(self)
        for viewer in self._viewers:
            viewer.close()
        self._viewers = []
        self._sock.close()
        if self._unix_path is not None:
            try:
                os.unlink(self._unix_path)
            except OSError:
                pass


def serve(address: str, *, allow_remote: bool = False, token: str | None = None) -> WatchServer:
    """Stream every pool of this process to viewers connecting at ``address``.

    ``unix:PATH`` or ``HOST:PORT`` (port 0 picks a free one; see
    ``server.address``).  A host other than loopback needs
    ``allow_remote=True`` and then a token: ``token`` or a generated one
    (``server.token``).  InvalidArgument for a malformed address, a
    remote one without ``allow_remote``, or an address in use.
    """
    kind, where = parse_address(address, allow_remote=allow_remote)
    token = check_token(token)
    if allow_remote and token is None:
        token = secrets.token_urlsafe(16)
    unix_path = None
    try:
        if kind == "unix":
            unix_path = where
            _clear_stale_socket(where, address)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.bind(where)
                sock.listen(8)
            except OSError:
                sock.close()
                raise
            shown = address
        else:
            family = socket.AF_INET6 if ":" in where[0] else socket.AF_INET
            sock = socket.create_server(where, family=family, backlog=8)
            host, port = sock.getsockname()[:2]
            shown = f"[{host}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
    except OSError as exc:
        reason = "address already in use" if exc.errno == errno.EADDRINUSE else os.strerror(exc.errno or 0)
        raise InvalidArgument(f"cannot listen on {address!r}: {reason}") from None
    sock.setblocking(False)
    server = WatchServer(sock, shown, token, unix_path)
    add_endpoint(server)
    return server


def _clear_stale_socket(path: str, address: str) -> None:
    """Remove a Unix socket file nobody listens on any more; refuse one in use or a non-socket."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise InvalidArgument(f"cannot listen on {address!r}: the path exists and is not a socket")
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(path)
    except OSError:
        os.unlink(path)
        return
    finally:
        probe.close()
    raise InvalidArgument(f"cannot listen on {address!r}: address already in use")
