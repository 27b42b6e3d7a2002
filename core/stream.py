"""The stream of pool records that traces and watching share (``docs/trace-format.md``).

One JSON object per line.  The first line is a header; then snapshots
of pools (``pool`` records) and events, each with the ``seq`` the
producer's pool gave it.  A ``resync`` mark says that what came before
no longer counts: the ``pool`` records that follow it, at the same
``seq``, describe every live pool afresh.

This module turns pools into records (:func:`describe_pool`,
:func:`owner_value`) and checks records read back (:func:`check_record`);
:mod:`genpool.replica` applies them.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import msgspec

from . import __version__
from .errors import CorruptTrace, InvalidArgument

if TYPE_CHECKING:
    from .pool import Pool

__all__ = [
    "FORMAT",
    "AllocRecord",
    "FreeRecord",
    "OWNER_REPR_LIMIT",
    "SUPPORTED_VERSIONS",
    "VERSION",
    "check_header",
    "check_record",
    "describe_pool",
    "header",
    "owner_value",
    "parse_line",
    "parse_record",
]

#: One line of a stream (bytes) to its JSON value; a ValueError for anything that is not JSON.
#: msgspec's decoder reads a line three to four times as fast as the standard library's.
parse_line = msgspec.json.Decoder().decode


class AllocRecord(msgspec.Struct, tag="alloc", tag_field="type", omit_defaults=True, gc=False):
    """An ``alloc`` record: as a producer writes it (``owner`` left out when None) and :func:`parse_record` reads it."""

    seq: int
    pool: int
    chunk: int
    addr: int
    size: int
    algorithm: str
    owner: Any = None


class FreeRecord(msgspec.Struct, tag="free", tag_field="type", gc=False):
    """A ``free`` record: as a producer writes it and :func:`parse_record` reads it."""

    seq: int
    pool: int
    chunk: int
    addr: int
    size: int


EventRecord = AllocRecord | FreeRecord
_parse_event = msgspec.json.Decoder(EventRecord).decode


def parse_record(line: bytes) -> Any:
    """A line as an :class:`AllocRecord` or :class:`FreeRecord` if it is a well-formed one, else as :func:`parse_line`.

    Allocations and frees are nearly every line of a stream: decoded
    straight into their fields, their types are checked in C and applying
    them reads attributes, not a dict.  Anything else (another record
    type, a malformed allocation) comes back as its JSON value, for
    :func:`check_record` to judge; a line that is not JSON raises ValueError.
    """
    try:
        return _parse_event(line)
    except msgspec.ValidationError:
        return parse_line(line)


FORMAT = "genpool-trace"
VERSION = 1
SUPPORTED_VERSIONS = (1,)
#: An owner that is not a JSON value is written as its ``repr``, cut to this many characters.
OWNER_REPR_LIMIT = 200

_SCALARS = (str, int, bool, type(None))


def owner_value(owner: object) -> Any:
    """``owner`` as it is written: JSON values as they are, anything else as its cut ``repr``.

    Strings, integers, booleans, None and finite floats are kept; lists
    and dicts are kept when JSON reads them back equal (no tuples, no
    keys other than strings); anything else becomes ``repr(owner)``, cut to
    :data:`OWNER_REPR_LIMIT` characters with a final ``…`` when cut.
    """
    kind = type(owner)
    if kind in _SCALARS or (kind is float and math.isfinite(owner)):  # type: ignore[arg-type]
        return owner
    if kind is list or kind is dict:
        try:
            if json.loads(json.dumps(owner, allow_nan=False)) == owner:
                return owner
        except (TypeError, ValueError, RecursionError):
            pass
    text = repr(owner)
    return text if len(text) <= OWNER_REPR_LIMIT else text[: OWNER_REPR_LIMIT - 1] + "…"


def header(argv: list[str] | None = None) -> dict[str, Any]:
    """The header record of a stream this process produces."""
    return {
        "type": "header",
        "format": FORMAT,
        "version": VERSION,
        "genpool": __version__,
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "pid": os.getpid(),
        "argv": list(sys.argv if argv is None else argv),
    }


def describe_pool(pool: Pool, pool_id: int, seq: int) -> dict[str, Any]:
    """A ``pool`` record: everything needed to rebuild ``pool`` as it is at ``seq``.

    The caller holds the pool's lock (or owns the pool alone), so the
    record and ``seq`` agree.  Chunks are listed oldest first; each
    carries the runs of its allocated granules; ``allocations`` lists
    ``[chunk index, first granule, granule count, owner]`` when the pool
    has trackers (``trackers`` names them).
    """
    chunks = []
    allocations: list[list[Any]] = []
    ordered = pool._chunks[::-1]
    index = {chunk: position for position, chunk in enumerate(ordered)}
    for chunk in ordered:
        runs = [[first, length] for first, length, is_set in chunk._bitmap.runs() if is_set]
        chunks.append(
            {
                "virt": chunk._start,
                "phys": chunk._phys,
                "size": chunk._end - chunk._start + 1,
                "nid": chunk._nid,
                "owner": owner_value(chunk._owner),
                "runs": runs,
            }
        )
    tracking = pool._tracking
    if tracking is not None:
        for record in tracking.allocations():
            chunk = record.chunk
            first = (record.addr - chunk._start) >> pool._order
            allocations.append([index[chunk], first, record.size >> pool._order, owner_value(record.owner)])
    return {
        "type": "pool",
        "seq": seq,
        "pool": pool_id,
        "name": pool._name,
        "order": pool._order,
        "nid": pool._nid,
        "algorithm": pool._choice[0].name,
        "trackers": list(pool.trackers),
        "destroyed": pool._destroyed,
        "chunks": chunks,
        "allocations": allocations if tracking is not None else None,
    }


# -- checking records read back ----------------------------------------------

_INT: frozenset[type] = frozenset({int})
_OPTIONAL_INT: frozenset[type] = frozenset({int, type(None)})
_STR: frozenset[type] = frozenset({str})
_OPTIONAL_STR: frozenset[type] = frozenset({str, type(None)})
_BOOL: frozenset[type] = frozenset({bool})
_LIST: frozenset[type] = frozenset({list})
_OPTIONAL_LIST: frozenset[type] = frozenset({list, type(None)})

#: Required fields of each record type and the exact JSON types they may have (a bool is not an int).
FIELDS: dict[str, tuple[tuple[str, frozenset[type]], ...]] = {
    "pool": (
        ("seq", _INT),
        ("pool", _INT),
        ("name", _OPTIONAL_STR),
        ("order", _INT),
        ("nid", _INT),
        ("algorithm", _STR),
        ("trackers", _LIST),
        ("destroyed", _BOOL),
        ("chunks", _LIST),
        ("allocations", _OPTIONAL_LIST),
    ),
    "chunk": (
        ("seq", _INT),
        ("pool", _INT),
        ("virt", _INT),
        ("phys", _OPTIONAL_INT),
        ("size", _INT),
        ("nid", _INT),
    ),
    "alloc": (("seq", _INT), ("pool", _INT), ("chunk", _INT), ("addr", _INT), ("size", _INT), ("algorithm", _STR)),
    "free": (("seq", _INT), ("pool", _INT), ("chunk", _INT), ("addr", _INT), ("size", _INT)),
    "algorithm": (("seq", _INT), ("pool", _INT), ("algorithm", _STR)),
    "destroy": (("seq", _INT), ("pool", _INT)),
    "bug": (("seq", _INT), ("pool", _INT), ("message", _STR)),
    "resync": (("seq", _INT), ("pools", _INT)),
}


def check_record(record: object, where: str, line: int | None) -> dict[str, Any]:
    """``record`` if it is a well-formed stream record (not the header); else CorruptTrace.

    Checks the shape only: the fields its type needs, with the right
    JSON types.  Whether it agrees with the pools is
    :class:`genpool.replica.ReplicaSet`'s to say.
    """
    if type(record) is not dict:
        raise CorruptTrace(f"expected a JSON object, got {type(record).__name__}", path=where, line=line)
    get = record.get
    kind = get("type")
    fields = FIELDS.get(kind) if type(kind) is str else None
    if fields is None:
        raise CorruptTrace(f"unknown record type {get('type')!r}", path=where, line=line)
    for name, kinds in fields:
        if type(get(name, _MISSING)) not in kinds:
            _wrong_field(record, name, kinds, where, line)
    return record


def _wrong_field(record: dict[str, Any], name: str, kinds: frozenset[type], where: str, line: int | None) -> None:
    if name not in record:
        raise CorruptTrace(f"{record['type']} record has no {name!r}", path=where, line=line)
    names = {int: "an integer", str: "a string", list: "a list", bool: "a boolean", type(None): "null"}
    wanted = " or ".join(sorted(names[kind] for kind in kinds))
    raise CorruptTrace(f"{record['type']} record: {name!r} is {record[name]!r}, not {wanted}", path=where, line=line)


def check_header(record: object, where: str) -> dict[str, Any]:
    """``record`` if it is a header of a format version this genpool reads.

    CorruptTrace if it is not a genpool header at all; InvalidArgument
    (naming the supported versions) for a version from the future.
    """
    if type(record) is not dict or record.get("type") != "header" or record.get("format") != FORMAT:
        raise CorruptTrace(f"not a genpool stream (the first line is not a {FORMAT} header)", path=where, line=1)
    version = record.get("version")
    if version not in SUPPORTED_VERSIONS or type(version) is not int:
        supported = ", ".join(map(str, SUPPORTED_VERSIONS))
        raise InvalidArgument(
            f"{where}: {FORMAT} version {version!r} is not supported (this genpool reads version {supported})"
        )
    for name, kind in (("pid", int), ("argv", list), ("genpool", str), ("time", str)):
        if not isinstance(record.get(name), kind):
            raise CorruptTrace(f"header has no valid {name!r}", path=where, line=1)
    return record


_MISSING = object()
