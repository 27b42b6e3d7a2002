"""``genpool watch``: the app on a watch client's replicas, live.

The client (:func:`genpool.watch.connect`) applies the producer's stream
to its replicas from its own thread; the replicas' events reach the
app's feeds like any pool's, so the picture is drawn exactly as for a
local pool.  The connection bar shows the producer and the client's
state; when the producer goes stale or away the last picture stays,
marked, and when the client has reconnected (a new snapshot, a new
generation of replicas) the app binds the new pools and goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from .connection_bar import ConnectionBar, producer_text
from .replica_app import ReplicaApp

if TYPE_CHECKING:
    from genpool.replica import ReplicaSet

__all__ = ["WatchApp", "WatchSource"]


class WatchSource(Protocol):
    """What the app reads of a :class:`genpool.watch.WatchClient`."""

    replicas: ReplicaSet
    status: str
    error: str | None

    @property
    def header(self) -> dict[str, object] | None:
        """The producer's stream header."""


class WatchApp(ReplicaApp):
    """The TUI on ``client``'s replicas; ``address`` is what the connection bar names."""

    TITLE = "genpool watch"
    kind = "watched"
    CSS = """
    .-stale #bitmap { border: round $warning; }
    .-disconnected #bitmap { border: round $error; }
    """

    def __init__(self, client: WatchSource, address: str, **options: object) -> None:
        super().__init__(**options)
        self.client = client
        self.address = address
        self.status = ""
        #: The last stream header seen (pid, argv ...).
        self.producer: dict[str, object] | None = None
        self.connection_bar = ConnectionBar(id="connection")

    @property
    def replicas(self) -> ReplicaSet:
        """The client's replica set."""
        return self.client.replicas

    async def on_mount(self) -> None:  # type: ignore[override]  # Textual awaits a coroutine handler
        """Put the connection bar under the title (the app's own mount handler runs after this one)."""
        await self.mount(self.connection_bar, before=self.query_one("#body"))

    def before_frame(self) -> None:
        """Show the connection's state (the replicas are drawn next)."""
        client = self.client
        status = client.status
        replicas = client.replicas
        # The bar keeps naming the producer seen last, whatever the client holds while it reconnects.
        header = client.header
        if header is not None and header is not self.producer:
            if self.producer is not None and header.get("pid") != self.producer.get("pid"):
                self.event_log.note(f"producer is now {producer_text(header)}")
            self.producer = header
        self.connection_bar.show(status, self.address, self.producer, replicas.seq, client.error)
        if status != self.status:
            if self.status:
                detail = f": {client.error}" if client.error and status != "connected" else ""
                self.event_log.note(f"connection {self.status} → {status}{detail}")
            self.set_class(status == "stale", "-stale")
            self.set_class(status == "disconnected", "-disconnected")
            self.status = status
