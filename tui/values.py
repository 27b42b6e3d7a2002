"""Reading and writing the numbers a person types and reads: sizes, addresses, chunk specs.

Nothing here imports Textual; the forms and the command line share it.
Every parser raises :class:`ValueError` with a message fit to show in
place, next to the field that was wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ChunkSpec", "format_address", "human_size", "parse_chunk_spec", "parse_number"]

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_NUMBER = re.compile(r"(0x[0-9a-f_]+|0b[01_]+|0o[0-7_]+|[0-9][0-9_]*)\s*([kmgt]?)(?:i?b)?")
_LIMIT = 1 << 64


def parse_number(text: str, what: str, *, units: bool = True, minimum: int = 0) -> int:
    """Parse ``4096``, ``0x1000``, ``64K``, ``1MiB``, ``0x4000_0000`` into an int.

    ``units`` allows a K/M/G/T suffix (powers of 1024).  The value must be
    at least ``minimum`` and below 2**64.
    """
    cleaned = text.strip().lower()
    if not cleaned:
        raise ValueError(f"{what} is required")
    match = _NUMBER.fullmatch(cleaned)
    if match is None or (match.group(2) and not units):
        example = "4096, 0x1000 or 64K" if units else "4096 or 0x1000"
        raise ValueError(f"{what}: {text.strip()!r} is not a number (try {example})")
    value = int(match.group(1), 0) * _UNITS[match.group(2)]
    if value < minimum:
        raise ValueError(f"{what} must be at least {minimum}")
    if value >= _LIMIT:
        raise ValueError(f"{what} {value:#x} does not fit in 64 bits")
    return value


@dataclass(frozen=True, slots=True)
class ChunkSpec:
    """A chunk to add: ``ADDR:SIZE[:PHYS]``."""

    addr: int
    size: int
    phys: int | None = None

    def __str__(self) -> str:
        text = f"{self.addr:#x}:{self.size:#x}"
        return text if self.phys is None else f"{text}:{self.phys:#x}"


def parse_chunk_spec(text: str) -> ChunkSpec:
    """Parse ``ADDR:SIZE[:PHYS]`` (``0x1000:4K``, ``0x4000_0000:64K:0x1000_0000``)."""
    parts = text.split(":")
    if len(parts) not in (2, 3):
        raise ValueError(f"chunk {text!r} is not ADDR:SIZE or ADDR:SIZE:PHYS")
    addr = parse_number(parts[0], "chunk address", units=False)
    size = parse_number(parts[1], "chunk size", minimum=1)
    phys = parse_number(parts[2], "chunk physical address", units=False) if len(parts) == 3 else None
    return ChunkSpec(addr, size, phys)


def human_size(size: int) -> str:
    """``4096`` -> ``4 KiB``; exact multiples only, else bytes with a separator."""
    for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    if size >= 10 << 10:
        for unit, shift in (("TiB", 40), ("GiB", 30), ("MiB", 20), ("KiB", 10)):
            if size >= 1 << shift:
                return f"{size / (1 << shift):.1f} {unit}"
    return f"{size:,} B"


def format_address(addr: int, digits: int = 8) -> str:
    """``0x`` and at least ``digits`` hex digits."""
    return f"{addr:#0{digits + 2}x}"
