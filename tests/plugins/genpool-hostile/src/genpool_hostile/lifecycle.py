"""A plugin whose lifecycle hooks raise for every pool."""

from typing import Any

import genpool


@genpool.hookimpl
def genpool_pool_created(pool: Any) -> None:
    """Refuse every new pool."""
    raise RuntimeError("hostile created hook")


@genpool.hookimpl
def genpool_pool_destroyed(pool: Any) -> None:
    """Refuse every destroyed pool."""
    raise RuntimeError("hostile destroyed hook")
