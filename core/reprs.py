"""One repr for genpool's records: field names and values, addresses in hex.

Addresses read in hex everywhere genpool prints them (``Chunk``,
``Pool``, error messages), so the records that carry one -- an
:class:`~genpool.Allocation`, the events ``Allocated`` and ``Freed``, a
tracker's ``AllocRequest`` -- show it in hex too; sizes stay decimal.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ADDRESS_FIELDS", "record_repr"]

# The fields that hold an address (virtual or physical), shown in hex.
ADDRESS_FIELDS = frozenset({"addr", "start", "phys", "phys_addr", "start_addr", "end_addr"})


def record_repr(record: Any, fields: tuple[str, ...]) -> str:
    """``Name(field=value, ...)`` for ``record``'s ``fields``, addresses in hex."""
    parts = []
    for name in fields:
        value = getattr(record, name)
        text = f"{value:#x}" if name in ADDRESS_FIELDS and isinstance(value, int) else repr(value)
        parts.append(f"{name}={text}")
    return f"{type(record).__name__}({', '.join(parts)})"
