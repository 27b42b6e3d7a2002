"""The pools the TUI opens on: the embedded demo, or one described on the command line.

Nothing here imports Textual.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import genpool

from .values import ChunkSpec

__all__ = ["DEMO_TRACKERS", "PoolDescription", "build_demo_pool", "build_pool"]

#: The trackers a pool made by the TUI keeps, so every allocation has an owner and a call site.
DEMO_TRACKERS = ("tag", "callsite")


@dataclass(frozen=True)
class PoolDescription:
    """A pool to create: the ``genpool tui`` options, or the new-pool form."""

    order: int = 5
    chunks: Sequence[ChunkSpec] = ()
    algorithm: str = "first_fit"
    trackers: Sequence[str] = DEMO_TRACKERS
    name: str | None = None


def build_pool(description: PoolDescription) -> genpool.Pool:
    """Create the pool ``description`` asks for; InvalidArgument if it is not valid."""
    pool = genpool.Pool(
        description.order, name=description.name, algo=description.algorithm, trackers=tuple(description.trackers)
    )
    for spec in description.chunks:
        if spec.phys is None:
            pool.add(spec.addr, spec.size)
        else:
            pool.add_virt(spec.addr, spec.phys, spec.size)
    return pool


def build_demo_pool() -> genpool.Pool:
    """An "sram" pool of 32-byte granules, two chunks and a handful of owners.

    The second chunk (added last, so walked first, as in the kernel) has a
    physical address; allocations come from several owners and through
    several algorithms, with one hole freed in the middle, so the first
    screen shows every kind of cell.
    """
    pool = genpool.Pool(5, name="sram", trackers=DEMO_TRACKERS)
    pool.add(0x1000_0000, 4096)
    pool.add_virt(0x2000_0000, 0x8000_0000, 1024)
    pool.alloc(256, owner="rx-ring")
    scratch = pool.alloc(96, owner="scratch")
    pool.alloc(200, owner="tx-desc", algo="first_fit_align", data=genpool.AlignData(256))
    pool.alloc(64, owner="dma", algo="best_fit")
    pool.alloc(512, owner="fw-log")
    pool.alloc(128, owner="irq", algo="first_fit_order_align")
    pool.alloc(320, owner="rx-ring")
    pool.alloc(64, owner="mbox", algo="fixed_alloc", data=genpool.FixedData(0x600))
    pool.free(scratch, 96)
    pool.alloc(32, owner="dma")
    return pool
