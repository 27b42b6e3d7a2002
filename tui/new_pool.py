"""The new-pool form: order, algorithm, trackers, name and an optional first chunk."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Input, Select

from .demo import DEMO_TRACKERS, PoolDescription, build_pool
from .forms import FormScreen, algorithm_options, field
from .values import parse_chunk_spec, parse_number

__all__ = ["NewPoolScreen"]


class NewPoolScreen(FormScreen):
    """Creates a :class:`genpool.Pool`; dismisses with it."""

    heading = "New pool"
    submit_label = "Create"

    def __init__(self, suggested_name: str = "pool") -> None:
        super().__init__()
        self.suggested_name = suggested_name

    def fields(self) -> ComposeResult:
        """The new pool's order, name, algorithm and trackers."""
        yield field("name", Input(self.suggested_name, id="f-name"))
        yield field("min_alloc_order", Input("5", id="f-order", placeholder="0..63"))
        yield field("algorithm", Select(algorithm_options(), value="first_fit", allow_blank=False, id="f-algorithm"))
        yield field("trackers", Input(",".join(DEMO_TRACKERS), id="f-trackers", placeholder="tag,callsite,chunk"))
        yield field("first chunk", Input("", id="f-chunk", placeholder="ADDR:SIZE[:PHYS], e.g. 0x1000:4K"))

    def apply(self) -> object:
        """Create the pool; a bad value raises and the form says why."""
        order = parse_number(self.value("#f-order"), "min_alloc_order", units=False)
        if order > 63:
            raise ValueError("min_alloc_order must be in 0..63")
        chunk_text = self.value("#f-chunk").strip()
        chunks = (parse_chunk_spec(chunk_text),) if chunk_text else ()
        trackers = tuple(name.strip() for name in self.value("#f-trackers").split(",") if name.strip())
        algorithm = self.query_one("#f-algorithm", Select).value
        description = PoolDescription(
            order=order,
            chunks=chunks,
            algorithm=str(algorithm),
            trackers=trackers,
            name=self.value("#f-name").strip() or None,
        )
        return build_pool(description)
