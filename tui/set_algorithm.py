"""The set-algorithm form: the pool's default algorithm and its data."""

from __future__ import annotations

import genpool
from textual.app import ComposeResult
from textual.widgets import Select

from .allocate import DataFieldMixin
from .forms import FormScreen, algorithm_options, field

__all__ = ["SetAlgorithmScreen"]


class SetAlgorithmScreen(DataFieldMixin, FormScreen):
    """Calls ``pool.set_algo``; dismisses with the algorithm's name."""

    heading = "Set the pool's algorithm"
    submit_label = "Set"

    def __init__(self, pool: genpool.Pool) -> None:
        super().__init__()
        self.pool = pool

    def fields(self) -> ComposeResult:
        """The algorithm, and its data when it takes some."""
        current = self.pool.algorithm.name
        names = [name for _, name in algorithm_options()]
        value = current if current in names else names[0]
        yield field("algorithm", Select(algorithm_options(), value=value, allow_blank=False, id="f-algorithm"))
        yield self.data_field()  # type: ignore[misc]

    def on_mount(self) -> None:
        """Start with the data field matching the pool's algorithm."""
        super().on_mount()
        self.sync_data_field(str(self.query_one("#f-algorithm", Select).value))
        self.query_one("#f-algorithm", Select).focus()

    def apply(self) -> object:
        """Set the algorithm; bad data raises and the form says why."""
        name = str(self.query_one("#f-algorithm", Select).value)
        self.pool.set_algo(name, self.read_data(name))
        return name
