"""``genpool web`` serves the app's page on a loopback port, and its app processes never outlive their tab."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp
import pytest
from tui_helpers import tui_config  # noqa: F401  (autouse fixture)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_web_serves_the_page_on_loopback() -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "genpool.tui", "web", "--port", str(port), "--empty"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=dict(os.environ),
    )
    try:
        deadline = time.monotonic() + 30
        page = None
        while time.monotonic() < deadline and page is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                    assert response.status == 200
                    page = response.read().decode()
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, "the server exited"
                time.sleep(0.2)
        assert page is not None, "no page within 30 s"
        assert "textual" in page.lower() and f"ws://127.0.0.1:{port}/ws" in page
        assert "genpool" in page  # the title the server gives the page
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the app processes of a server)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue  # it ended while we looked
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def eventually(condition: Callable[[], bool], what: str, limit: float = 30) -> None:
    """Wait (bounded) until ``condition`` holds; fail naming ``what`` otherwise."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def accepts(port: int) -> bool:
    """Whether something listens on the loopback ``port``."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def web_server() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A running ``genpool web`` on a free port; killed at the end if the test left it running."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "genpool.cli", "web", "--port", str(port), "--empty"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )

    try:
        eventually(lambda: server.poll() is None and accepts(port), "the server did not listen")
        yield server, port
    finally:
        for pid in children(server.pid):
            os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()
        server.wait()
        server.stderr.close()  # type: ignore[union-attr]


async def open_tab(port: int) -> tuple[aiohttp.ClientSession, aiohttp.ClientWebSocketResponse]:
    """Connect as a browser tab does and wait until its app draws something."""
    session = aiohttp.ClientSession()
    websocket = await session.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24")
    await websocket.send_json(["resize", {"width": 80, "height": 24}])
    message = await websocket.receive(timeout=60)
    assert message.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT), message
    return session, websocket


def test_an_app_process_ends_when_its_tab_drops_abruptly(web_server: tuple[subprocess.Popen[bytes], int]) -> None:
    server, port = web_server

    async def tab_that_vanishes() -> None:
        session, websocket = await open_tab(port)
        assert len(children(server.pid)) == 1
        websocket._response.connection.transport.abort()  # type: ignore[union-attr]  # no close frame
        await session.close()

    asyncio.run(tab_that_vanishes())
    eventually(lambda: children(server.pid) == [], "the app process outlived its tab")
    assert server.poll() is None


def test_ctrl_c_stops_the_server_and_every_app_process(web_server: tuple[subprocess.Popen[bytes], int]) -> None:
    server, port = web_server

    async def tabs_open_while_stopping() -> None:
        tabs = [await open_tab(port) for _ in range(2)]
        apps = children(server.pid)
        assert len(apps) == 2
        server.send_signal(signal.SIGINT)
        await asyncio.get_running_loop().run_in_executor(None, server.wait, 60)
        for session, _ in tabs:
            await session.close()
        eventually(lambda: not any(Path(f"/proc/{pid}").exists() for pid in apps), "an app process outlived the server")

    asyncio.run(tabs_open_while_stopping())
    assert server.returncode == 0
    assert b"Traceback" not in server.stderr.read()  # type: ignore[union-attr]


STUBBORN_APP = """
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
sys.stdout.write("__GANGLION__\\n")
sys.stdout.flush()
while True:  # never reads the quit request, never draws: an app stuck while starting
    time.sleep(1)
"""


def descendants(pid: int) -> list[int]:
    """Every process below ``pid``."""
    found = children(pid)
    for child in list(found):
        found += descendants(child)
    return found


@pytest.fixture
def stubborn_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """genpool's server serving an app that ignores the request to quit, and SIGTERM."""
    script = tmp_path / "stubborn.py"
    script.write_text(STUBBORN_APP)
    port = free_port()
    code = f"from genpool.tui.web import serve; serve({f'{sys.executable} {script}'!r}, '127.0.0.1', {port})"
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: list[int] = []
    try:
        eventually(lambda: server.poll() is None and accepts(port), "no server")
        yield server, port
    finally:
        seen += descendants(server.pid) if server.poll() is None else []
        for pid in seen:
            os.kill(pid, signal.SIGKILL)
        if server.poll() is None:
            server.kill()
        server.wait()


async def drop_tab(port: int, server: subprocess.Popen[bytes]) -> list[int]:
    """Open a tab, wait for its app process, and vanish without a close frame; the app's pids."""
    async with aiohttp.ClientSession() as session:
        websocket = await session.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24")
        eventually(lambda: descendants(server.pid) != [], "no app process started")
        apps = descendants(server.pid)
        websocket._response.connection.transport.abort()  # type: ignore[union-attr]
    return apps


def gone(pids: list[int]) -> bool:
    return not any(Path(f"/proc/{pid}").exists() for pid in pids)


def test_an_app_that_will_not_quit_is_killed_when_its_tab_goes(
    stubborn_server: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, port = stubborn_server
    apps = asyncio.run(drop_tab(port, server))
    eventually(lambda: gone(apps), "the app process outlived its tab")
    assert server.poll() is None


def test_stopping_the_server_kills_apps_that_will_not_quit(
    stubborn_server: tuple[subprocess.Popen[bytes], int],
) -> None:
    server, port = stubborn_server

    async def tab_open_while_stopping() -> list[int]:
        session = aiohttp.ClientSession()
        await session.ws_connect(f"http://127.0.0.1:{port}/ws?width=80&height=24")
        eventually(lambda: descendants(server.pid) != [], "no app process started")
        apps = descendants(server.pid)
        server.send_signal(signal.SIGINT)
        await asyncio.get_running_loop().run_in_executor(None, server.wait, 120)
        await session.close()
        return apps

    apps = asyncio.run(tab_open_while_stopping())
    eventually(lambda: gone(apps), "an app process outlived the server")
