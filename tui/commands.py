"""Every TUI action as a command-palette command (a Textual command Provider)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

__all__ = ["ACTIONS", "GenpoolCommands"]

#: ``(command name, app action with its arguments, help)``: what the palette offers, in this order.
ACTIONS = (
    ("Allocate", "allocate", "Allocate from the selected pool: size, algorithm, align or offset, owner"),
    ("Free selected allocation", "free_selected", "Free the allocation under the bitmap cursor"),
    ("Free address and size", "free_address", "Free any address and size, as gen_pool_free does"),
    ("Add chunk", "add_chunk", "Add a chunk of memory to the selected pool"),
    ("New pool", "new_pool", "Create a pool: order, algorithm, trackers, first chunk"),
    ("Set algorithm", "set_algorithm", "Choose the selected pool's default algorithm"),
    ("Destroy pool", "destroy_pool", "Destroy the selected pool (a BUG if allocations remain)"),
    ("Pause or resume live updates", "toggle_pause", "Freeze the picture; inspecting still works"),
    ("Zoom in", "zoom_in", "Fewer granules per cell"),
    ("Zoom out", "zoom_out", "More granules per cell"),
    ("Zoom to fit", "zoom_fit", "The scale at which the whole pool fits"),
    ("Next pool", "next_pool", "Show the next pool"),
    ("Allocations and owners table", "owners_table", "Every allocation, or totals per owner and call site"),
    ("Go to address", "goto", "Put the cursor on an address (hex or decimal)"),
    ("Next allocation", "next_allocation(1)", "The cursor to the next allocation"),
    ("Previous allocation", "next_allocation(-1)", "The cursor to the previous allocation"),
    ("Next free run", "next_free_run(1)", "The cursor to the next free run of at least the set size"),
    ("Previous free run", "next_free_run(-1)", "The cursor to the previous free run of at least the set size"),
    ("Free run size", "free_run_size", "The least size of the free runs < and > look for"),
    ("Largest free run", "largest_free_run", "The cursor to the start of the largest free run"),
    ("Find owner", "find_owner", "The cursor to the next allocation of an owner"),
    ("Filter event log", "filter_log", "Show only one kind of event, or one owner's"),
    ("Save screenshot", "save_svg", "Save the screen as an SVG file"),
    ("Help", "help", "Keys, glyphs and colours"),
)


class GenpoolCommands(Provider):
    """genpool's actions, and a command per registered theme."""

    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        app = self.app
        for name, action, help_text in ACTIONS:
            yield name, partial(app.run_action, action), help_text
        for theme in sorted(app.available_themes):
            if theme.startswith("genpool-") or theme in getattr(app, "user_themes", ()):
                yield f"Theme: {theme}", partial(setattr, app, "theme", theme), f"Switch to the {theme} theme"

    async def discover(self) -> Hits:
        """Every command, for the palette's opening list."""
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        """The commands that match ``query``, best first."""
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)
