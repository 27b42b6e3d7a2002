"""Shared piece of the bitmap, model and thread tests: make new bitmaps keep a given kind of index.

Real bitmaps pick their index by size (``core/bitmap.py``); lowering the
thresholds runs an index on small, fast bitmaps, and "plain" tests the
scans alone.  Only construction reads the thresholds, so a bitmap keeps
what it was built with.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import genpool.bitmap
from genpool.runindex import RunIndex
from genpool.runlist import RunList

__all__ = ["INDEX_KINDS", "index_kind", "threshold"]

#: The index a bitmap keeps: none, a list of its long free runs, or per-block bounds.
INDEX_KINDS = {"plain": type(None), "list": RunList, "blocks": RunIndex}


def threshold(kind: str) -> int:
    """How large a bitmap must be to keep an index of ``kind``."""
    return genpool.bitmap._BLOCKS_FROM if kind == "blocks" else genpool.bitmap._LISTED_FROM


@contextmanager
def index_kind(kind: str) -> Iterator[None]:
    """Make bitmaps created inside the block keep an index of ``kind``, whatever their size."""
    never = 1 << 62
    old = genpool.bitmap._LISTED_FROM, genpool.bitmap._BLOCKS_FROM
    genpool.bitmap._LISTED_FROM = 1 if kind == "list" else never
    genpool.bitmap._BLOCKS_FROM = 1 if kind == "blocks" else never
    try:
        yield
    finally:
        genpool.bitmap._LISTED_FROM, genpool.bitmap._BLOCKS_FROM = old
