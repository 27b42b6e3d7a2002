"""A PoolBug told the way the kernel tells a BUG: the oops report (no Textual here).

genpool raises :class:`genpool.PoolBug` where ``lib/genalloc.c`` calls
``BUG()`` or ``BUG_ON()``; the kernel would print an oops and kill the
task.  :func:`kernel_report` writes that oops for the BUG modal, with the
source line of the check that fired (line numbers of Linux 5.4+).
"""

from __future__ import annotations

import genpool

__all__ = ["BUG_SITES", "bug_function", "kernel_report"]

#: Kernel function -> (line of its BUG check in lib/genalloc.c, code offset, function size).
BUG_SITES = {
    "gen_pool_destroy": (255, 0x9C, 0xB0),
    "gen_pool_free_owner": (506, 0x10E, 0x150),
}


def bug_function(bug: genpool.PoolBug) -> str:
    """The kernel function whose BUG check ``bug`` stands for."""
    message = str(bug)
    if message.startswith("gen_pool_destroy") or bug.outstanding:
        return "gen_pool_destroy"
    return "gen_pool_free_owner"


def kernel_report(bug: genpool.PoolBug, caller: str = "genpool_tui_action") -> str:
    """The oops text for ``bug``, ending with genpool's own explanation."""
    function = bug_function(bug)
    line, offset, size = BUG_SITES[function]
    frame = f"{function}+{offset:#x}/{size:#x}"
    lines = [
        "------------[ cut here ]------------",
        f"kernel BUG at lib/genalloc.c:{line}!",
        "invalid opcode: 0000 [#1] PREEMPT SMP NOPTI",
        "CPU: 0 PID: 1 Comm: genpool Not tainted",
        f"RIP: 0010:{frame}",
        "Call Trace:",
        " <TASK>",
        f" {frame}",
        f" {caller}+0x2a/0x40",
        " </TASK>",
        "---[ end trace 0000000000000000 ]---",
        "",
        str(bug).splitlines()[0],
    ]
    return "\n".join(lines)
