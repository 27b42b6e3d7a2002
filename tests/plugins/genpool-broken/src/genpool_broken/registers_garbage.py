"""A plugin that registers an algorithm that is not callable."""

from typing import Any

import genpool


@genpool.hookimpl
def genpool_register_algorithms(register: Any) -> None:
    """Register something invalid."""
    register("not_callable", 42)
