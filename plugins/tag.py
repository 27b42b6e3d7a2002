"""``tag`` tracker: the ``owner=`` given to ``alloc``."""

from __future__ import annotations

from typing import Any

from genpool.hookspecs import hookimpl
from genpool.tracking import AllocRequest


class TagTracker:
    """Records the ``owner`` argument of each allocation."""

    def record(self, request: AllocRequest) -> Any:
        """The owner tag."""
        return request.owner

    def describe(self, value: Any) -> dict[str, Any]:
        """``owner``: the tag."""
        return {"owner": value}


@hookimpl
def genpool_register_trackers(register: Any) -> None:
    """Register the ``tag`` tracker."""
    register("tag", TagTracker, summary="the owner= tag given to alloc")
