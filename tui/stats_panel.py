"""Figures of the selected pool and a sparkline of its use over time."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from .stats import PoolStats, sparkline
from .values import human_size

__all__ = ["StatsPanel"]


class StatsPanel(Vertical):
    """Size, avail, used, allocations, largest free run, fragmentation; usage sparkline."""

    _shown: tuple[str, str] | None = None

    def compose(self) -> ComposeResult:
        """The figures and the usage sparkline."""
        yield Static("", id="stats-figures", markup=False)
        yield Static("", id="stats-usage", markup=False)

    def show(self, stats: PoolStats | None, history: list[float], note: str = "") -> None:
        """Show ``stats`` (None: no pool) and the usage ``history`` (fractions, oldest first)."""
        if stats is None:
            self._put(note or "no pool", "")
            return
        count = f"{stats.allocations:,}" + ("" if stats.exact else " runs")
        lines = [
            f"size     {human_size(stats.size)}",
            f"avail    {human_size(stats.avail)}",
            f"used     {stats.used_fraction * 100:.1f}%",
            f"allocs   {count}",
            f"largest  {human_size(stats.largest_free)}",
            f"fragment {stats.fragmentation * 100:.1f}%",
        ]
        if note:
            lines.append(note)
        width = max(1, self.content_region.width or 20)
        self._put("\n".join(lines), f"usage, 0-100%\n{sparkline(history, width)}")

    def _put(self, figures: str, usage: str) -> None:
        if (figures, usage) != self._shown:
            self._shown = (figures, usage)
            self.query_one("#stats-figures", Static).update(figures, layout=False)
            self.query_one("#stats-usage", Static).update(usage, layout=False)
