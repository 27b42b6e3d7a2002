"""The producer's stream lines before they are encoded, and the rule for when they may be written.

An allocation or a free becomes a :class:`~genpool.stream.AllocRecord` or
:class:`~genpool.stream.FreeRecord` (msgspec structs, not tracked by the
garbage collector, which a viewer also reads them back into), any other event
a dict (:func:`rare_line`); :func:`encode_lines` turns a whole batch
into JSON Lines in one C call.  Building a struct and encoding it costs
the writer a third of what formatting each line with an f-string did,
and the writer shares the GIL with the watched program.
"""

from __future__ import annotations

import bisect
from typing import Any

import msgspec

from .events import AlgorithmSet, BugRaised, ChunkAdded, Destroyed
from .stream import owner_value

__all__ = ["encode_lines", "line_seq", "rare_line", "writable_count"]


#: A batch of lines (structs and dicts) to JSON Lines (bytes), in one C call.
encode_lines = msgspec.json.Encoder().encode_lines


def line_seq(line: Any) -> int:
    """The ``seq`` of a line not yet encoded (a struct or a dict)."""
    seq: int = line["seq"] if type(line) is dict else line.seq
    return seq


def rare_line(event: Any, pool_id: int) -> dict[str, Any]:
    """The line of an event other than an allocation or a free (or of a pool's creation)."""
    kind = type(event)
    record: dict[str, Any] = {"type": "", "seq": event.seq, "pool": pool_id}
    if kind is ChunkAdded:
        chunk = event.chunk
        record.update(
            type="chunk",
            virt=chunk._start,
            phys=chunk._phys,
            size=chunk._end - chunk._start + 1,
            nid=chunk._nid,
            owner=owner_value(chunk._owner),
        )
    elif kind is AlgorithmSet:
        record.update(type="algorithm", algorithm=event.algorithm)
    elif kind is Destroyed:
        record["type"] = "destroy"
    elif kind is BugRaised:
        record.update(type="bug", message=event.message)
    else:  # the producer's note that a pool was created
        pool = event.pool
        trackers = list(pool.trackers)
        record.update(
            type="pool",
            name=pool.name,
            order=pool.min_alloc_order,
            nid=pool.nid,
            algorithm=event.algorithm,
            trackers=trackers,
            destroyed=False,
            chunks=[],
            allocations=[] if trackers else None,
        )
    return record


def writable_count(seqs: list[int], watermark: int, written: int) -> int:
    """How many of the sorted ``seqs`` can be written now; the rest wait a cycle for slower threads.

    ``watermark`` is the newest ``seq`` of the writer's last cycle (or
    ``written``, the last one written, if that is newer).  Those up to
    it are safe, and so are those just after them with no ``seq``
    missing in between: nothing can still come to fill a gap that is not
    there.  Only a gap -- another thread between taking its ``seq`` and
    queuing its event, or a ``seq`` taken by something the stream does
    not carry -- holds events back, so that a single-threaded program's
    events are written in the cycle they arrive (and die young, before
    the garbage collector's older generations have to scan them).
    """
    cut = bisect.bisect_right(seqs, watermark)
    last = max(seqs[cut - 1], written) if cut else written
    # seqs[i] - i never decreases; it stays at `run` exactly as long as no seq is missing.
    run = last + 1 - cut
    low, high = cut, len(seqs)
    if seqs[-1] - (high - 1) == run:
        return high
    while low < high:
        middle = (low + high) // 2
        if seqs[middle] - middle > run:
            high = middle
        else:
            low = middle + 1
    return low
