"""``genpool record -o TRACE -- COMMAND [ARGS...]``: run a program with recording on."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

__all__ = ["add_command", "count_events"]


def add_command(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``record`` to the ``genpool`` command's subparsers."""
    record = subparsers.add_parser(
        "record",
        help="run a program and record its pools to a trace",
        description="Run COMMAND with GENPOOL_TRACE=TRACE, so that every pool it makes (once it imports genpool) "
        "is recorded; then say where the trace went, its size and its event count. "
        "Exits with the program's exit status.",
    )
    record.add_argument("-o", "--output", required=True, metavar="TRACE", help="the trace file to write")
    record.add_argument("command", nargs=argparse.REMAINDER, metavar="-- COMMAND [ARGS...]", help="the program to run")
    record.set_defaults(run=_run_record)


def count_events(path: str) -> int:
    """Event lines in a trace (every line but the header, resync marks and pool snapshots)."""
    count = 0
    with open(path, "rb") as file:
        file.readline()
        for line in file:
            if not line.startswith((b'{"type":"pool"', b'{"type":"resync"')):
                count += 1
    return count


def _run_record(args: argparse.Namespace) -> int:
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        print(
            "genpool record: give the program to run after --, e.g. genpool record -o t.jsonl -- python app.py",
            file=sys.stderr,
        )
        return 2
    path = os.path.abspath(args.output)
    try:
        open(path, "ab").close()
        os.unlink(path)
    except OSError as exc:
        print(f"genpool record: cannot write the trace {args.output!r}: {exc.strerror}", file=sys.stderr)
        return 2
    env = dict(os.environ, GENPOOL_TRACE=path)
    try:
        status = subprocess.call(command, env=env)
    except OSError as exc:
        print(f"genpool record: cannot run {command[0]!r}: {exc.strerror}", file=sys.stderr)
        return 127
    except KeyboardInterrupt:
        status = 130
    if not os.path.exists(path):
        print(f"genpool record: no trace written: {command[0]} never imported genpool", file=sys.stderr)
        return status or 1
    size = os.path.getsize(path)
    print(f"genpool record: trace written to {path} ({size} bytes, {count_events(path)} events)", file=sys.stderr)
    return status
