"""Where the producer's stream goes: sinks (a trace file, a viewer) and the endpoints that hold them."""

from __future__ import annotations

__all__ = ["Endpoint", "Sink"]


class Sink:
    """Where stream lines go: a trace file or one viewer's connection.

    ``min_seq`` is the ``seq`` of the snapshot it last received: lines at
    or below it are already reflected and are not sent.  A sink that
    sets ``needs_snapshot`` gets a resync and a fresh snapshot as soon as
    :meth:`ready_for_snapshot` says so.
    """

    def __init__(self) -> None:
        self.min_seq = -1
        self.needs_snapshot = True
        self.header_sent = False

    def send(self, data: bytes) -> None:
        """Take complete lines; never block for long."""
        raise NotImplementedError

    def ready_for_snapshot(self) -> bool:
        """Whether a snapshot may be queued now (a stuck viewer's may not, to bound memory)."""
        return True

    def close(self) -> None:
        """Flush what can be flushed and let go."""


class Endpoint:
    """A source of sinks the writer thread services: a trace file, or a server and its viewers."""

    def service(self) -> None:
        """Accept and read, without blocking (called by the writer thread every cycle)."""

    def sinks(self) -> list[Sink]:
        """The sinks to feed this cycle."""
        raise NotImplementedError

    def close(self) -> None:
        """Close every sink."""
