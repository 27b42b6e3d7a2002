"""What is under the bitmap cursor: granule, physical address, and every allocation in the cell."""

from __future__ import annotations

from textual.widgets import Static

from .cell import CellInfo
from .owners import callsite_text, owner_text
from .values import human_size

__all__ = ["Inspector", "describe_cell"]


def describe_cell(info: CellInfo | None, *, frozen: bool = False) -> str:
    """Where the cell is, then every allocation in it, one a line (or why there is none)."""
    if info is None:
        return "no cell selected"
    chunk = info.chunk
    width = max(8, (chunk.end_addr.bit_length() + 3) // 4)
    address = f"{info.address:#0{width + 2}x}"
    phys = "no phys" if info.phys is None else f"phys {info.phys:#x}"
    if info.granules == 1:
        where = f"{address}  {phys}  granule {info.first_bit:,} of {chunk.nbits:,}"
    else:
        last = chunk.address_of(info.first_bit + info.granules) - 1
        where = f"{address}-{last:#x}  {phys}  {info.used:,}/{info.granules:,} used"
    records = info.allocations
    if len(records) > 1:
        where += f"  {len(records)} allocations"
    lines = [
        f"{owner_text(record.owner)}: {record.addr:#x} +{human_size(record.size)}  {callsite_text(record.info)}"
        for record in records
    ]
    if not lines:
        lines = ["allocated (no tracker records the owner)" if info.used else "free"]
    if frozen:
        lines[0] = "[paused] " + lines[0]
    return "\n".join([where, *lines])


class Inspector(Static):
    """Shows :func:`describe_cell` of the cursor's cell."""

    _shown: str | None = None

    def show(self, info: CellInfo | None, *, frozen: bool = False) -> None:
        """Describe ``info`` (nothing is redrawn if the text is the same)."""
        text = describe_cell(info, frozen=frozen)
        if text != self._shown:
            # The panel grows with the allocations listed: lay out only when the line count changes.
            relayout = self._shown is None or text.count("\n") != self._shown.count("\n")
            self._shown = text
            self.update(text, layout=relayout)
