"""The allocate form: size, algorithm (plugins' too), its align or offset, and an owner tag."""

from __future__ import annotations

import genpool
from textual.app import ComposeResult
from textual.widgets import Input, Label, Select

from .forms import FormScreen, algorithm_options, data_kind, field, make_data
from .values import parse_number

__all__ = ["AllocateScreen", "DataFieldMixin"]

_DATA_LABELS = {"align": "align (bytes)", "offset": "offset (bytes)"}
_DATA_HINTS = {"align": "a power of two, e.g. 256", "offset": "from each chunk's start, e.g. 0x100"}


class DataFieldMixin:
    """A data row shown only while the chosen algorithm takes align or offset data."""

    def data_field(self) -> object:
        """The align or offset input."""
        return field("data", Input("", id="f-data"), row_id="f-data-row")

    def sync_data_field(self, name: str) -> None:
        """Show the data field only for an algorithm that takes data, labelled for it."""
        kind = data_kind(name)
        row = self.query_one("#f-data-row")  # type: ignore[attr-defined]
        row.display = kind is not None
        if kind is not None:
            row.query_one(Label).update(_DATA_LABELS[kind])
            row.query_one(Input).placeholder = _DATA_HINTS[kind]

    def read_data(self, name: str) -> object:
        """The algorithm's data from the form, or None."""
        kind = data_kind(name)
        return make_data(kind, self.query_one("#f-data", Input).value) if kind else None  # type: ignore[attr-defined]

    def on_select_changed(self, event: Select.Changed) -> None:
        """Another algorithm was chosen: update the data field."""
        event.stop()
        self.sync_data_field("" if event.value is Select.BLANK else str(event.value))


class AllocateScreen(DataFieldMixin, FormScreen):
    """Allocates from a pool; dismisses with the address."""

    heading = "Allocate"
    submit_label = "Allocate"

    def __init__(self, pool: genpool.Pool) -> None:
        super().__init__()
        self.pool = pool

    def fields(self) -> ComposeResult:
        """Size, algorithm, align or offset, owner tag."""
        default = self.pool.algorithm.name
        yield field("size", Input("64", id="f-size", placeholder="bytes: 64, 0x100, 4K"))
        yield field("algorithm", Select(algorithm_options(default), value="", allow_blank=False, id="f-algorithm"))
        yield self.data_field()  # type: ignore[misc]
        yield field("owner", Input("", id="f-owner", placeholder="owner tag, e.g. rx-ring"))

    def on_mount(self) -> None:
        """Start on the pool's default algorithm, with the data field hidden."""
        super().on_mount()
        self.sync_data_field("")

    def apply(self) -> object:
        """Allocate; a bad value or no room raises and the form says why."""
        size = parse_number(self.value("#f-size"), "size", minimum=1)
        name = str(self.query_one("#f-algorithm", Select).value)
        owner = self.value("#f-owner").strip() or None
        if not name:
            return self.pool.alloc(size, owner=owner)
        return self.pool.alloc(size, algo=name, data=self.read_data(name), owner=owner)
