"""``genpool watch`` and ``genpool replay`` on the command line: every failure is one line and an exit status.

The app itself is not started here (there is no terminal); where a
command would open it, its ``run`` is replaced by a stand-in that
records what it was given.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import genpool.tui.replay_app
import genpool.tui.watch_app
import pytest
from genpool.cli import main
from replica_helpers import Producer, recorded
from textual.app import App


def one_line(capsys: pytest.CaptureFixture[str], command: str) -> str:
    """The command's stderr, which must be exactly one ``genpool COMMAND: ...`` line."""
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"genpool {command}: "), captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


@pytest.fixture
def socket_path(tmp_path: Path) -> str:
    return str(tmp_path / "w.sock")


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("nonsense", "is not unix:PATH or HOST:PORT"),
        ("unix:", "names no socket path"),
        ("localhost:99999", "is not unix:PATH or HOST:PORT"),
        # Refused before any connection is tried: no traffic leaves the machine.
        ("203.0.113.5:9000", "--allow-remote"),
    ],
)
def test_watch_refuses_a_bad_address_at_once(capsys, address: str, words: str) -> None:
    assert main(["watch", address]) == 2
    assert words in one_line(capsys, "watch")


def test_watch_with_nothing_listening(capsys, socket_path: str) -> None:
    assert main(["watch", f"unix:{socket_path}", "--wait", "0.3"]) == 1
    line = one_line(capsys, "watch")
    assert "no genpool producer answered" in line and "within 0.3 s" in line


def test_watch_something_that_is_not_a_genpool_stream(capsys, socket_path: str) -> None:
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(socket_path)
    listener.listen()

    def speak_another_protocol() -> None:
        while True:  # every connection the client makes, until the test closes the listener
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                # As a real server of another protocol does: its banner, then wait for the client to speak.
                connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")
                connection.settimeout(10)
                try:
                    while connection.recv(4096):
                        pass
                except OSError:
                    pass

    thread = threading.Thread(target=speak_another_protocol)
    thread.start()
    try:
        assert main(["watch", f"unix:{socket_path}", "--wait", "10"]) == 1
    finally:
        listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        thread.join(10)
    line = one_line(capsys, "watch")
    assert socket_path in line and "not a genpool stream" in line


def test_watch_with_a_wrong_token(capsys) -> None:
    with Producer("127.0.0.1:0", token="open-sesame") as producer:
        assert main(["watch", producer.address, "--token", "wrong", "--wait", "10"]) == 1
    assert "token" in one_line(capsys, "watch")


def test_watch_opens_the_app_on_a_connected_client(monkeypatch, socket_path: str) -> None:
    seen = []
    monkeypatch.setattr(genpool.tui.watch_app.WatchApp, "run", lambda app: seen.append((app.client.status, app)))
    with Producer(f"unix:{socket_path}"):
        assert main(["watch", f"unix:{socket_path}"]) == 0
    [(status, app)] = seen
    assert status == "connected" and app.address == f"unix:{socket_path}"
    assert app.client.status == "disconnected"  # closed when the app ended


@pytest.fixture(scope="module")
def trace(tmp_path_factory) -> Path:
    return recorded(tmp_path_factory.mktemp("cli") / "good.jsonl", 'double_free(pools["ids"])')


def test_replay_check_replays_headless_without_textual(trace: Path) -> None:
    code = (
        "import sys\n"
        "from genpool.cli import main\n"
        f"status = main(['replay', '--check', {str(trace)!r}])\n"
        "assert 'textual' not in sys.modules, 'replay --check imported textual'\n"
        "sys.exit(status)\n"
    )
    env = {**os.environ, "GENPOOL_DISABLE_PLUGINS": "broken_import,broken_register"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert "pool 1 'sram'" in result.stdout and "BUG at seq" in result.stdout and "double free" in result.stdout


def test_replay_check_a_corrupt_trace(trace: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = trace.read_text().splitlines(keepends=True)
    bad.write_text("".join(lines[:10]) + '{"type": "free", "seq": 99999, "pool": 1, "chunk": 0, "addr": 1, "size": 8\n')
    assert main(["replay", "--check", str(bad)]) == 1


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_replay_an_unreadable_trace(capsys, tmp_path: Path, what: str) -> None:
    path = tmp_path / "none.jsonl" if what == "missing" else tmp_path
    assert main(["replay", str(path)]) == 2
    assert f"cannot read {path}" in one_line(capsys, "replay")


@pytest.mark.parametrize(
    ("text", "status", "words"),
    [
        ('{"type": "header", "format": "genpool-trace", "version": 99}\n', 2, "version"),
        ("SSH-2.0-OpenSSH_9.2\n", 1, "not a genpool trace"),
    ],
)
def test_replay_a_trace_it_cannot_play(monkeypatch, capsys, tmp_path: Path, text: str, status: int, words: str) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(text)
    # The app runs headless: it reads the trace, fails, and ends itself.
    monkeypatch.setattr(genpool.tui.replay_app.ReplayApp, "run", lambda app: App.run(app, headless=True))
    assert main(["replay", str(path)]) == status
    line = one_line(capsys, "replay")
    assert words in line and "t.jsonl" in line
