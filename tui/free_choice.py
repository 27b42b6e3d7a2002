"""Which allocation to free, when the cell under the cursor holds more than one."""

from __future__ import annotations

from collections.abc import Sequence

import genpool
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, OptionList

from .owners import callsite_text, owner_text
from .values import human_size

__all__ = ["FreeChoiceScreen"]


class FreeChoiceScreen(ModalScreen["genpool.Allocation | None"]):
    """Lists the allocations of a cell; dismisses with the one picked, or None on Cancel/escape."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, records: Sequence[genpool.Allocation]) -> None:
        super().__init__()
        self.records = tuple(records)

    def compose(self) -> ComposeResult:
        """The allocations, one option each, and Cancel."""
        with Vertical(classes="dialog", id="free-choice-dialog"):
            yield Label(f"Free which one? This cell holds {len(self.records)} allocations.", classes="dialog-title")
            yield OptionList(
                *(
                    f"{record.addr:#x} +{human_size(record.size)}  {owner_text(record.owner)}  "
                    f"{callsite_text(record.info)}"
                    for record in self.records
                ),
                id="free-choice",
            )
            with Horizontal(classes="dialog-buttons"):
                yield Button("Cancel", id="free-choice-cancel")

    def on_mount(self) -> None:
        """Focus the list, first allocation highlighted."""
        options = self.query_one("#free-choice", OptionList)
        options.highlighted = 0
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter or a click frees the chosen allocation."""
        event.stop()
        self.dismiss(self.records[event.option_index])

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Cancel changes nothing."""
        event.stop()
        self.dismiss(None)

    def action_cancel(self) -> None:
        """Escape changes nothing."""
        self.dismiss(None)
