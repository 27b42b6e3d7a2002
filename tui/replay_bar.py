"""The replay control bar: play state, speed, position, and a scrubber to any ``seq``."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Label, ProgressBar

__all__ = ["ReplayBar", "Scrubber", "describe_position"]

#: A scrubber key moves this fraction of the trace (at least one seq).
KEY_FRACTION = 0.01


def describe_position(playing: bool, speed: int, seq: int, last: int, reached: int | None = None) -> str:
    """``▶ playing · 100 ev/s · seq 1,234 / 5,678``: the bar's text (a glyph for the state, not colour alone).

    ``reached``: the rate actually played, when it falls short of ``speed``.
    """
    state = "▶ playing" if playing else "❚❚ paused"
    rate = f"{speed:,} ev/s" if reached is None else f"{reached:,} of {speed:,} ev/s"
    return f"{state} · {rate} · seq {seq:,} / {last:,}"


class Scrubber(ProgressBar, can_focus=True):
    """The trace as a bar from its first to its last ``seq``; a click or a key asks to seek there."""

    BINDINGS = [
        Binding("left", "nudge(-1)", "Back", show=False),
        Binding("right", "nudge(1)", "Forward", show=False),
        Binding("home", "edge(-1)", "First", show=False),
        Binding("end", "edge(1)", "Last", show=False),
    ]
    DEFAULT_CSS = """
    Scrubber { width: 1fr; }
    Scrubber > #bar { width: 1fr; }
    """

    class Seek(Message):
        """The user asked to see the pools at ``seq``."""

        def __init__(self, seq: int) -> None:
            super().__init__()
            self.seq = seq

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(total=1, show_eta=False, show_percentage=False, id=id)
        self.first = 0
        self.last = 0
        self.seq = 0

    def show(self, seq: int, first: int, last: int) -> None:
        """Place the bar at ``seq`` within ``first..last``."""
        if (seq, first, last) != (self.seq, self.first, self.last):
            self.seq, self.first, self.last = seq, first, last
            self.update(total=max(1, last - first), progress=max(0, seq - first))

    def _ask(self, seq: int) -> None:
        self.post_message(self.Seek(min(self.last, max(self.first, seq))))

    def on_click(self, event: events.Click) -> None:
        """Seek to the ``seq`` under the click."""
        bar = self.query_one("#bar")
        offset = event.get_content_offset(bar)
        if offset is None:
            return
        width = max(1, bar.content_size.width - 1)
        self._ask(self.first + round((self.last - self.first) * min(offset.x, width) / width))

    def action_nudge(self, direction: int) -> None:
        """Seek a hundredth of the trace back or forward."""
        step = max(1, round((self.last - self.first) * KEY_FRACTION))
        self._ask(self.seq + direction * step)

    def action_edge(self, direction: int) -> None:
        """Seek to the first or the last ``seq``."""
        self._ask(self.first if direction < 0 else self.last)


class ReplayBar(Horizontal):
    """The replay's state and speed, and the scrubber."""

    DEFAULT_CSS = """
    ReplayBar { height: 1; padding: 0 1; background: $panel; }
    ReplayBar > #replay-state { width: 58; padding-right: 2; text-wrap: nowrap; text-overflow: ellipsis; }
    """

    def compose(self) -> ComposeResult:
        """The state label and the scrubber."""
        yield Label("loading…", id="replay-state", markup=False)
        yield Scrubber(id="scrubber")

    def show(self, playing: bool, speed: int, seq: int, first: int, last: int, reached: int | None = None) -> None:
        """Show the position and state (``reached``: the rate played, when short of ``speed``)."""
        # A fixed width: no layout pass every frame while playing.
        text = describe_position(playing, speed, seq, last, reached)
        self.query_one("#replay-state", Label).update(text, layout=False)
        self.query_one(Scrubber).show(seq, first, last)
