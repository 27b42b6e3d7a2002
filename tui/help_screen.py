"""The help screen: keys, what the glyphs mean, and where settings live."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Markdown

__all__ = ["HELP_TEXT", "HelpScreen"]

HELP_TEXT = """\
**Actions** (also in the command palette, `ctrl+p`)

| key | action |
| --- | --- |
| `a` | allocate: size, algorithm, align or offset, owner |
| `f` | free the allocation under the cursor |
| `F` | free any address and size |
| `c` | add a chunk to the pool |
| `n` | new pool |
| `s` | set the pool's default algorithm |
| `D` | destroy the pool |
| `space` | pause or resume live updates |
| `+` `-` `=` | zoom in, out, to fit |
| `]` | next pool |
| `ctrl+s` | save a screenshot (SVG) |
| `?` `F1` | this help |
| `q` | quit |

**genpool watch and genpool replay** show replicas of another program's
pools: read-only (the keys that would change a pool say so), while
inspecting, zooming, stats and screenshots work.  In a replay:

| key | action |
| --- | --- |
| `space` | play / pause (from the start when at the end) |
| `.` `,` | step a record forward / back |
| `>` `<` | faster / slower |
| `g` | go to a `seq`; the scrubber seeks by click, or `←` `→` `home` `end` when focused |

**The bitmap** — arrows, page up/down, home/end move the cursor; a click selects.

| cell | means |
| --- | --- |
| `·` | free granule (or a free block) |
| `[` `r` `]` | an allocation: opened, owner's letter, closed; colour = owner |
| `■` | a one-granule allocation |
| `█` | allocated, no tracker knows by whom |
| `░` `▒` `▓` `█` | a block of granules, up to ¼, ½, ¾ used, full |

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
            yield Label("genpool — help", classes="dialog-title")
            yield Markdown(HELP_TEXT, id="help-text")
            yield Button("Close", id="help-close", variant="primary")

    def on_mount(self) -> None:
        """Focus the Close button."""
        self.query_one("#help-close", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Close the help."""
        event.stop()
        self.dismiss(None)

    def action_close(self) -> None:
        """Close the help."""
        self.dismiss(None)
