"""The event-log filter form: which kind of event, and text the owner contains."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Select

from .event_log import KINDS
from .forms import FormScreen, field

__all__ = ["LogFilterScreen"]


class LogFilterScreen(FormScreen):
    """Dismisses with ``(kind or None, owner text)``; an empty form shows everything again."""

    heading = "Filter the event log"
    submit_label = "Filter"

    def __init__(self, kind: str | None, owner: str) -> None:
        super().__init__()
        self.kind = kind
        self.owner = owner

    def fields(self) -> ComposeResult:
        """The kind (or every kind) and the owner text."""
        options = [("every kind", "")] + [(kind, kind) for kind in KINDS]
        yield field("kind", Select(options, value=self.kind or "", allow_blank=False, id="f-kind"))
        yield field("owner contains", Input(self.owner, placeholder="any owner", id="f-log-owner"))

    def apply(self) -> tuple[str | None, str]:
        """The filter as chosen."""
        kind = str(self.query_one("#f-kind", Select).value)
        return (kind or None), self.value("#f-log-owner")
