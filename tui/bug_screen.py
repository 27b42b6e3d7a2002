"""The BUG modal: a PoolBug, what was outstanding first, then the kernel-style report."""

from __future__ import annotations

import itertools

import genpool
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from .owners import callsite_text, owner_text
from .report import bug_site, kernel_report
from .values import human_size

__all__ = ["LISTED", "BugScreen"]

#: Outstanding allocations the modal lists; a destroy may find millions, and a table of them all would never
#: draw (the allocations table, o, lists any number).
LISTED = 500


class BugScreen(ModalScreen[bool]):
    """Shows a :class:`genpool.PoolBug`; the pool is as it was before the call.

    For a destroy that found allocations outstanding it lists them first
    (address, size, owner, call site) and offers Cancel (dismissed with
    False) or Free all and destroy (True); for every other bug it offers
    Close (False).
    """

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, bug: genpool.PoolBug) -> None:
        super().__init__()
        self.bug = bug

    def compose(self) -> ComposeResult:
        """The outstanding allocations, the report and the choices."""
        outstanding = self.bug.outstanding
        site = bug_site(self.bug)
        function = site[0] if site is not None else "gen_pool_free"
        with Vertical(id="bug-dialog", classes="dialog"):
            if outstanding:
                title = f"BUG: {function} with {len(outstanding):,} allocation(s) outstanding"
            else:
                title = f"BUG in {function}"
            yield Label(f"{title} — the pool is unchanged", id="bug-title", classes="dialog-title")
            with VerticalScroll(id="bug-body"):
                if outstanding:
                    table: DataTable[str] = DataTable(id="bug-outstanding", cursor_type="row", zebra_stripes=True)
                    table.add_columns("address", "size", "owner", "call site")
                    table.add_rows(
                        (
                            f"{record.addr:#x}",
                            human_size(record.size),
                            owner_text(record.owner),
                            callsite_text(record.info),
                        )
                        for record in itertools.islice(outstanding, LISTED)
                    )
                    yield table
                    if len(outstanding) > LISTED:
                        yield Label(
                            f"… the first {LISTED} of {len(outstanding):,}; the table (o) lists them all.",
                            classes="dialog-note",
                        )
                yield Static(kernel_report(self.bug), id="bug-report", markup=False)
            with Horizontal(classes="dialog-buttons"):
                if outstanding:
                    yield Button("Cancel", id="bug-cancel", variant="primary")
                    yield Button("Free all and destroy", id="bug-free-all", variant="error")
                else:
                    yield Button("Close", id="bug-cancel", variant="primary")

    def on_mount(self) -> None:
        """Focus Cancel, so a stray Enter changes nothing."""
        self.query_one("#bug-cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Cancel/Close dismisses with False, Free all and destroy with True."""
        event.stop()
        self.dismiss(event.button.id == "bug-free-all")

    def action_cancel(self) -> None:
        """Escape: change nothing."""
        self.dismiss(False)
