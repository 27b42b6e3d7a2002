"""The screen shown while ``genpool replay`` reads a trace: a progress bar of the bytes read."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, ProgressBar

__all__ = ["LoadingScreen"]

#: The bar is moved when at least this fraction more of the file has been read.
STEP = 0.01


class LoadingScreen(ModalScreen[object]):
    """Reads ``path`` with ``read(path, progress=...)`` in a thread; dismisses with the result.

    A reader that raises dismisses with the exception instead, for the app
    to report: the screen never shows a traceback.
    """

    CSS_PATH = "modal.tcss"

    def __init__(self, path: str | Path, read: Callable[..., Any]) -> None:
        super().__init__()
        self.path = Path(path)
        self.read = read
        self._shown = -1.0

    def compose(self) -> ComposeResult:
        """A title, the file's name and the bar."""
        with Vertical(classes="dialog", id="loading-dialog"):
            yield Label("genpool replay — reading the trace", classes="dialog-title")
            yield Label(str(self.path), markup=False)
            yield ProgressBar(total=None, show_eta=False, id="loading-bar")

    def on_mount(self) -> None:
        """Start reading in a worker thread (the UI stays live)."""
        self.run_worker(self._load, thread=True, exit_on_error=False, name="genpool-read-trace")

    def _load(self) -> None:
        try:
            result: object = self.read(self.path, progress=self._progress)
        except Exception as exc:  # the app reports it in one line
            result = exc
        self.app.call_from_thread(self.dismiss, result)

    def _progress(self, done: int, total: int) -> None:
        """Called by the reader's thread: move the bar once per :data:`STEP` of the file."""
        fraction = done / total if total else 1.0
        if fraction - self._shown >= STEP or done >= total:
            self._shown = fraction
            self.app.call_from_thread(self.query_one("#loading-bar", ProgressBar).update, total=total, progress=done)
