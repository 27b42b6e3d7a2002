"""``callsite`` tracker: the file, line and function that asked for an allocation."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from types import FrameType
from typing import Any

from genpool.hookspecs import hookimpl
from genpool.tracking import AllocRequest

# Frames of these modules are genpool's own, between the caller and the tracker.
_INTERNAL = ("genpool.pool", "genpool.kernel", "genpool.tracking", "genpool.device", "genpool.plugins.")


@dataclass(frozen=True, slots=True)
class CallSite:
    """Where an allocation was asked for."""

    filename: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"{self.filename}:{self.line} in {self.function}"


class CallsiteTracker:
    """Records the first caller outside genpool's core: one frame walk per allocation.

    Allocations from the same line share one :class:`CallSite` object, so
    100,000 of them hold a handful of objects, not 100,000, and a reader
    can tell call sites apart by identity without hashing each.
    """

    def __init__(self) -> None:
        self._sites: dict[tuple[str, int, str], CallSite] = {}

    def record(self, request: AllocRequest) -> CallSite | None:
        """The caller of ``alloc`` (or of the kernel function)."""
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and frame.f_globals.get("__name__", "").startswith(_INTERNAL):
            frame = frame.f_back
        if frame is None:
            return None
        code = frame.f_code
        key = (code.co_filename, frame.f_lineno, code.co_name)
        site = self._sites.get(key)
        if site is None:
            site = self._sites.setdefault(key, CallSite(*key))
        return site

    def describe(self, value: CallSite | None) -> dict[str, Any]:
        """``callsite``: the :class:`CallSite`."""
        return {"callsite": value}


@hookimpl
def genpool_register_trackers(register: Any) -> None:
    """Register the ``callsite`` tracker."""
    register("callsite", CallsiteTracker, summary="file, line and function of the caller of alloc")
