"""A PoolBug told the way the kernel tells a BUG, with nothing made up (no Textual here).

genpool raises :class:`genpool.PoolBug` where ``lib/genalloc.c`` calls
``BUG()`` or ``BUG_ON()``; the kernel would print an oops and kill the
task.  :func:`kernel_report` keeps the oops's "cut here" framing but fills
it only with what is real: the genpool call that would have BUGged, the
check in the Linux 6.12 source that would have fired (file, line and the
check itself, read from ``lib/genalloc.c``), and the caller's Python call
stack down to that call (genpool's own frames left out).  There is no RIP, PID, CPU or register dump, because
there is no such thing here.
"""

from __future__ import annotations

import os
import traceback

import genpool

__all__ = ["BUG_SITES", "bug_site", "kernel_report"]

#: What genpool's message says -> (kernel function, line in Linux 6.12 lib/genalloc.c, the check there).
BUG_SITES = {
    "outstanding": ("gen_pool_destroy", 255, "BUG_ON(bit < end_bit)"),
    "past the end": ("gen_pool_free_owner", 505, "BUG_ON(addr + size - 1 > chunk->end_addr)"),
    "is not allocated": ("gen_pool_free_owner", 508, "BUG_ON(remain)"),
    "outside every chunk": ("gen_pool_free_owner", 518, "BUG()"),
}


def bug_site(bug: genpool.PoolBug) -> tuple[str, int, str] | None:
    """``(kernel function, line, check)`` of the kernel's check that ``bug`` stands for, if there is one.

    A free of a chunk's tail (granules past its bitmap) has none: the
    kernel would clear bits past the bitmap without noticing.
    """
    if bug.outstanding:
        return BUG_SITES["outstanding"]
    message = str(bug)
    for phrase, site in BUG_SITES.items():
        if phrase in message:
            return site
    return None


def kernel_report(bug: genpool.PoolBug) -> str:
    """The oops text for ``bug``: the genpool call, the kernel check, the Python stack that raised it."""
    site = bug_site(bug)
    lines = ["------------[ cut here ]------------"]
    if site is not None:
        function, line, check = site
        lines.append(f"kernel BUG at lib/genalloc.c:{line}!  {check} in {function}() (Linux 6.12)")
    else:
        lines.append("genpool refused a free the kernel would not have checked (no BUG line in lib/genalloc.c)")
    if not bug.outstanding:
        lines.append(str(bug).splitlines()[0])
    frames = traceback.extract_tb(bug.__traceback__) if bug.__traceback__ is not None else []
    # The caller's frames: genpool's own, between the call and the check, say nothing about the bug.
    core = os.path.dirname(genpool.__file__)
    frames = [frame for frame in frames if os.path.dirname(frame.filename) != core]
    if frames:
        lines.append("Python call trace (the caller's), most recent call last:")
        for frame in frames:
            lines.append(f"  {os.path.basename(frame.filename)}:{frame.lineno} in {frame.name}")
            if frame.line:
                lines.append(f"    {frame.line.strip()}")
    lines.append("---[ end trace ]---")
    return "\n".join(lines)
