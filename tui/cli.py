"""The ``genpool tui`` and ``genpool web`` commands.

Importing this module does not import Textual: the core's command line
adds these subcommands with :func:`add_commands`, and Textual is
imported only when one of them runs.  :func:`run_default` is what
``genpool`` with no arguments runs: the app on the embedded demo.
"""

from __future__ import annotations

import argparse
import shlex
import socket
import sys
from collections.abc import Sequence

from genpool.cli_checks import Parser, integer

__all__ = ["DEFAULT_PORT", "add_commands", "build_pools", "main", "run_default"]

DEFAULT_PORT = 8765


def _chunk(text: str) -> object:
    from .values import parse_chunk_spec

    try:
        return parse_chunk_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _pool_options(parser: argparse.ArgumentParser) -> None:
    """The options that say which pool the app opens on, and how it looks."""
    group = parser.add_argument_group("the pool to open (default: the demo pool)")
    group.add_argument("--empty", action="store_true", help="start with no pool (press n to create one)")
    group.add_argument(
        "--order", type=integer("order", 0, 63), metavar="N", help="min_alloc_order of a new pool (default 5)"
    )
    group.add_argument(
        "--chunk",
        type=_chunk,
        action="append",
        default=[],
        metavar="ADDR:SIZE[:PHYS]",
        help="add a chunk, e.g. 0x1000_0000:64K or 0x4000_0000:1M:0x8000_0000 (repeatable)",
    )
    group.add_argument("--algorithm", metavar="NAME", help="the pool's default algorithm (default first_fit)")
    group.add_argument("--trackers", metavar="NAMES", help="comma-separated ownership trackers (default tag,callsite)")
    group.add_argument("--name", metavar="NAME", help="the pool's name")
    parser.add_argument("--theme", metavar="NAME", help="theme to start with (remembered otherwise)")


def add_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``tui``, ``web``, ``watch`` and ``replay`` to the ``genpool`` command's subparsers."""
    tui = subparsers.add_parser(
        "tui",
        help="open the visual debugger (the default)",
        description="Open the Textual visual debugger on the demo pool, an empty screen, or a pool you describe.",
    )
    _pool_options(tui)
    tui.set_defaults(run=_run_tui, subparser=tui)
    web = subparsers.add_parser(
        "web",
        help="serve the visual debugger to a browser",
        description="Serve the same app with textual-serve on a loopback port; open the printed address.",
    )
    web.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    web.add_argument(
        "--port", type=integer("port", 1, 65535), default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})"
    )
    _pool_options(web)
    web.set_defaults(run=_run_web, subparser=web)
    from .replica_cli import add_replica_commands  # imports no Textual either

    add_replica_commands(subparsers)


def build_pools(args: argparse.Namespace) -> list[object]:
    """The pools the options ask for: none, the described pool, or the demo."""
    from .demo import DEMO_TRACKERS, PoolDescription, build_demo_pool, build_pool

    if args.empty:
        return []
    described = args.order is not None or args.chunk or args.algorithm or args.trackers or args.name
    if not described:
        return [build_demo_pool()]
    trackers = (
        DEMO_TRACKERS if args.trackers is None else tuple(t.strip() for t in args.trackers.split(",") if t.strip())
    )
    description = PoolDescription(
        order=5 if args.order is None else args.order,
        chunks=tuple(args.chunk),
        algorithm=args.algorithm or "first_fit",
        trackers=trackers,
        name=args.name,
    )
    return [build_pool(description)]


def check_theme(name: str | None) -> None:
    """InvalidArgument unless ``name`` is None or a theme the app has (shipped, the user's, or Textual's)."""
    if name is None:
        return
    import genpool
    from textual.theme import BUILTIN_THEMES

    from .themes import load_themes

    shipped, user, _ = load_themes()
    known = sorted({theme.name for theme in [*shipped, *user]} | set(BUILTIN_THEMES))
    if name not in known:
        raise genpool.InvalidArgument(f"unknown theme {name!r} (known: {', '.join(known)})")


def _run_tui(args: argparse.Namespace) -> int:
    check_theme(args.theme)
    pools = build_pools(args)
    from .app import GenpoolApp

    GenpoolApp(pools, theme=args.theme).run()  # type: ignore[arg-type]
    return 0


def _pool_argv(args: argparse.Namespace) -> list[str]:
    """The ``tui`` options that reproduce ``args`` in the served app's process."""
    argv: list[str] = []
    if args.empty:
        argv.append("--empty")
    if args.order is not None:
        argv += ["--order", str(args.order)]
    for spec in args.chunk:
        argv += ["--chunk", str(spec)]
    for option in ("algorithm", "trackers", "name", "theme"):
        value = getattr(args, option)
        if value is not None:
            argv += [f"--{option}", value]
    return argv


def _run_web(args: argparse.Namespace) -> int:
    """Check everything a served app would refuse, and the address, before serving."""
    from .web import serve

    check_theme(args.theme)
    build_pools(args)
    try:
        _check_listen(args.host, args.port)
    except OSError as exc:
        args.subparser.error(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}")
    command = shlex.join([sys.executable, "-m", "genpool.tui", "tui", *_pool_argv(args)])
    try:
        serve(command, args.host, args.port)
    except KeyboardInterrupt:
        pass  # Ctrl+C is how a person stops the server
    return 0


def _check_listen(host: str, port: int) -> None:
    """Bind and release ``host:port`` once, so an unknown host or a port in use is an error, not a traceback."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        # As the server will: a port left in TIME_WAIT by a previous run is free to use.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(address)


def run_default() -> int:
    """``genpool`` with no arguments: the app on the demo pool."""
    from .app import GenpoolApp
    from .demo import build_demo_pool

    GenpoolApp([build_demo_pool()]).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m genpool.tui [tui|web] [options]`` (``tui`` when no command is given)."""
    parser = Parser(prog="python -m genpool.tui")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_commands(commands)
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0].startswith("-") and arguments[0] not in ("-h", "--help"):
        arguments.insert(0, "tui")
    args = parser.parse_args(arguments)
    return int(args.run(args))
