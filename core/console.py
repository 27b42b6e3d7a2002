"""Plain-text output for the core's commands: aligned tables and a progress line.

``pip install genpool`` installs pluggy and nothing else, so ``genpool
bench`` and ``genpool plugins`` print with the standard library alone;
the terminal UI stack (Rich, Textual) comes only with the ``tui`` extra.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TextIO

__all__ = ["format_table", "progress_line"]

Task = Callable[[str, int], Callable[[int], None]]


def format_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: int = 0) -> str:
    """``rows`` under ``headers`` in aligned columns, below ``title``.

    The first column is left-aligned; with ``right=1`` every later one is
    right-aligned (numbers), with ``right=0`` all are left-aligned.
    """
    widths = [max(len(cell) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(width) if right and index > 0 else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(padded).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([title, line(headers), rule, *(line(row) for row in rows)])


def progress_line(stream: TextIO, enabled: bool = True) -> tuple[Task, Callable[[], None]]:
    """``(task, stop)``: ``task(label, total)`` gives a callback taking the count done.

    The percentage is redrawn in place on ``stream`` when it is a
    terminal; otherwise (a pipe, a file, ``enabled`` false) the callbacks
    do nothing, so redirected output stays clean.  ``stop`` erases the line.
    """
    if not enabled or not stream.isatty():
        return (lambda label, total: lambda done: None), (lambda: None)

    def task(label: str, total: int) -> Callable[[int], None]:
        def update(done: int) -> None:
            stream.write(f"\r{label}: {100 * done // max(total, 1):3d}%\x1b[K")
            stream.flush()

        return update

    def stop() -> None:
        stream.write("\r\x1b[K")
        stream.flush()

    return task, stop
