"""The add-chunk form: address, size and an optional physical address."""

from __future__ import annotations

import genpool
from textual.app import ComposeResult
from textual.widgets import Input

from .forms import FormScreen, field
from .values import parse_number

__all__ = ["AddChunkScreen"]


class AddChunkScreen(FormScreen):
    """Adds a chunk to a pool (``add`` or ``add_virt``); dismisses with the chunk."""

    heading = "Add chunk"
    submit_label = "Add"

    def __init__(self, pool: genpool.Pool) -> None:
        super().__init__()
        self.pool = pool

    def fields(self) -> ComposeResult:
        """Address, size and optional physical address, suggested past the last chunk."""
        top = max((chunk.end_addr + 1 for chunk in self.pool.chunks), default=0x1000_0000)
        suggestion = (top + 0xFFFF) & ~0xFFFF
        yield field("address", Input(f"{suggestion:#x}", id="f-addr"))
        yield field("size", Input("4K", id="f-size", placeholder="bytes: 4096, 0x1000, 4K"))
        yield field("phys", Input("", id="f-phys", placeholder="optional physical address"))

    def apply(self) -> object:
        """Add the chunk; a bad value or an overlap raises and the form says why."""
        addr = parse_number(self.value("#f-addr"), "address", units=False)
        size = parse_number(self.value("#f-size"), "size", minimum=1)
        phys_text = self.value("#f-phys").strip()
        if phys_text:
            return self.pool.add_virt(addr, parse_number(phys_text, "phys", units=False), size)
        return self.pool.add(addr, size)
