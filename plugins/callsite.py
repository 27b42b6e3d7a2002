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
    """Records the first caller outside genpool's core: one frame walk per allocation."""

    def record(self, request: AllocRequest) -> CallSite | None:
        """The caller of ``alloc`` (or of the kernel function)."""
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and frame.f_globals.get("__name__", "").startswith(_INTERNAL):
            frame = frame.f_back
        if frame is None:
            return None
        code = frame.f_code
        return CallSite(code.co_filename, frame.f_lineno, code.co_name)

    def describe(self, value: CallSite | None) -> dict[str, Any]:
        """``callsite``: the :class:`CallSite`."""
        return {"callsite": value}


@hookimpl
def genpool_register_trackers(register: Any) -> None:
    """Register the ``callsite`` tracker."""
    register("callsite", CallsiteTracker, summary="file, line and function of the caller of alloc")
