"""Records of outstanding allocations."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .chunk import Chunk
    from .pool import Pool

__all__ = ["Allocation", "runs_as_allocations"]


@dataclass(frozen=True, slots=True)
class Allocation:
    """One outstanding allocation: where it is, how big, and who owns it.

    ``size`` is in bytes, rounded up to whole granules.  ``info`` holds what
    each ownership tracker recorded, by tracker name.
    """

    addr: int
    size: int
    chunk: Chunk
    owner: Any = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def end(self) -> int:
        """First address past the allocation."""
        return self.addr + self.size

    def __str__(self) -> str:
        text = f"{self.addr:#x}-{self.end - 1:#x} ({self.size} bytes)"
        if self.owner is not None:
            text += f" owner={self.owner!r}"
        for name, value in self.info.items():
            text += f" {name}={value}"
        return text


def runs_as_allocations(pool: Pool) -> list[Allocation]:
    """One record per run of allocated granules, for a pool with no tracker.

    Without a tracker the bitmap cannot tell two adjacent allocations
    apart, so they show as one record.
    """
    records = []
    for chunk in pool.chunks:
        for first, length, is_set in chunk.bitmap.runs():
            if is_set:
                records.append(Allocation(chunk.address_of(first), length * chunk.granule, chunk, chunk.owner))
    records.sort(key=lambda record: record.addr)
    return records
