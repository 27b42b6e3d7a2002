"""The help screen: keys, what the glyphs mean, and where settings live."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Markdown

__all__ = ["HELP_TEXT", "HelpScreen"]

HELP_TEXT = """\
**Actions** (also in the command palette, `ctrl+p`)

| key | action |
| --- | --- |
| `a` | allocate: size, algorithm, align or offset, owner |
| `f` | free the allocation under the cursor (asks which one when the cell holds several) |
| `F` | free any address and size |
| `c` | add a chunk to the pool |
| `n` | new pool |
| `s` | set the pool's default algorithm |
| `D` | destroy the pool |
| `space` | pause or resume live updates |
| `+` `-` `=` | zoom in, out, to fit |
| `]` | next pool |
| `ctrl+s` | save a screenshot (SVG), from any screen |
| `?` `F1` | this help |
| `q` | quit |

**Finding** — the cursor moves to what is found.

| key | finds |
| --- | --- |
| `g` | an address, hex or decimal |
| `.` `,` | the next, previous allocation |
| `>` `<` | the next, previous free run of at least the size `N` sets |
| `N` | the size of free run `>` and `<` look for |
| `L` | the largest free run |
| `/` | the next allocation of an owner |

**Allocations and owners** (`o`) — every allocation, or totals per owner and
per call site; highlighting an allocation moves the bitmap's cursor to it.

| key | in the table |
| --- | --- |
| `v` | next view: allocations, per owner, per call site |
| `1`-`5` | sort by that column (again: reverse) |
| `/` | filter: address, owner or call site contains |
| `m` | set a mark: grouped views show growth since it |
| `x` `j` | export the view as CSV, as JSON |
| `escape` `o` | close |

Ages count the pool's events since the allocation; `before` means it was
made before the TUI began watching.

**The event log** keeps the last 5,000 events; `e` filters it by kind and
owner; pausing keeps it still while events wait.

**The bitmap** — arrows, page up/down, home/end move the cursor; a click selects.
Rows always span a power of two bytes.

| cell | means |
| --- | --- |
| `·` | free granule (or a free block) |
| `[` `r` `]` | an allocation: opened, owner's letter, closed; colour = owner |
| `■` | a one-granule allocation (zoomed out: one that fills the block) |
| `█` | allocated, no tracker knows by whom |
| `░` `▒` `▓` `█` | a block of granules, up to ¼, ½, ¾ used, full; colour = the owner holding most |
| `[` `]` zoomed out | an allocation starts, ends exactly at the block's edge |
| `×` | a block held by several owners (colour = the one holding most) |
| `▶` | in the address ruler: the cursor's row |

The cursor is the highlighted cell; the allocation under it is underlined.

Themes are TOML files; put your own in the `themes` folder of the settings
directory (`$GENPOOL_CONFIG_DIR`, else your user config directory).
"""


class HelpScreen(ModalScreen[None]):
    """Keys and legend; any of escape, q, ? or F1 closes it."""

    CSS_PATH = "modal.tcss"
    BINDINGS = [Binding("escape,q,question_mark,f1", "close", "Close")]

    def compose(self) -> ComposeResult:
        """The help text and a Close button."""
        with Vertical(id="help-dialog", classes="dialog"):
            yield Label("genpool — help (scroll with the arrows, page keys or the mouse)", classes="dialog-title")
            with VerticalScroll(id="help-scroll", can_focus=True):
                yield Markdown(HELP_TEXT, id="help-text")
            yield Button("Close", id="help-close", variant="primary")

    def on_mount(self) -> None:
        """Focus the text, so the arrow and page keys scroll it."""
        self.query_one("#help-scroll", VerticalScroll).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Close the help."""
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
