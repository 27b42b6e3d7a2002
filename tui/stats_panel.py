"""Figures of the selected pool, its use and fragmentation over time, and a line per chunk."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from .stats import PoolStats, UsageHistory, span_text, sparkline
from .values import human_size

__all__ = ["StatsPanel"]


class StatsPanel(Vertical):
    """Size, avail, used, allocations (or runs), largest free run, fragmentation; plots; chunks."""

    _shown: tuple[str, str, str] | None = None

    def compose(self) -> ComposeResult:
        """The figures, the two plots and the per-chunk lines."""
        # Kept, not queried: the frame timer may show stats while the app tears its widgets down.
        self._figures = Static("", id="stats-figures", markup=False)
        self._usage = Static("", id="stats-usage", markup=False)
        self._chunks = Static("", id="stats-chunks", markup=False)
        yield self._figures
        yield self._usage
        yield self._chunks

    def show(self, stats: PoolStats | None, history: UsageHistory | None, note: str = "") -> None:
        """Show ``stats`` (None: no pool) and the ``history`` of its use."""
        if stats is None or history is None:
            self._put(note or "no pool", "", "")
            return
        # Without a tracker (or on a pool too big to count exactly) the count is of runs of used granules.
        count = f"allocs   {stats.allocations:,}" if stats.exact else f"runs     {stats.allocations:,}"
        lines = [
            f"size     {human_size(stats.size)}",
            f"avail    {human_size(stats.avail)}",
            f"used     {stats.used_fraction * 100:.1f}%",
            count,
            f"largest  {human_size(stats.largest_free)}",
            f"fragment {stats.fragmentation * 100:.1f}%",
        ]
        if note:
            lines.append(note)
        width = max(1, self.content_region.width or 20)
        span = span_text(history.span)
        # Both plots run on a fixed 0-100 % scale over the span named.
        plots = (
            f"used %, last {span}\n{sparkline(list(history.samples), width)}\n"
            f"frag %, last {span}\n{sparkline(list(history.fragmentation), width)}"
        )
        chunk_lines = [f"chunks ({len(stats.chunks)}): used, size, largest free"] + [
            f"{chunk.start_addr:#x} {round(chunk.used_fraction * 100)}% {human_size(chunk.size)}"
            f" {human_size(chunk.largest_free)}"
            for chunk in stats.chunks
        ]
        self._put("\n".join(lines), plots, "\n".join(chunk_lines))

    def _put(self, figures: str, usage: str, chunks: str) -> None:
        if (figures, usage, chunks) == self._shown:
            return
        # The figures and plots have fixed heights and no line wraps (see genpool.tcss), so only a
        # new count of chunk lines changes the panel's size; a layout repaints the whole screen.
        relayout = self._shown is None or chunks.count("\n") != self._shown[2].count("\n")
        self._shown = (figures, usage, chunks)
        self._figures.update(figures, layout=False)
        self._usage.update(usage, layout=False)
        self._chunks.update(chunks, layout=relayout)
