"""The ``genpool`` command."""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import cast

from . import __version__
from .cli_checks import Parser, check_bench, fail, integer, seconds
from .console import format_table, progress_line

__all__ = ["main"]

BUILTIN_ALGORITHMS = ("first_fit", "first_fit_align", "first_fit_order_align", "best_fit", "fixed_alloc")
# The top-level modules of the ``tui`` extra (see pyproject.toml).
TUI_EXTRA_MODULES = frozenset({"textual", "textual_serve", "rich", "platformdirs", "zlib_ng"})
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def byte_size(text: str) -> int:
    """Parse ``4096``, ``0x1000``, ``64K``, ``256M``, ``4GiB``..."""
    match = re.fullmatch(r"\s*(0x[0-9a-f]+|\d+)\s*([kmgt]?)(i?b)?\s*", text.lower())
    if match is None:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 4096, 64K, 256M or 0x1000)")
    value = int(match.group(1), 0) * _UNITS[match.group(2)]
    if value <= 0:
        raise argparse.ArgumentTypeError("a size must be positive")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``genpool``."""
    parser = Parser(
        prog="genpool",
        description="The Linux kernel's gen_pool allocator: library, plugin host and visual debugger. "
        "With no command, opens the visual debugger on a demo pool.",
    )
    parser.add_argument("--version", action="version", version=f"genpool {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    bench = commands.add_parser(
        "bench",
        help="measure allocator throughput on the steady-state workload",
        description="Run the steady-state workload (sizes 8..4096 bytes, 50-80%% used) for each algorithm, "
        "with a naive first-fit baseline measured in the same run.",
    )
    bench.add_argument("--pool-size", type=byte_size, default=1 << 20, metavar="BYTES", help="pool size (default 1M)")
    bench.add_argument("--order", type=integer("order", 0, 63), default=3, help="min_alloc_order (default 3)")
    bench.add_argument("--steps", type=integer("steps", 1), default=200_000, help="workload steps (default 200000)")
    bench.add_argument("--seed", type=integer("seed", 0), default=1, help="random seed (default 1)")
    bench.add_argument(
        "--algorithm",
        action="append",
        choices=BUILTIN_ALGORITHMS,
        dest="algorithms",
        help="algorithm to run (repeatable; default: all built-in ones)",
    )
    bench.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    bench.add_argument(
        "--baseline-seconds",
        type=seconds,
        default=5.0,
        metavar="S",
        help="stop the baseline after S seconds (default 5)",
    )
    bench.add_argument("--suite", action="store_true", help="run every case of the README's performance table")
    bench.add_argument(
        "--repeat", type=integer("repeat", 1, 1000), default=3, help="repeats of each --suite row (default 3)"
    )
    bench.add_argument("--json", action="store_true", help="print results as JSON")
    bench.set_defaults(run=_run_bench, subparser=bench)
    plugins = commands.add_parser(
        "plugins",
        help="list plugins and what they registered",
        description="List every plugin (built-in and installed), its distribution and version, "
        "the algorithms, trackers and observers it registered, and any load error.",
    )
    plugins.add_argument("--json", action="store_true", help="print the list as JSON")
    plugins.set_defaults(run=_run_plugins, subparser=plugins)
    from .dtcli import add_command as add_dt_command

    add_dt_command(commands)
    from .record_cli import add_command as add_record

    add_record(commands)
    from .tui.cli import add_commands  # imports no Textual until a TUI command runs

    add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``genpool`` console script."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # Reported with the usage of the subcommand they were given to, which is the one to read.
        getattr(args, "subparser", parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    from .errors import GenPoolError

    try:
        if args.command is None:
            from .tui.cli import run_default

            return run_default()
        return int(args.run(args))
    except BrokenPipeError:
        # The reader (say, `| head`) went away: not an error of ours.
        sys.stderr.close()
        return 0
    except GenPoolError as exc:
        # A refused pool description, a fatal plugin failure (GENPOOL_STRICT_PLUGINS): one line, no traceback.
        return fail(f"genpool {args.command}" if args.command else "genpool", exc)
    except ModuleNotFoundError as exc:
        # Only the visual debugger imports these; the core runs without them.
        if (exc.name or "").partition(".")[0] not in TUI_EXTRA_MODULES:
            raise
        command = f"genpool {args.command}" if args.command else "genpool"
        print(f"{command}: the visual debugger is not installed: pip install 'genpool[tui]'", file=sys.stderr)
        return 2


def _run_bench(args: argparse.Namespace) -> int:
    from . import bench

    check_bench(args, args.subparser)

    task, stop = progress_line(sys.stderr, enabled=not args.json)
    results: list[dict[str, object]] = []
    try:
        if args.suite:
            return _suite(args, task)
        else:
            for algorithm in args.algorithms or BUILTIN_ALGORITHMS:
                result = bench.steady_state(
                    algorithm, args.pool_size, args.order, args.steps, args.seed, progress=task(algorithm, args.steps)
                )
                results.append(result.as_dict())
            if not args.no_baseline:
                naive = bench.steady_state(
                    "first_fit",
                    args.pool_size,
                    args.order,
                    args.steps,
                    args.seed,
                    naive=True,
                    time_limit=args.baseline_seconds,
                    progress=task("naive baseline", args.steps),
                )
                results.append(naive.as_dict())
                for row in results[:-1]:
                    row["vs_naive"] = cast(float, row["ops_per_second"]) / naive.ops_per_second
    finally:
        stop()
    if args.json:
        json.dump(results, sys.stdout, indent=2)
        print()
    else:
        _print_table(results)
    return 0


def _suite(args: argparse.Namespace, task: Callable[[str, int], Callable[[int], None]]) -> int:
    """Every row of the README's performance table, with its target and whether it is met."""
    from .bench_suite import print_rows, run_suite

    rows = run_suite(args.steps, args.seed, args.repeat, args.baseline_seconds, task)
    if args.json:
        json.dump([row.as_dict() for row in rows], sys.stdout, indent=2)
        print()
    else:
        print_rows(rows)
    return 0


def plugin_listing() -> list[dict[str, object]]:
    """Every plugin with what it registered, as plain data."""
    from .host import get_host
    from .pool import Pool

    host = get_host()
    # A scratch pool runs every plugin's lifecycle hooks, so the listing shows those that fail.
    Pool(0).destroy()
    registered: dict[str, dict[str, list[str]]] = {}
    for kind in ("algorithm", "tracker", "observer"):
        for registration in host.registrations(kind):
            kinds = registered.setdefault(registration.plugin, {"algorithms": [], "trackers": [], "observers": []})
            kinds[kind + "s"].append(registration.name)
    return [
        {
            "name": info.name,
            "distribution": info.distribution,
            "version": info.version,
            "builtin": info.builtin,
            **registered.get(info.name, {"algorithms": [], "trackers": [], "observers": []}),
            "error": info.error,
            "hook_failures": list(info.failures),
        }
        for info in host.plugins()
    ]


def _run_plugins(args: argparse.Namespace) -> int:
    import warnings

    from .host import PluginWarning, strict_plugins

    with warnings.catch_warnings():
        # Load errors are part of the listing, not noise on stderr.
        warnings.simplefilter("ignore", PluginWarning)
        listing = plugin_listing()
    # Read only when a plugin fails; the command that shows the plugins says when its value is not understood.
    strict_plugins()
    if args.json:
        json.dump(listing, sys.stdout, indent=2)
        print()
        return 0
    rows = [
        [
            str(row["name"]),
            f"{row['distribution']} {row['version']}",
            ", ".join(row["algorithms"]),  # type: ignore[arg-type]
            ", ".join(row["trackers"]),  # type: ignore[arg-type]
            ", ".join(row["observers"]),  # type: ignore[arg-type]
            "FAILED"
            if row["error"]
            else "HOOK FAILED"
            if row["hook_failures"]
            else "built-in"
            if row["builtin"]
            else "loaded",
        ]
        for row in listing
    ]
    headers = ("plugin", "distribution", "algorithms", "trackers", "observers", "status")
    print(format_table("genpool plugins", headers, rows))
    for row in listing:
        for problem in [row["error"], *row["hook_failures"]]:  # type: ignore[misc]
            if problem:
                print(f"FAILED: {problem}")
    return 0


def _print_table(results: list[dict[str, object]]) -> None:
    rows: list[list[str]] = []
    for row in results:
        case, algorithm = str(row["case"]), str(row["algorithm"])
        if case.startswith("steady-state"):
            label = algorithm + case.removeprefix("steady-state")
        else:
            label = f"{case} ({algorithm})"
        if "vs_naive" in row:
            ratio = f"{row['vs_naive']:.2f}x naive"
        else:
            ratio = ""
        rows.append(
            [
                label,
                f"{_human(int(row['pool_size']))} o{row['order']}",  # type: ignore[call-overload]
                f"{row['ops_per_second']:,.0f}" if "ops_per_second" in row else "",
                ratio,
                f"{row['fragmentation']:.3f}" if case.startswith("steady-state") else "",
                f"{row['bytes_per_granule']:.3f}" if "bytes_per_granule" in row else "",
            ]
        )
    print(format_table("genpool bench", ("run", "pool", "ops/s", "ratio", "frag.", "B/granule"), rows, right=1))


def _human(size: int) -> str:
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if size >= 1 << shift and size % (1 << shift) == 0:
            return f"{size >> shift} {unit}"
    return f"{size} B"


if __name__ == "__main__":
    sys.exit(main())
