"""The event log: what happened to the pools, newest last, coalesced per frame.

A Line-API widget over a bounded deque of lines.  Its virtual height is
fixed at :attr:`EventLog.CAPACITY` and lines sit at the bottom, so
writing never changes the widget's size: a burst of events costs a
repaint of the log's few rows, never a layout of the screen.
"""

from __future__ import annotations

from collections import deque

from genpool.events import AlgorithmSet, Allocated, BugRaised, ChunkAdded, Destroyed, Event, Freed
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .owners import owner_text

__all__ = ["EventLog", "describe_event"]


def describe_event(event: Event) -> str:
    """One line for an event (no sequence number or time: those vary run to run)."""
    if isinstance(event, Allocated):
        return (
            f"alloc {event.size} B at {event.addr:#x} ({event.nbytes} B, {event.algorithm}, "
            f"owner {owner_text(event.owner)})"
        )
    if isinstance(event, Freed):
        return f"free {event.size} B at {event.addr:#x} ({event.nbytes} B)"
    if isinstance(event, ChunkAdded):
        chunk = event.chunk
        return f"chunk {chunk.start_addr:#x}-{chunk.end_addr:#x} added"
    if isinstance(event, AlgorithmSet):
        return f"algorithm set to {event.algorithm}"
    if isinstance(event, Destroyed):
        return "destroyed"
    if isinstance(event, BugRaised):
        return "BUG: " + event.message.splitlines()[0]
    return type(event).__name__


class EventLog(ScrollView, can_focus=True):
    """The last :attr:`CAPACITY` lines; a burst shows its last events and how many more there were."""

    CAPACITY = 400
    COMPONENT_CLASSES = {"event-log--bug", "event-log--note", "event-log--more"}
    DEFAULT_CSS = """
    EventLog > .event-log--bug { color: $error; text-style: bold; }
    EventLog > .event-log--note { color: $text-muted; text-style: italic; }
    EventLog > .event-log--more { color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: deque[tuple[str, str]] = deque(maxlen=self.CAPACITY)
        self.virtual_size = Size(0, self.CAPACITY)

    def on_mount(self) -> None:
        """Start scrolled to the newest line."""
        self.scroll_end(animate=False, immediate=True)

    def on_resize(self, event: events.Resize) -> None:
        """Keep the newest line in view."""
        self.virtual_size = Size(self.scrollable_content_region.width, self.CAPACITY)
        self.scroll_end(animate=False, immediate=True)

    def add(self, label: str, events: list[Event], total: int) -> None:
        """Log the ``events`` of pool ``label``, of ``total`` since the last frame."""
        skipped = total - len(events)
        if skipped > 0:
            self._write(f"{label}: … {skipped:,} more events", "more")
        for event in events:
            self._write(f"{label}: {describe_event(event)}", "bug" if isinstance(event, BugRaised) else "")

    def note(self, text: str) -> None:
        """Log a line of the TUI's own (a refused action, a screenshot saved ...)."""
        self._write(text, "note")

    def _write(self, text: str, kind: str) -> None:
        at_end = self.scroll_y >= self.max_scroll_y
        self.lines.append((text, kind))
        if not at_end:
            # Keep the lines the reader is looking at where they are.
            self.scroll_to(y=max(0, self.scroll_y - 1), animate=False, immediate=True)
        self.refresh()

    @property
    def text(self) -> str:
        """Every line, oldest first (for tests and copying)."""
        return "\n".join(text for text, _ in self.lines)

    def render_line(self, y: int) -> Strip:
        """Row ``y``: lines are stacked at the bottom of the fixed virtual height."""
        width = self.scrollable_content_region.width
        index = round(self.scroll_y) + y - (self.CAPACITY - len(self.lines))
        base = self.rich_style
        if not 0 <= index < len(self.lines):
            return Strip.blank(width, base)
        text, kind = self.lines[index]
        style: Style = base + self.get_component_rich_style(f"event-log--{kind}") if kind else base
        return Strip([Segment(text, style)]).crop_extend(0, width, base)
