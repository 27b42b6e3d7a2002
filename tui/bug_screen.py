"""The BUG modal: a PoolBug shown as the kernel's oops, with what was outstanding."""

from __future__ import annotations

import itertools

import genpool
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Label, Static

from .owners import callsite_text, owner_text
from .report import kernel_report
from .values import human_size

__all__ = ["LISTED", "BugScreen"]

#: Outstanding allocations the modal lists; a destroy may find millions, and a table of them all would never draw.
LISTED = 500


class BugScreen(ModalScreen[bool]):
    """Shows a :class:`genpool.PoolBug`; the pool is as it was before the call.

    For a destroy that found allocations outstanding it lists them and
    offers Cancel (dismissed with False) or Free all and destroy (True);
    for every other bug it offers Close (False).
    """

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, bug: genpool.PoolBug, *, caller: str = "genpool_tui_action") -> None:
        super().__init__()
        self.bug = bug
        self.caller = caller

    def compose(self) -> ComposeResult:
        """The kernel-style report, the outstanding allocations and the two choices."""
        outstanding = self.bug.outstanding
        with Vertical(id="bug-dialog", classes="dialog"):
            yield Label("kernel BUG", id="bug-title", classes="dialog-title")
            with VerticalScroll(id="bug-body"):
                yield Static(kernel_report(self.bug, self.caller), id="bug-report", markup=False)
                if outstanding:
                    yield Label(f"{len(outstanding)} allocation(s) outstanding:", classes="dialog-note")
                    table: DataTable[str] = DataTable(id="bug-outstanding", cursor_type="row", zebra_stripes=True)
                    table.add_columns("address", "size", "owner", "call site")
                    for record in itertools.islice(outstanding, LISTED):
                        table.add_row(
                            f"{record.addr:#x}",
                            human_size(record.size),
                            owner_text(record.owner),
                            callsite_text(record.info),
                        )
                    yield table
                    if len(outstanding) > LISTED:
                        yield Label(f"... and {len(outstanding) - LISTED} more.", classes="dialog-note")
                yield Label("The pool is unchanged.", classes="dialog-note")
            if outstanding:
                with Horizontal(classes="dialog-buttons"):
                    yield Button("Cancel", id="bug-cancel", variant="primary")
                    yield Button("Free all and destroy", id="bug-free-all", variant="error")
            else:
                with Horizontal(classes="dialog-buttons"):
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
