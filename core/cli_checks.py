"""Checks of the ``genpool`` command line that argparse cannot make alone.

Each turns a value the program could not honour -- a pool smaller than
a granule, a workload larger than the machine's memory, a port outside
0..65535 -- into a one-line usage error (exit status 2) before any work
starts, instead of a traceback or a process that grows until it is
killed.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from typing import NoReturn

from .bitmap import MAX_NBITS

__all__ = ["STEP_BYTES", "Parser", "check_bench", "fail", "integer", "seconds"]

#: About what one step of the bench workload costs in memory (its choices are drawn before the clock starts).
STEP_BYTES = 160


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose every error is one line on stderr, with exit status 2.

    An unrecognized argument is reported with the usage of the
    (sub)command it was given to, folded onto the same line.
    """

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message`` and a hint on one line; exit 2."""
        if message.startswith("unrecognized arguments"):
            hint = " ".join(self.format_usage().split())
        else:
            hint = f"see {self.prog} --help"
        self.exit(2, f"{self.prog}: error: {message} ({hint})\n")


def fail(prog: str, message: object) -> int:
    """Print the first line of ``message`` as ``prog: error: ...`` on stderr; return exit status 2."""
    lines = str(message).splitlines() or [type(message).__name__]
    print(f"{prog}: error: {lines[0]}", file=sys.stderr)
    return 2


def integer(what: str, low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` taking an integer in ``low .. high``, with a message naming ``what``."""

    def parse(text: str) -> int:
        try:
            value = int(text, 0)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} {text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            bounds = f"{low}..{high}" if high is not None else f"at least {low}"
            raise argparse.ArgumentTypeError(f"{what} must be {bounds}, not {value}")
        return value

    return parse


def seconds(text: str) -> float:
    """An argparse ``type`` for a duration: a finite number of seconds, zero or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"seconds must be a finite number, zero or more, not {text}")
    return value


def check_bench(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Refuse (``parser.error``) a bench whose pool or workload cannot be honoured."""
    granule = 1 << args.order
    if args.pool_size < granule:
        parser.error(
            f"--pool-size {args.pool_size} is smaller than one granule ({granule} bytes at --order {args.order})"
        )
    memory = MAX_NBITS  # bytes of memory in the machine: a bitmap byte per bit
    if args.pool_size >> args.order > memory // 2:
        parser.error(
            f"--pool-size {args.pool_size} at --order {args.order} needs a bitmap of {args.pool_size >> args.order} "
            f"bytes, more than half this machine's {memory} bytes of memory"
        )
    if args.steps * STEP_BYTES > memory // 2:
        parser.error(
            f"--steps {args.steps} needs about {args.steps * STEP_BYTES} bytes for the workload, "
            f"more than half this machine's {memory} bytes of memory"
        )
