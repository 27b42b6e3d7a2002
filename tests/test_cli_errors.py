"""Every bad command line ends with one line on stderr and exit status 2, never a traceback.

Table-driven: each row is a command line (and environment) that once
crashed, was silently accepted, hung or grew without bound, and the
words its one-line error must contain.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

BENCH = ["bench", "--steps", "100", "--no-baseline", "--algorithm", "first_fit"]

CASES: list[tuple[str, list[str], dict[str, str], str]] = [
    ("pool smaller than a granule", [*BENCH, "--pool-size", "7", "--order", "3"], {}, "smaller than one granule"),
    ("one-byte pool", [*BENCH, "--pool-size", "1"], {}, "smaller than one granule"),
    ("negative baseline seconds", ["bench", "--baseline-seconds", "-1"], {}, "--baseline-seconds"),
    ("NaN baseline seconds", ["bench", "--baseline-seconds", "nan"], {}, "finite"),
    ("a pool larger than memory", [*BENCH, "--pool-size", "4T"], {}, "more than half this machine's"),
    ("steps larger than memory", ["bench", "--steps", "99999999999"], {}, "--steps 99999999999"),
    ("order not a number", ["bench", "--order", "x"], {}, "order 'x' is not a whole number"),
    ("order out of range", ["bench", "--order", "64"], {}, "order must be 0..63"),
    ("steps not a number", ["bench", "--steps", "many"], {}, "steps 'many'"),
    ("port too high", ["web", "--port", "99999"], {}, "port must be 1..65535"),
    ("port negative", ["web", "--port", "-1"], {}, "port must be 1..65535"),
    ("port zero", ["web", "--port", "0"], {}, "port must be 1..65535"),
    ("unknown host", ["web", "--host", "no-such-host.invalid", "--port", "1"], {}, "cannot listen on"),
    ("unknown algorithm to serve", ["web", "--algorithm", "nope"], {}, "unknown algorithm 'nope'"),
    ("unknown theme to serve", ["web", "--theme", "nope"], {}, "unknown theme 'nope'"),
    ("unknown theme", ["tui", "--theme", "nope"], {}, "unknown theme 'nope'"),
    ("a chunk larger than memory", ["tui", "--order", "0", "--chunk", "0:1T"], {}, "more than memory holds"),
    ("unknown algorithm", ["tui", "--algorithm", "nope"], {}, "unknown algorithm 'nope'"),
    ("bad chunk", ["tui", "--chunk", "zzz"], {}, "--chunk"),
    (
        "strict plugins with a broken one",
        ["plugins"],
        {"GENPOOL_STRICT_PLUGINS": "1", "GENPOOL_DISABLE_PLUGINS": "hostile_exit,hostile_lifecycle"},
        "failed to load",
    ),
    ("unknown bench option", ["bench", "--frob"], {}, "usage: genpool bench"),
    ("unknown plugins option", ["plugins", "--frob"], {}, "usage: genpool plugins [-h] [--json]"),
    ("unknown tui option", ["tui", "--frob"], {}, "usage: genpool tui"),
    ("unknown web option", ["web", "--frob"], {}, "usage: genpool web"),
    ("unknown command", ["frobnicate"], {}, "invalid choice"),
]


@pytest.fixture(scope="module")
def busy_port() -> Iterator[int]:
    """A loopback port something already listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def genpool(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # A timeout turns a command that starts serving or working, instead of refusing, into a failure.
    return subprocess.run(
        [sys.executable, "-m", "genpool.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


def assert_refused(result: subprocess.CompletedProcess[str], words: str) -> None:
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "error:" in lines[0] and words in lines[0], lines[0]
    # Internal names (argparse shows a type function's name, like "invalid _order value") never leak.
    assert "invalid _" not in lines[0] and "value:" not in lines[0]


@pytest.mark.parametrize(("args", "env", "words"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_bad_command_line_is_one_line_and_exit_2(args: list[str], env: dict[str, str], words: str) -> None:
    assert_refused(genpool(args, env), words)


def test_a_port_in_use_is_one_line_and_exit_2(busy_port: int) -> None:
    assert_refused(genpool(["web", "--port", str(busy_port)], {}), "Address already in use")
