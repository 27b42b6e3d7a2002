"""How an allocation's owner is shown: a colour slot, a letter and a short call site.

Owners get colour slots in the order the TUI first meets them, so the
first :data:`OWNER_SLOTS` owners are all told apart; after that slots
repeat, which is why cells also carry the owner's letter.  Nothing here
imports Textual.
"""

from __future__ import annotations

import os
from typing import Any

import genpool

__all__ = ["OWNER_SLOTS", "OwnerColours", "callsite_text", "owner_letter", "owner_text"]

#: Owner colours in a theme: ``genpool-owner-0`` .. ``genpool-owner-7``.
OWNER_SLOTS = 8


class OwnerColours:
    """Owner -> colour slot, first come first served, stable for the session."""

    def __init__(self) -> None:
        self._slots: dict[Any, int] = {}

    def slot(self, owner: object) -> int | None:
        """The owner's slot, or None for an allocation without owner."""
        if owner is None:
            return None
        key = owner if isinstance(owner, (str, int)) else repr(owner)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = len(self._slots) % OWNER_SLOTS
        return slot

    def seed(self, pool: genpool.Pool, limit: int = 4096) -> None:
        """Give the owners of a (small) pool's allocations slots in address order."""
        if not pool.trackers:
            return
        total = sum(chunk.nbits for chunk in pool.chunks)
        if total > limit * 64:
            return
        for record in pool.allocations()[:limit]:
            self.slot(record.owner)


def owner_text(owner: object) -> str:
    """The owner as a person reads it: the tag itself, or ``-``."""
    if owner is None:
        return "-"
    return owner if isinstance(owner, str) else repr(owner)


def owner_letter(owner: object) -> str:
    """The letter drawn in an allocation's inner cells: the owner's first letter, or ``=``."""
    if owner is None:
        return "="
    for char in owner_text(owner):
        if char.isalnum():
            return char
    return "="


def callsite_text(info: dict[str, Any]) -> str:
    """``file.py:12 in func`` from an allocation's ``callsite`` (file name only, not the path)."""
    site = info.get("callsite")
    if site is None:
        return "-"
    filename = getattr(site, "filename", None)
    if filename is None:
        return str(site)
    return f"{os.path.basename(filename)}:{site.line} in {site.function}"
