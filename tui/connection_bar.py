"""The connection header of ``genpool watch``: who the producer is, and whether it is still there."""

from __future__ import annotations

import shlex
from collections.abc import Mapping

from textual.widgets import Static

__all__ = ["ConnectionBar", "describe_connection", "producer_text"]

#: The client's states, and how the bar marks each (a glyph, so the state is not told by colour alone).
STATES = {
    "connecting": "◌ connecting",
    "connected": "● live",
    "stale": "◐ STALE",
    "disconnected": "○ LOST",
}
#: Longest producer command line shown; the rest is cut with an ellipsis.
ARGV_WIDTH = 60


def producer_text(header: Mapping[str, object] | None) -> str:
    """``pid 1234 · python prog.py --x`` from a stream header (``"no producer yet"`` without one)."""
    if not header:
        return "no producer yet"
    argv = header.get("argv")
    command = shlex.join(str(arg) for arg in argv) if isinstance(argv, list | tuple) else str(argv or "?")
    if len(command) > ARGV_WIDTH:
        command = command[: ARGV_WIDTH - 1] + "…"
    return f"pid {header.get('pid', '?')} · {command}"


def describe_connection(
    status: str, address: str, header: Mapping[str, object] | None, seq: int, error: str | None
) -> str:
    """The bar's one line for a client in ``status``; a lost producer's last picture is said to be old."""
    state = STATES.get(status, status)
    if error:
        error = error.removeprefix(f"{address}: ")  # the bar names the address once
    producer = producer_text(header)
    if status == "connected":
        return f"{state} · seq {seq:,} · {address} · {producer}"
    if status == "connecting":
        return f"{state} to {address}…" + (f" ({error})" if error else "")
    reason = f" ({error})" if error else ""
    # Stale: silent, or gone while the client reconnects (the reason says which).
    then = "waiting for the producer…" if status == "stale" else "not reconnecting"
    return f"{state}{reason} · last picture kept (seq {seq:,}), {then} · {address} · {producer}"


class ConnectionBar(Static):
    """One line under the title: the producer, the address, the state; stale and lost stand out."""

    DEFAULT_CSS = """
    ConnectionBar {
        height: 1;
        padding: 0 1;
        background: $success 30%;
        color: $text;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    ConnectionBar.-connecting { background: $primary 30%; }
    ConnectionBar.-stale { background: $warning 60%; text-style: bold; }
    ConnectionBar.-disconnected { background: $error 60%; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.status = ""
        self._text = ""

    def show(self, status: str, address: str, header: Mapping[str, object] | None, seq: int, error: str | None) -> None:
        """Draw the line for this state (only when something changed)."""
        text = describe_connection(status, address, header, seq, error)
        if status != self.status:
            self.set_classes(f"-{status}")
            self.status = status
        if text != self._text:
            self._text = text
            self.update(text, layout=False)  # one line of fixed size: no layout pass every frame
