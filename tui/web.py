"""Serving the app to a browser with textual-serve.

Each browser tab gets its own process running ``command`` (the ``tui``
command with the same options); the server itself listens on a
loopback address unless told otherwise.
"""

from __future__ import annotations

__all__ = ["serve"]


def serve(command: str, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve ``command`` on ``http://host:port`` until interrupted (Ctrl+C or SIGTERM)."""
    from textual_serve.server import Server

    server = Server(command, host=host, port=port, title="genpool")
    server.serve()
