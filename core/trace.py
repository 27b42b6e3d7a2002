"""Traces: the pool stream written to a file, read back and replayed.

``record(path)`` (or ``GENPOOL_TRACE=path``) writes every pool of the
process to a JSON Lines file (``docs/trace-format.md``): a header, a
snapshot of the pools that already exist, then every event.  ``read``
loads one, checking every line and replaying it as it goes, so that a
trace that contradicts itself is caught at the line where it does, and
keeping a checkpoint of the replicas every :data:`CHECKPOINT_EVERY`
records, so that a :class:`Player` can seek anywhere without replaying
from the start.
"""

from __future__ import annotations

import bisect
import json
import os
import sys
from array import array
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from .errors import CorruptTrace, InvalidArgument
from .producer import Endpoint, Sink, add_endpoint, remove_endpoint
from .replica import ReplicaSet
from .stream import AllocRecord, FreeRecord, check_header, parse_line, parse_record

__all__ = ["CHECKPOINT_EVERY", "Player", "Trace", "check", "read", "record", "start_recording"]

#: Records between two checkpoints of a loaded trace.
CHECKPOINT_EVERY = 8192
_PROGRESS_EVERY = 1 << 14
# Lines a live stream may carry that a trace may not (a second header; a heartbeat).
_STREAM_ONLY = frozenset({"header", "tick"})
_EVENT_TYPES = frozenset({"chunk", "alloc", "free", "algorithm", "destroy", "bug"})


class _TraceFile(Endpoint, Sink):
    """A trace being written: one sink, one file."""

    def __init__(self, path: str) -> None:
        Sink.__init__(self)
        try:
            self._file: IO[bytes] = open(path, "wb")  # noqa: SIM115 -- closed by remove_endpoint
        except OSError as exc:
            raise InvalidArgument(f"cannot write the trace {path!r}: {exc.strerror}") from None

    def sinks(self) -> list[Sink]:
        """The file itself."""
        return [self]

    def send(self, data: bytes) -> None:
        """Write the lines (buffered; the file is local, so this never waits long)."""
        self._file.write(data)

    def close(self) -> None:
        """Close the file."""
        self._file.close()


@contextmanager
def record(path: str | os.PathLike[str]) -> Iterator[str]:
    """Record every pool of the process to the trace ``path`` while the block runs; yield the path.

    Pools that exist already are written as a snapshot first.  The file
    is complete when the block ends (and at exit, should the program end
    inside it).  InvalidArgument if ``path`` cannot be written.
    """
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgument(f"path must be a file path, not {type(path).__name__}")
    path = os.fspath(path)
    endpoint = _TraceFile(path)
    add_endpoint(endpoint)
    try:
        yield path
    finally:
        remove_endpoint(endpoint)


def start_recording(path: str | os.PathLike[str]) -> None:
    """Record every pool to ``path`` until the program exits (what ``GENPOOL_TRACE`` does)."""
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgument(f"path must be a file path, not {type(path).__name__}")
    add_endpoint(_TraceFile(os.fspath(path)))


class _Checkpoint:
    __slots__ = ("index", "pools", "bugs", "seq")

    def __init__(self, index: int, replicas: ReplicaSet) -> None:
        self.index = index
        self.seq = replicas.seq
        self.pools = replicas.snapshot()
        self.bugs = list(replicas.bugs)


class Trace:
    """A trace read into memory: ``header``, its records, and checkpoints to replay from.

    ``first_seq`` and ``last_seq`` bound the ``seq`` of its records,
    ``event_count`` counts its events (not snapshots), ``len(trace)``
    its records.  The records are kept as the lines they were read from
    (a parsed record costs eight times the memory) and parsed again when
    replayed: a seek parses at most :data:`CHECKPOINT_EVERY` of them.
    """

    def __init__(
        self,
        path: str,
        header: dict[str, Any],
        lines: list[bytes],
        seqs: array[int],
        event_count: int,
        checkpoints: list[Any],
    ) -> None:
        self.path = path
        self.header = header
        self._lines = lines
        self._seqs = seqs
        self._checkpoints = checkpoints
        self.first_seq = seqs[0] if seqs else 0
        self.last_seq = seqs[-1] if seqs else 0
        self.event_count = event_count

    def __len__(self) -> int:
        return len(self._lines)

    def records(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        """Records ``start`` to ``stop`` (indexes, as a slice), parsed."""
        return [parse_line(line) for line in self._lines[start:stop]]

    def __repr__(self) -> str:
        return f"<Trace {self.path!r} seq {self.first_seq}..{self.last_seq} events={self.event_count}>"

    def replay(self, upto_seq: int | None = None) -> ReplicaSet:
        """New replicas in the state after every record up to ``upto_seq`` (default: all)."""
        replicas = ReplicaSet(self.path)
        replicas.apply(self.header)
        self._goto(replicas, 0, self.index_of(upto_seq))
        return replicas

    def player(self) -> Player:
        """A :class:`Player` at the start of the trace."""
        return Player(self)

    def index_of(self, seq: int | None) -> int:
        """How many records have a ``seq`` at or below ``seq`` (all of them for None)."""
        if seq is None:
            return len(self._lines)
        if type(seq) is not int:
            raise InvalidArgument(f"seq must be an integer, not {type(seq).__name__}")
        return bisect.bisect_right(self._seqs, seq)

    def _goto(self, replicas: ReplicaSet, position: int, target: int) -> None:
        """Bring ``replicas``, now after ``position`` records, to just after ``target`` records."""
        if target < position or target - position > CHECKPOINT_EVERY:
            found = bisect.bisect_right([point.index for point in self._checkpoints], target) - 1
            if found >= 0 and (target < position or self._checkpoints[found].index > position):
                point = self._checkpoints[found]
                replicas.seq = 0
                replicas.apply({"type": "resync", "seq": point.seq, "pools": len(point.pools)})
                for pool in point.pools:
                    replicas.apply(pool)
                replicas.bugs[:] = point.bugs
                position = point.index
            elif target < position:
                replicas.seq = 0
                replicas.apply({"type": "resync", "seq": 0, "pools": 0})
                replicas.bugs.clear()
                position = 0
        lines = self._lines
        for index in range(position, target):
            replicas.apply(parse_record(lines[index]), index + 2)


class Player:
    """A position in a trace, with replicas in the state there.

    ``replicas`` stays the same object; :meth:`seek` may replace the
    Pool objects in it (bumping ``replicas.generation``), :meth:`step`
    forward applies events to the pools in place so their observers see
    them.
    """

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.replicas = trace.replay(trace.first_seq - 1)
        self.position = 0
        self.first_seq = trace.first_seq
        self.last_seq = trace.last_seq

    @property
    def seq(self) -> int:
        """The ``seq`` of the last record applied."""
        return self.replicas.seq

    def seek(self, seq: int) -> None:
        """Go to the state after every record up to ``seq``."""
        self._goto(self.trace.index_of(seq))

    def step(self, n: int = 1) -> None:
        """Move ``n`` records forward (back when negative), stopping at either end."""
        if type(n) is not int:
            raise InvalidArgument(f"n must be an integer, not {type(n).__name__}")
        self._goto(min(max(self.position + n, 0), len(self.trace)))

    def events(self, start_seq: int, stop_seq: int) -> list[dict[str, Any]]:
        """The records with ``start_seq <= seq < stop_seq``, for a log."""
        for name, value in (("start_seq", start_seq), ("stop_seq", stop_seq)):
            if type(value) is not int:
                raise InvalidArgument(f"{name} must be an integer, not {type(value).__name__}")
        trace = self.trace
        return trace.records(trace.index_of(start_seq - 1), trace.index_of(stop_seq - 1))

    def _goto(self, target: int) -> None:
        self.trace._goto(self.replicas, self.position, target)
        self.position = target


def read(path: str | os.PathLike[str], *, progress: Callable[[int, int], object] | None = None) -> Trace:
    """Load the trace at ``path``, checking every line; ``progress(done_bytes, total_bytes)`` as it goes.

    A truncated or corrupt line, or one that contradicts the replicas,
    raises CorruptTrace naming the file and line, with the records
    before it as ``exc.partial`` (a Trace).  An unknown format version
    raises InvalidArgument naming the versions supported; a file that
    cannot be read, InvalidArgument too.
    """
    if not isinstance(path, str | os.PathLike):
        raise InvalidArgument(f"path must be a file path, not {type(path).__name__}")
    path = os.fspath(path)
    if progress is not None and not callable(progress):
        raise InvalidArgument(f"progress must be callable, not {type(progress).__name__}")
    try:
        file = open(path, "rb")  # noqa: SIM115
        total = os.fstat(file.fileno()).st_size
    except OSError as exc:
        raise InvalidArgument(f"cannot read the trace {path!r}: {exc.strerror}") from None
    with file:
        first = file.readline()
        try:
            head = json.loads(first)
        except ValueError:
            raise CorruptTrace("not a genpool trace (the first line is not JSON)", path=path, line=1) from None
        header = check_header(head, path)
        replicas = ReplicaSet(path)
        replicas.apply(header)
        lines: list[bytes] = []
        seqs = array("q")
        events = 0
        checkpoints: list[_Checkpoint] = []
        done = len(first)
        decode, apply, append, append_seq = parse_record, replicas.apply, lines.append, seqs.append
        number = 1
        try:
            for number, raw in enumerate(file, 2):
                done += len(raw)
                if raw[-1:] != b"\n":
                    raise CorruptTrace("truncated line (no end of line)", path=path, line=number)
                try:
                    item = decode(raw)
                except ValueError as exc:
                    raise CorruptTrace(f"not JSON: {exc}", path=path, line=number) from None
                kind = type(item)
                if kind is AllocRecord or kind is FreeRecord:
                    apply(item, number)
                    append_seq(item.seq)
                    events += 1
                else:
                    if kind is dict and type(item.get("type")) is str and item["type"] in _STREAM_ONLY:
                        raise CorruptTrace(f"a {item['type']} line has no place in a trace", path=path, line=number)
                    apply(item, number)
                    append_seq(item["seq"])
                    events += item["type"] in _EVENT_TYPES
                append(raw)
                if len(lines) % CHECKPOINT_EVERY == 0:
                    checkpoints.append(_Checkpoint(len(lines), replicas))
                if progress is not None and number % _PROGRESS_EVERY == 0:
                    progress(done, total)
        except CorruptTrace as exc:
            exc.partial = Trace(path, header, lines, seqs, events, checkpoints)
            raise
        if progress is not None:
            progress(total, total)
    return Trace(path, header, lines, seqs, events, checkpoints)


def check(path: str | os.PathLike[str], out: IO[str] = sys.stdout) -> int:
    """Replay the trace at ``path`` headless; print each pool's final state and every BUG reached.

    Returns the exit status of ``genpool replay --check``: 0 when the
    trace is sound, 1 when it is corrupt (the state before the bad line
    is printed too), 2 when it cannot be read or is of an unknown version.
    """
    try:
        trace = read(path)
        status = 0
    except CorruptTrace as exc:
        print(f"corrupt trace: {exc}", file=out)
        trace, status = exc.partial, 1  # type: ignore[assignment]
    except InvalidArgument as exc:
        print(f"error: {exc}", file=out)
        return 2
    replicas = trace.replay()
    head = trace.header
    print(
        f"trace {trace.path}: pid {head['pid']} ({' '.join(map(str, head['argv']))}), genpool {head['genpool']}, "
        f"{trace.event_count} events, seq {trace.first_seq}..{trace.last_seq}",
        file=out,
    )
    for pool_id, pool in replicas.pools.items():
        name = "" if pool.name is None else f" {pool.name!r}"
        allocations = pool.allocations()
        print(
            f"pool {pool_id}{name}: order {pool.min_alloc_order}, {pool.algorithm.name}, "
            f"{len(pool.chunks)} chunk(s), {pool.size - pool.avail} of {pool.size} bytes used, "
            f"{len(allocations)} allocation(s)",
            file=out,
        )
        for allocation in allocations:
            print(f"  {allocation}", file=out)
    for bug in replicas.bugs:
        print(f"BUG at seq {bug['seq']} in pool {bug['pool']}: {bug['message']}", file=out)
    return status
