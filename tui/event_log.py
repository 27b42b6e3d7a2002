"""The event log: every event of the pools, newest last, in a bounded history.

A Line-API widget over a deque of the last :attr:`EventLog.CAPACITY`
entries: the events themselves, described only when a line is drawn, so
a producer at 100,000 events a second costs a ``deque.extend`` a frame.
Past the capacity the oldest entries go and the top line says how many
did.  Its virtual height is fixed and lines sit at the bottom, so writing
never changes the widget's size: a burst of events costs a repaint of the
log's few rows, never a layout of the screen.  While the reader looks at
older lines (scrolled up) new ones do not move them.

A filter (kind of event, text in the owner) narrows what is shown; the
history itself keeps everything.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from genpool.events import AlgorithmSet, Allocated, BugRaised, ChunkAdded, Destroyed, Event, Freed
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .owners import owner_text
from .values import human_size

__all__ = ["KINDS", "EventLog", "describe_event", "event_kind"]

#: The note logged where a pool's events were lost before reaching the log.
LOST = "older events dropped: the queue filled while paused"
#: The kinds a filter can pick, besides ``all``.
KINDS = ("alloc", "free", "chunk", "algorithm", "destroy", "bug", "note")
_KIND_OF: dict[type, str] = {
    Allocated: "alloc",
    Freed: "free",
    ChunkAdded: "chunk",
    AlgorithmSet: "algorithm",
    Destroyed: "destroy",
    BugRaised: "bug",
}


def event_kind(payload: Event | str) -> str:
    """The kind of a log entry: one of :data:`KINDS` (a string entry is a note of the TUI's own)."""
    return "note" if isinstance(payload, str) else _KIND_OF.get(type(payload), "note")


def describe_event(event: Event) -> str:
    """One line for an event, sizes as a person reads them (no sequence number or time)."""
    if isinstance(event, Allocated):
        rounded = "" if event.nbytes == event.size else f", {human_size(event.nbytes)} taken"
        return (
            f"alloc {human_size(event.size)} at {event.addr:#x} ({event.algorithm}{rounded}, "
            f"owner {owner_text(event.owner)})"
        )
    if isinstance(event, Freed):
        rounded = "" if event.nbytes == event.size else f" ({human_size(event.nbytes)} given back)"
        return f"free {human_size(event.size)} at {event.addr:#x}{rounded}"
    if isinstance(event, ChunkAdded):
        chunk = event.chunk
        return f"chunk {chunk.start_addr:#x}-{chunk.end_addr:#x} added ({human_size(chunk.size)})"
    if isinstance(event, AlgorithmSet):
        return f"algorithm set to {event.algorithm}"
    if isinstance(event, Destroyed):
        return "destroyed"
    if isinstance(event, BugRaised):
        return "BUG: " + event.message.splitlines()[0]
    return type(event).__name__


class EventLog(ScrollView, can_focus=True):
    """The last :attr:`CAPACITY` entries, with a mark for those dropped before them."""

    CAPACITY = 5000
    COMPONENT_CLASSES = {"event-log--bug", "event-log--note", "event-log--more"}
    DEFAULT_CSS = """
    EventLog > .event-log--bug { color: $error; text-style: bold; }
    EventLog > .event-log--note { color: $text-muted; text-style: italic; }
    EventLog > .event-log--more { color: $warning; text-style: italic; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        #: Events and notes, oldest first.
        self.entries: deque[Event | str] = deque(maxlen=self.CAPACITY)
        #: ``id(pool)`` -> the label its events are logged under.
        self.labels: dict[int, str] = {}
        #: Entries that fell off the front of the history.
        self.dropped = 0
        #: Kind shown (None: all) and text the owner must contain ("" : any).
        self.kind: str | None = None
        self.owner = ""
        self._shown: list[Event | str] | None = None
        self.virtual_size = Size(0, self.CAPACITY + 1)

    def on_mount(self) -> None:
        """Start scrolled to the newest line."""
        self.scroll_end(animate=False, immediate=True)

    def on_resize(self, event: events.Resize) -> None:
        """Keep the newest line in view."""
        self.virtual_size = Size(self.scrollable_content_region.width, self.CAPACITY + 1)
        self.scroll_end(animate=False, immediate=True)

    # -- writing -----------------------------------------------------------------

    def add(self, label: str, events: list[Event]) -> None:
        """Log ``events`` of pool ``label``, oldest first.

        The events themselves are stored (their pool names the label), so
        a burst costs one ``deque.extend``.
        """
        if not events:
            return
        self.labels[id(events[0].pool)] = label
        skipped = len(events) - self.CAPACITY
        if skipped > 0:
            # They would fall off the history at once: count them without storing them.
            self.dropped += skipped
            events = events[skipped:]
        self._extend(events)

    def note(self, text: str) -> None:
        """Log a line of the TUI's own (a refused action, a screenshot saved ...)."""
        self._extend([text])

    def lost(self, label: str) -> None:
        """Events of pool ``label`` were lost before they reached the log (its queue overflowed)."""
        self._extend([f"{label}: {LOST}"])

    def _extend(self, entries: Sequence[Event | str]) -> None:
        history = self.entries
        at_end = self.scroll_y >= self.max_scroll_y
        self.dropped += max(0, len(history) + len(entries) - self.CAPACITY)
        history.extend(entries)
        self._shown = None
        if not at_end:
            # Keep the lines the reader is looking at where they are.
            self.scroll_to(y=max(0, self.scroll_y - len(entries)), animate=False, immediate=True)
        self.refresh()

    # -- filtering ---------------------------------------------------------------

    def set_filter(self, kind: str | None, owner: str = "") -> None:
        """Show only entries of ``kind`` (None: every kind) whose owner contains ``owner`` (case ignored)."""
        if kind is not None and kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)} or None, not {kind!r}")
        self.kind = kind
        self.owner = owner.strip()
        self._shown = None
        self.border_subtitle = self.filter_text
        self.scroll_end(animate=False, immediate=True)
        self.refresh()

    @property
    def filter_text(self) -> str:
        """The filter as a person reads it ("" with none)."""
        parts = []
        if self.kind is not None:
            parts.append(f"kind {self.kind}")
        if self.owner:
            parts.append(f"owner ~ {self.owner}")
        return "showing " + ", ".join(parts) if parts else ""

    def shown(self) -> list[Event | str] | deque[Event | str]:
        """The entries that pass the filter, oldest first."""
        if self.kind is None and not self.owner:
            return self.entries
        if self._shown is None:
            wanted = self.owner.casefold()
            self._shown = [
                entry
                for entry in self.entries
                if (self.kind is None or event_kind(entry) == self.kind)
                and (not wanted or wanted in owner_text(getattr(entry, "owner", None)).casefold())
            ]
        return self._shown

    def line(self, entry: Event | str) -> str:
        """The text of one entry: ``label: description`` for an event, a note as it is."""
        if isinstance(entry, str):
            return entry
        return f"{self.labels.get(id(entry.pool), '?')}: {describe_event(entry)}"

    @property
    def text(self) -> str:
        """Every shown line, oldest first (for tests and copying)."""
        lines = [self.line(entry) for entry in self.shown()]
        if self.dropped:
            lines.insert(0, self._dropped_text())
        return "\n".join(lines)

    def _dropped_text(self) -> str:
        return f"… {self.dropped:,} older events dropped (the log keeps the last {self.CAPACITY:,})"

    # -- drawing -----------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        """Row ``y``: the dropped mark, then the shown lines, stacked at the bottom."""
        width = self.scrollable_content_region.width
        shown = self.shown()
        top = self.CAPACITY + 1 - len(shown)
        index = round(self.scroll_y) + y - top
        base = self.rich_style
        if index == -1 and self.dropped:
            more = base + self.get_component_rich_style("event-log--more")
            return Strip([Segment(self._dropped_text(), more)]).crop_extend(0, width, base)
        if not 0 <= index < len(shown):
            return Strip.blank(width, base)
        entry = shown[index]
        kind = event_kind(entry)
        style: Style = base
        if isinstance(entry, str) and entry.endswith(LOST):
            style = base + self.get_component_rich_style("event-log--more")
        elif kind in ("bug", "note"):
            style = base + self.get_component_rich_style(f"event-log--{kind}")
        return Strip([Segment(self.line(entry), style)]).crop_extend(0, width, base)
