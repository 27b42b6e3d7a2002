"""The go-to form of ``genpool replay``: any ``seq`` of the trace."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input

from .forms import FormScreen, field
from .values import parse_number

__all__ = ["GotoScreen"]


class GotoScreen(FormScreen):
    """Asks for a ``seq`` in ``first..last``; dismisses with it (a number outside is refused in place)."""

    heading = "Go to seq"
    submit_label = "Go"

    def __init__(self, seq: int, first: int, last: int) -> None:
        super().__init__()
        self.seq = seq
        self.first = first
        self.last = last

    def fields(self) -> ComposeResult:
        """The ``seq`` to go to."""
        yield field("seq", Input(str(self.seq), id="f-seq", placeholder=f"{self.first}..{self.last}"))

    def apply(self) -> object:
        """The ``seq`` asked for, if the trace has it."""
        seq = parse_number(self.value("#f-seq"), "seq", units=False)
        if not self.first <= seq <= self.last:
            raise ValueError(f"seq must be in {self.first}..{self.last}")
        return seq
