"""``genpool web`` serves the app's page on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

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
