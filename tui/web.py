"""Serving the app to a browser with textual-serve.

Each browser tab gets its own process running ``command`` (the ``tui``
command with the same options); the server itself listens on a
loopback address unless told otherwise.

textual-serve asks an app process to quit when its tab goes, and waits
for it for as long as it takes; an app that never got the request (a
tab closed while its app was still starting) kept running, and a
server stopped with tabs open waited on them for ever.  Here every app
process is given :data:`QUIT_GRACE` seconds to quit and is then killed,
when its tab goes and, for all of them at once, when the server stops.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server, to_int

__all__ = ["QUIT_GRACE", "serve"]

#: Seconds an app process has to quit once its tab is gone, before it is killed.
QUIT_GRACE = 3.0


class _BoundedAppService(AppService):
    """An app process that is sure to end when it is stopped."""

    async def stop(self) -> None:
        """Ask the app to quit; kill it if it has not within :data:`QUIT_GRACE` seconds."""
        process, task = self._process, self._task
        if task is None:
            return
        try:
            await asyncio.wait_for(super().stop(), QUIT_GRACE)
        except (TimeoutError, ConnectionError, RuntimeError):
            pass
        finally:
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
            if not task.done():
                task.cancel()
            self._task = None


class _Server(Server):
    """textual-serve's server, keeping its app processes bounded (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Each live tab's app process and websocket.
        self._tabs: dict[_BoundedAppService, web.WebSocketResponse] = {}

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """Run one tab's app process for as long as its websocket lasts (textual-serve's handler, bounded)."""
        websocket = web.WebSocketResponse(heartbeat=15)
        width = to_int(request.query.get("width", "80"), 80)
        height = to_int(request.query.get("height", "24"), 24)
        service: _BoundedAppService | None = None
        try:
            await websocket.prepare(request)
            service = _BoundedAppService(
                self.command,
                write_bytes=websocket.send_bytes,
                write_str=websocket.send_str,
                close=websocket.close,  # type: ignore[arg-type]  # as textual-serve's own handler passes it
                download_manager=self.download_manager,
                debug=self.debug,
            )
            self._tabs[service] = websocket
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception:  # a broken tab must not take the server down; it is logged and dropped
            from textual_serve.server import log

            log.exception("app process for a tab failed")
        finally:
            if service is not None:
                await service.stop()
                self._tabs.pop(service, None)
        return websocket

    async def on_shutdown(self, app: web.Application) -> None:
        """End every app process and close its tab, before the server waits for its connections."""
        tabs = list(self._tabs.items())
        await asyncio.gather(*(service.stop() for service, _ in tabs), return_exceptions=True)
        await asyncio.gather(*(websocket.close() for _, websocket in tabs), return_exceptions=True)


def serve(command: str, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve ``command`` on ``http://host:port`` until interrupted (Ctrl+C or SIGTERM).

    ``command`` is run through the shell with ``exec``, so the process the
    server ends is the app itself, not a shell left holding it.
    """
    _Server(f"exec {command}", host=host, port=port, title="genpool").serve()
