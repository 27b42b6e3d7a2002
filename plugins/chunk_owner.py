"""``chunk`` tracker: the owner cookie of the chunk an allocation came from."""

from __future__ import annotations

from typing import Any

from genpool.hookspecs import hookimpl
from genpool.tracking import AllocRequest


class ChunkOwnerTracker:
    """Records the kernel's per-chunk owner cookie (``gen_pool_add_owner``)."""

    def record(self, request: AllocRequest) -> Any:
        """The chunk's owner."""
        return request.chunk.owner

    def describe(self, value: Any) -> dict[str, Any]:
        """``chunk_owner``: the cookie."""
        return {"chunk_owner": value}


@hookimpl
def genpool_register_trackers(register: Any) -> None:
    """Register the ``chunk`` tracker."""
    register("chunk", ChunkOwnerTracker, summary="the owner cookie of the allocation's chunk")
