"""``GENPOOL_TRACE`` and ``GENPOOL_WATCH``: recording and watching a whole program, opted in at import."""

from __future__ import annotations

import os
import sys

from .errors import GenPoolError

__all__ = ["start_from_environment"]


def start_from_environment() -> None:
    """Start what ``GENPOOL_TRACE`` and ``GENPOOL_WATCH`` ask for (at ``import genpool``).

    The variables are taken out of the environment, so that programs
    this one starts do not write the same trace or fight for the same
    address.  A failure is reported on stderr in one line and the
    program goes on unwatched; so is a token made up for remote watching.
    """
    trace_path = os.environ.pop("GENPOOL_TRACE", None)
    address = os.environ.pop("GENPOOL_WATCH", None)
    token = os.environ.pop("GENPOOL_WATCH_TOKEN", None) or None
    allow_remote = os.environ.pop("GENPOOL_WATCH_ALLOW_REMOTE", "").lower() in ("1", "true", "yes")
    if trace_path:
        from .trace import start_recording

        try:
            start_recording(trace_path)
        except GenPoolError as exc:
            print(f"genpool: GENPOOL_TRACE: {exc}", file=sys.stderr)
    if address:
        from .watch import serve

        try:
            server = serve(address, allow_remote=allow_remote, token=token)
        except GenPoolError as exc:
            print(f"genpool: GENPOOL_WATCH: {exc}", file=sys.stderr)
            return
        if server.token is not None and token is None:  # made up here: the viewer needs to be told
            print(f"genpool: watch {server.address} with --token {server.token}", file=sys.stderr)
