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

import hmac
import ipaddress
import json
import os
import secrets
import socket
import stat
import threading
from collections import deque
from typing import Any

from .errors import CorruptTrace, GenPoolError, InvalidArgument
from .producer import Endpoint, Sink, add_endpoint, remove_endpoint
from .replica import ReplicaSet
from .stream import check_header

__all__ = ["STATUSES", "WatchClient", "WatchServer", "connect", "parse_address", "serve"]

#: What :attr:`WatchClient.status` can be.
STATUSES = ("connecting", "connected", "stale", "disconnected")
#: Bytes queued for one viewer before it is considered stuck and resynced instead.
VIEWER_BACKLOG = 4 << 20
#: Viewers served at once; more are turned away.
MAX_VIEWERS = 32
_HELLO_LIMIT = 4096
_HEADER_TIMEOUT = 5.0


def parse_address(address: object, *, allow_remote: bool = False) -> tuple[str, Any]:
    """``("unix", path)`` or ``("tcp", (host, port))`` for ``address``; InvalidArgument if malformed.

    A TCP host that is not loopback is refused unless ``allow_remote``.
    """
    if not isinstance(address, str):
        raise InvalidArgument(f"address must be a string like unix:PATH or HOST:PORT, not {type(address).__name__}")
    if address.startswith("unix:"):
        path = address[5:]
        if not path or "\0" in path:
            raise InvalidArgument(f"address {address!r} names no socket path")
        return "unix", path
    host, colon, port_text = address.rpartition(":")
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not colon or not host or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise InvalidArgument(f"address {address!r} is not unix:PATH or HOST:PORT (port 0..65535)")
    if not allow_remote and not _is_loopback(host):
        raise InvalidArgument(
            f"address {address!r} is not loopback: allow remote watching explicitly (--allow-remote), with a token"
        )
    return "tcp", (host, int(port_text))


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_token(token: object) -> str | None:
    if token is not None and (not isinstance(token, str) or not token or "\n" in token):
        raise InvalidArgument("token must be a non-empty one-line string or None")
    return token


# -- the producer's side ------------------------------------------------------------


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

    def send(self, data: bytes) -> None:
        if self.closed:
            return
        self._out.append(memoryview(data))
        self._queued += len(data)
        self.flush()
        if self._queued > VIEWER_BACKLOG:
            # Stuck: keep only the line being sent, and resync once it reads again.
            while len(self._out) > 1:
                self._queued -= len(self._out.pop())
            self.needs_snapshot = True

    def ready_for_snapshot(self) -> bool:
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
        for viewer in self._viewers:
            viewer.receive(self.token)
            viewer.flush()
        self._viewers = [viewer for viewer in self._viewers if not viewer.closed]

    def sinks(self) -> list[Sink]:
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
    token = _check_token(token)
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
        raise InvalidArgument(f"cannot listen on {address!r}: {exc.strerror or exc}") from None
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


# -- the viewer's side --------------------------------------------------------------


class WatchClient:
    """Replicas of a producer's pools, kept up to date by a background thread.

    ``status`` is one of :data:`STATUSES`: ``connecting`` until the first
    snapshot, ``connected``, ``stale`` when the connection was lost
    (the replicas keep the last picture while it reconnects),
    ``disconnected`` after :meth:`close` or an error that retrying cannot
    mend (not a genpool stream, a wrong token, an unknown version);
    ``error`` says why, in one line.
    """

    def __init__(self, address: str, *, token: str | None = None, allow_remote: bool = False) -> None:
        self._kind, self._where = parse_address(address, allow_remote=allow_remote)
        self._token = _check_token(token)
        self.address = address
        self.replicas = ReplicaSet(address)
        self.status = "connecting"
        self.error: str | None = None
        self._changed = threading.Condition()
        self._closed = False
        self._sock: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, name=f"genpool-watch {address}", daemon=True)
        self._thread.start()

    def __repr__(self) -> str:
        return f"<WatchClient {self.address} {self.status} seq={self.replicas.seq}>"

    @property
    def pools(self) -> dict[int, Any]:
        """The replica pools by the stream's pool id."""
        return self.replicas.pools

    @property
    def header(self) -> dict[str, Any] | None:
        """The producer's header (pid, argv, genpool version, time), once connected."""
        return self.replicas.header

    def wait_for(self, seq: int, timeout: float | None = None) -> bool:
        """Wait until records up to ``seq`` are applied; False on timeout or disconnection."""
        with self._changed:
            return (
                self._changed.wait_for(
                    lambda: (self.status == "connected" and self.replicas.seq >= seq) or self.status == "disconnected",
                    timeout,
                )
                and self.status == "connected"
            )

    def wait_connected(self, timeout: float | None = None) -> bool:
        """Wait for the first snapshot (or a reconnection); False on timeout or disconnection."""
        return self.wait_for(0, timeout)

    def close(self) -> None:
        """Disconnect and stop the thread."""
        self._closed = True
        sock = self._sock
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join()
        self._set("disconnected", self.error)

    # -- the thread ------------------------------------------------------------------

    def _set(self, status: str, error: str | None) -> None:
        with self._changed:
            self.status, self.error = status, error
            self._changed.notify_all()

    def _run(self) -> None:
        delay = 0.05
        connected_once = False
        while not self._closed:
            try:
                self._session()
            except (CorruptTrace, InvalidArgument) as exc:
                if self.replicas.header is None:  # not a genpool stream at all: retrying will not help
                    self._set("disconnected", str(exc))
                    return
                error = str(exc)
            except _Refused as exc:
                self._set("disconnected", str(exc))
                return
            except OSError as exc:
                error = f"{self.address}: {exc.strerror or exc}"
            else:
                error = f"{self.address}: the producer closed the connection"
            if self.status == "connected":
                connected_once, delay = True, 0.05
            if self._closed:
                break
            self._set("stale" if connected_once else "connecting", error)
            threading.Event().wait(delay)
            delay = min(delay * 2, 1.0)
        self._set("disconnected", self.error)

    def _session(self) -> None:
        family = (
            socket.AF_UNIX if self._kind == "unix" else socket.AF_INET6 if ":" in self._where[0] else socket.AF_INET
        )
        sock = socket.socket(family, socket.SOCK_STREAM)
        self._sock = sock
        try:
            sock.settimeout(_HEADER_TIMEOUT)
            sock.connect(self._where)
            sock.sendall(json.dumps({"type": "hello", "token": self._token}).encode() + b"\n")
            self.replicas.header = None
            pending = b""
            line = 0
            while not self._closed:
                try:
                    data = sock.recv(1 << 16)
                except TimeoutError:
                    if self.replicas.header is None:
                        raise _Refused(f"{self.address}: no genpool header within {_HEADER_TIMEOUT:g} s") from None
                    continue
                if not data:
                    return
                lines = (pending + data).split(b"\n")
                pending = lines.pop()
                with self._changed:
                    for raw in lines:
                        line += 1
                        self._apply(raw, line)
                    self._changed.notify_all()
                if self.replicas.header is not None and self.status != "connected":
                    self._set("connected", None)
                    sock.settimeout(0.5)
        finally:
            self._sock = None
            sock.close()

    def _apply(self, raw: bytes, line: int) -> None:
        try:
            record = json.loads(raw)
        except ValueError:
            raise CorruptTrace("not JSON", path=self.address, line=line) from None
        if line == 1:
            if type(record) is dict and record.get("type") == "error":
                raise _Refused(f"{self.address}: the producer refused: {record.get('message')}")
            self.replicas.apply(check_header(record, self.address))
        else:
            self.replicas.apply(record, line)


class _Refused(GenPoolError):
    """The producer turned the viewer away, or is not a genpool producer."""


def connect(address: str, *, token: str | None = None, allow_remote: bool = False) -> WatchClient:
    """A :class:`WatchClient` keeping replicas of the pools served at ``address``.

    Returns at once; the client connects in the background (see
    ``wait_connected``).  InvalidArgument at once for a malformed
    address, or a remote one without ``allow_remote``.
    """
    return WatchClient(address, token=token, allow_remote=allow_remote)
