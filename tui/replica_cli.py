"""The ``genpool watch`` and ``genpool replay`` commands.

Like :mod:`genpool.tui.cli`, importing this module imports no Textual,
and neither does ``genpool replay --check``, which replays headless.
Every failure the user can cause (a malformed or remote address, nothing
or something else listening, a wrong token, a trace that cannot be read
or contradicts itself) ends with one line on stderr and an exit status:
2 for a bad argument or an unreadable trace, 1 for a failed connection
or a corrupt trace.  No traceback.  A trace that goes bad part way is
shown up to its bad line first; the line and status follow when the app
is closed.
"""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["CONNECT_SECONDS", "add_replica_commands"]

#: How long ``genpool watch`` waits for the producer's first snapshot before giving up.
CONNECT_SECONDS = 5.0


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be a positive number of seconds")
    return value


def add_replica_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``watch`` and ``replay`` to the ``genpool`` command's subparsers."""
    watch = subparsers.add_parser(
        "watch",
        help="draw a running program's pools live",
        description="Connect to a program that serves its pools (genpool.watch.serve or GENPOOL_WATCH) "
        "and draw them live, read-only.  ADDRESS is unix:PATH or HOST:PORT.",
    )
    watch.add_argument("address", metavar="ADDRESS", help="where the program serves: unix:PATH or HOST:PORT")
    watch.add_argument(
        "--token",
        default=os.environ.get("GENPOOL_WATCH_TOKEN"),
        help="the token the program asks for (default: $GENPOOL_WATCH_TOKEN)",
    )
    watch.add_argument("--allow-remote", action="store_true", help="allow an address that is not loopback")
    watch.add_argument(
        "--wait",
        type=_seconds,
        default=CONNECT_SECONDS,
        metavar="SECONDS",
        help=f"how long to wait for the first snapshot (default {CONNECT_SECONDS:g})",
    )
    watch.add_argument("--theme", metavar="NAME", help="theme to start with (remembered otherwise)")
    watch.set_defaults(run=_run_watch)
    replay = subparsers.add_parser(
        "replay",
        help="play a recorded trace: pause, step, speed, scrubber",
        description="Open a trace (genpool record, genpool.trace.record, GENPOOL_TRACE) in the visual debugger, "
        "or with --check replay it headless and print each pool's final state and any BUG reached.",
    )
    replay.add_argument("trace", metavar="TRACE", help="the trace file (JSON Lines)")
    replay.add_argument("--check", action="store_true", help="replay headless (no TUI); non-zero exit if corrupt")
    replay.add_argument("--theme", metavar="NAME", help="theme to start with (remembered otherwise)")
    replay.set_defaults(run=_run_replay)


def _fail(command: str, message: object, status: int) -> int:
    """Say why ``genpool COMMAND`` failed, in one line on stderr; return the exit status."""
    text = str(message).splitlines()[0] if str(message) else type(message).__name__
    print(f"genpool {command}: {text}", file=sys.stderr)
    return status


def _run_watch(args: argparse.Namespace) -> int:
    import genpool
    import genpool.watch

    try:
        client = genpool.watch.connect(args.address, token=args.token, allow_remote=args.allow_remote)
    except genpool.GenPoolError as exc:
        return _fail("watch", exc, 2)
    try:
        if not client.wait_connected(args.wait):
            if client.status == "disconnected":  # turned away for good: not genpool, wrong token ...
                return _fail("watch", client.error, 1)
            detail = f" ({client.error})" if client.error else ""
            return _fail("watch", f"no genpool producer answered at {args.address} within {args.wait:g} s{detail}", 1)
        from .watch_app import WatchApp

        WatchApp(client, args.address, theme=args.theme).run()
    finally:
        client.close()
    return 0


def _run_replay(args: argparse.Namespace) -> int:
    if args.check:
        from genpool.trace import check

        return check(args.trace)
    try:
        with open(args.trace, "rb"):
            pass
    except OSError as exc:
        return _fail("replay", f"cannot read {args.trace}: {exc.strerror or exc}", 2)
    from .replay_app import ReplayApp

    app = ReplayApp(path=args.trace, theme=args.theme)
    app.run()
    if app.failure is not None:
        return _fail("replay", app.failure, app.return_code or 1)
    return 0
