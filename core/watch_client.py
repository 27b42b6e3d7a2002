"""The viewer's side of watching: a :class:`WatchClient` keeping replicas of a producer's pools.

Its background thread connects, says hello (with the token, if any),
applies the stream to a :class:`~genpool.replica.ReplicaSet`, and when
the producer goes away keeps the last picture, marks it stale and
reconnects with backoff; the new snapshot replaces the pools.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from typing import Any

from .errors import CorruptTrace, GenPoolError, InvalidArgument
from .replica import ReplicaSet
from .stream import check_header, parse_record
from .watch_address import check_token, parse_address

__all__ = ["STATUSES", "WatchClient", "connect"]

#: What :attr:`WatchClient.status` can be.
STATUSES = ("connecting", "connected", "stale", "disconnected")
#: Seconds without a word from the producer (it sends a tick every second) before it counts as stale.
STALE_AFTER = 3.0
_HEADER_TIMEOUT = 5.0
#: After applying for this many seconds at a stretch the thread sleeps for :data:`_PAUSE` seconds.
#: A viewer's UI thread shares the interpreter with it; on a multi-core machine a thread that
#: gives up the GIL only for a socket read takes it straight back, and a fast stream starved the
#: app's frames (14 fps).  A sleep lets a waiting thread in, for about 5 % of the applying rate.
_STRETCH = 0.002
_PAUSE = 0.0001


class WatchClient:
    """Replicas of a producer's pools, kept up to date by a background thread.

    ``status`` is one of :data:`STATUSES`: ``connecting`` until the first
    snapshot, ``connected``, ``stale`` when the connection was lost or
    the producer has said nothing for :data:`STALE_AFTER` seconds (the
    replicas keep the last picture while it reconnects or wakes up),
    ``disconnected`` after :meth:`close` or an error that retrying cannot
    mend (not a genpool stream, a wrong token, an unknown version);
    ``error`` says why, in one line.
    """

    def __init__(self, address: str, *, token: str | None = None, allow_remote: bool = False) -> None:
        self._kind, self._where = parse_address(address, allow_remote=allow_remote)
        self._token = check_token(token)
        self.address = address
        self.replicas = ReplicaSet(address)
        self.status = "connecting"
        self.error: str | None = None
        self._changed = threading.Condition()
        self._closed = False
        self._woken = threading.Event()  # cuts a reconnection's wait short when the client closes
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
        """Wait until records up to ``seq`` are applied (a snapshot whole); False on timeout or disconnection."""
        if type(seq) is not int:
            raise InvalidArgument(f"seq must be an integer, not {type(seq).__name__}")
        if timeout is not None and (not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout < 0):
            raise InvalidArgument(f"timeout must be a non-negative number of seconds or None, not {timeout!r}")
        with self._changed:
            return (
                self._changed.wait_for(
                    lambda: (
                        (self.status == "connected" and self.replicas.seq >= seq and not self.replicas.loading)
                        or self.status == "disconnected"
                    ),
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
        self._woken.set()
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
            except CorruptTrace as exc:  # a stream gone wrong mid-way: a new connection starts afresh
                error = str(exc)
            except _Refused as exc:  # not a genpool producer, or one that turned us away: retrying will not help
                self._set("disconnected", str(exc))
                return
            except OSError as exc:
                error = f"{self.address}: {exc.strerror or exc}"
            else:
                error = f"{self.address}: the producer closed the connection"
            if self.status in ("connected", "stale"):  # (stale here: it had gone silent first)
                connected_once, delay = True, 0.05
            if self._closed:
                break
            self._set("stale" if connected_once else "connecting", error)
            self._woken.wait(delay)
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
            pending = b""
            line = 0
            heard = time.monotonic()
            stretch = time.perf_counter()
            while not self._closed:
                try:
                    data = sock.recv(1 << 16)
                except TimeoutError:
                    if line == 0:
                        raise _Refused(f"{self.address}: no genpool header within {_HEADER_TIMEOUT:g} s") from None
                    silent = time.monotonic() - heard
                    if silent > STALE_AFTER and self.status == "connected":
                        self._set("stale", f"{self.address}: no word from the producer for {silent:.0f} s")
                    continue
                if not data:
                    return
                heard = time.monotonic()
                lines = (pending + data).split(b"\n")
                pending = lines.pop()
                with self._changed:
                    for raw in lines:
                        line += 1
                        self._apply(raw, line)
                    self._changed.notify_all()
                if time.perf_counter() - stretch >= _STRETCH:
                    time.sleep(_PAUSE)
                    stretch = time.perf_counter()
                if line and self.status != "connected":
                    self._set("connected", None)
                    sock.settimeout(0.5)
        finally:
            self._sock = None
            sock.close()

    def _apply(self, raw: bytes, line: int) -> None:
        try:
            record = parse_record(raw)
        except ValueError:
            if line == 1:
                raise _Refused(f"{self.address}: not a genpool stream (its first line is not JSON)") from None
            raise CorruptTrace("not JSON", path=self.address, line=line) from None
        if line == 1:
            if type(record) is dict and record.get("type") == "error":
                raise _Refused(f"{self.address}: the producer refused: {record.get('message')}")
            try:
                self.replicas.apply(check_header(record, self.address))
            except (CorruptTrace, InvalidArgument) as exc:
                raise _Refused(str(exc)) from None
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
