"""``genpool replay``: the app on a trace's player, with pause, step, speed and a scrubber.

A :class:`genpool.trace.Player` keeps replicas at a position of the
trace.  Playing moves it forward at :attr:`ReplayApp.speed` events a
second, a few events each frame; stepping back, the scrubber and the
go-to form seek (the player restores a checkpoint, which may replace the
Pool objects: the app binds the new ones and keeps the selected pool).
A large trace is read behind a progress bar (:class:`LoadingScreen`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import genpool.trace
from genpool.replica import CorruptTrace
from textual.binding import Binding

from .commands import GenpoolCommands
from .goto_form import GotoScreen
from .loading_screen import LoadingScreen
from .replay_bar import ReplayBar, Scrubber
from .replica_app import ReplicaApp

if TYPE_CHECKING:
    from genpool.replica import ReplicaSet

__all__ = ["SPEEDS", "Player", "ReplayApp", "ReplayCommands"]

#: Playing speeds, in events a second; ``>`` and ``<`` move along them.
SPEEDS = (1, 10, 100, 1_000, 10_000, 100_000, 1_000_000)
DEFAULT_SPEED = 100
#: A frame later than this after the last one (a stall, a modal) plays no more than this much.
MAX_FRAME_GAP = 0.5
#: Records applied in one frame at most: the player applies them on the UI thread, which must
#: stay free for input and drawing.  Faster speeds play as fast as this allows, without a backlog.
MAX_RECORDS_PER_FRAME = 2048


class Player(Protocol):
    """What the app uses of a :class:`genpool.trace.Player`."""

    replicas: ReplicaSet
    seq: int
    first_seq: int
    last_seq: int

    def seek(self, seq: int) -> None:
        """Put the replicas at ``seq``."""

    def step(self, n: int) -> None:
        """Apply ``n`` events forward (back if negative)."""


#: ``(command name, app action, its arguments, help)``: the replay's own palette commands, first.
REPLAY_ACTIONS = (
    ("Replay: play or pause", "toggle_play", (), "Play the trace from here (from the start at its end), or pause"),
    ("Replay: step forward", "step", (1,), "Apply the next record"),
    ("Replay: step back", "step", (-1,), "Go back one record (from the nearest checkpoint)"),
    ("Replay: faster", "faster", (), "Play ten times as many events a second"),
    ("Replay: slower", "slower", (), "Play a tenth as many events a second"),
    ("Replay: go to seq", "goto", (), "Show the pools at any seq of the trace"),
)


class ReplayCommands(GenpoolCommands):
    """The replay's controls, then every command of the app."""

    def _commands(self) -> Iterator[tuple[str, Callable[[], object], str]]:
        app = self.app
        for name, action, arguments, help_text in REPLAY_ACTIONS:
            yield name, partial(getattr(app, f"action_{action}"), *arguments), help_text
        yield from super()._commands()


class ReplayApp(ReplicaApp):
    """The TUI on ``player``, or on the trace at ``path`` read with ``read`` (behind a progress bar).

    A trace that cannot be read sets :attr:`failure` (a one-line message)
    and ends the app with return code 1 (corrupt) or 2 (unreadable, of an
    unknown version).  One that goes bad part way (a CorruptTrace with
    records before the bad line in its ``partial``) sets :attr:`failure`
    too, but opens on what came before the bad line, marked corrupt.
    """

    TITLE = "genpool replay"
    COMMANDS = ReplicaApp.COMMANDS - {GenpoolCommands} | {ReplayCommands}
    kind = "replayed"
    BINDINGS = [
        Binding("space", "toggle_play", "Play/pause"),
        # Not . , > < g: those find things in the pool, in a replay as anywhere.
        Binding("right_curly_bracket", "step(1)", "Step", key_display="}"),
        Binding("left_curly_bracket", "step(-1)", "Back", key_display="{"),
        Binding("right_parenthesis", "faster", "Faster", key_display=")"),
        Binding("left_parenthesis", "slower", "Slower", key_display="("),
        Binding("t", "goto", "Go to seq"),
    ]

    def __init__(
        self,
        player: Player | None = None,
        *,
        path: str | Path | None = None,
        read: Callable[..., Any] = genpool.trace.read,
        **options: object,
    ) -> None:
        super().__init__(**options)
        self.player = player
        self.path = path
        self.read = read
        self.playing = False
        self.speed = DEFAULT_SPEED
        self.failure: str | None = None
        self.replay_bar = ReplayBar(id="replay")
        self._budget = 0.0
        self._last_tick: float | None = None
        #: Records a second actually played, when short of :attr:`speed` (measured once a second).
        self.reached: int | None = None
        self._window: tuple[float, int] | None = None

    @property
    def replicas(self) -> ReplicaSet | None:
        """The player's replicas (None while the trace is being read)."""
        return self.player.replicas if self.player is not None else None

    async def on_mount(self) -> None:  # type: ignore[override]  # Textual awaits a coroutine handler
        """Put the control bar under the bitmap; read the trace if there is no player yet."""
        await self.mount(self.replay_bar, after=self.query_one("#body"))
        if self.player is None and self.path is not None:
            self.push_screen(LoadingScreen(self.path, self.read), self._loaded)

    def _loaded(self, result: object) -> None:
        if isinstance(result, Exception):
            self.failure = str(result).splitlines()[0] if str(result) else type(result).__name__
            partial = getattr(result, "partial", None)
            corrupt = isinstance(result, CorruptTrace)
            if not corrupt or partial is None or not partial.last_seq:  # no record before the bad line
                self.exit(return_code=1 if corrupt else 2)
                return
            # A trace that goes bad part way: show what came before the bad line, marked as such.
            self.title = "genpool replay — CORRUPT TRACE, shown up to the bad line"
            self.event_log.note(f"CORRUPT: {self.failure}")
            self.notify(self.failure, title="corrupt trace: shown up to the bad line", severity="error", timeout=30)
            result = partial
        player = result.player()  # type: ignore[attr-defined]
        # Open on the state the program ended in: the picture worth seeing first (step back from there).
        player.seek(player.last_seq)
        self.player = player
        self.sync()
        self.event_log.note(
            f"trace {self.path}: seq {player.first_seq:,}..{player.last_seq:,}, shown at its end; "
            "space plays from the start, comma steps back"
        )

    # -- playing ---------------------------------------------------------------

    def before_frame(self) -> None:
        """Play the frame's share of records (the replicas are drawn next)."""
        if self.player is not None and self.playing:
            self._play()

    def after_frame(self) -> None:
        """Stop at the end of the trace (logged after its last events, not before them); show the position."""
        player = self.player
        if player is not None and self.playing and player.seq >= player.last_seq:
            self._stop("end of the trace")
        self._show_position()

    def _play(self) -> None:
        player = self.player
        assert player is not None
        now = self.clock()
        elapsed = 0.0 if self._last_tick is None else min(MAX_FRAME_GAP, now - self._last_tick)
        self._last_tick = now
        self._budget += self.speed * elapsed
        count = int(self._budget)
        self._budget -= count
        if count > MAX_RECORDS_PER_FRAME:
            count, self._budget = MAX_RECORDS_PER_FRAME, 0.0
        if count:
            player.step(count)
        self._measure_rate(now, player.seq)

    def _measure_rate(self, now: float, seq: int) -> None:
        """Once a second of playing: the rate reached, kept when it falls short of the speed asked."""
        if self._window is None:
            self._window = (now, seq)
            return
        start, first = self._window
        if now - start >= 1.0:
            rate = (seq - first) / (now - start)
            self.reached = round(rate) if rate < 0.9 * self.speed else None
            self._window = (now, seq)

    def _stop(self, why: str) -> None:
        self.playing = False
        self._last_tick = None
        self._budget = 0.0
        self._window = None
        self.reached = None
        self.event_log.note(f"replay paused at seq {self.player.seq:,}: {why}")  # type: ignore[union-attr]

    def _show_position(self) -> None:
        player = self.player
        if player is not None and self.replay_bar.is_mounted:
            self.replay_bar.show(self.playing, self.speed, player.seq, player.first_seq, player.last_seq, self.reached)

    def action_toggle_play(self) -> None:
        """Play from here (from the start when at the end), or pause."""
        player = self.player
        if player is None:
            return
        if self.playing:
            self._stop("paused")
        else:
            if player.seq >= player.last_seq:
                player.seek(player.first_seq)
                self.event_log.note("playing again from the start")
            self.playing = True
        self.sync()

    def action_step(self, count: int) -> None:
        """Pause and move ``count`` events (back when negative)."""
        player = self.player
        if player is None:
            return
        if self.playing:
            self._stop("stepping")
        if (count > 0 and player.seq >= player.last_seq) or (count < 0 and player.seq <= player.first_seq):
            self.notify("No event that way: this is an end of the trace.", severity="warning")
            return
        player.step(count)
        self.sync()
        if count < 0:
            self.event_log.note(f"back to seq {player.seq:,}")

    def action_faster(self) -> None:
        """The next speed up."""
        self.speed = next((speed for speed in SPEEDS if speed > self.speed), SPEEDS[-1])
        self._show_position()

    def action_slower(self) -> None:
        """The next speed down."""
        self.speed = next((speed for speed in reversed(SPEEDS) if speed < self.speed), SPEEDS[0])
        self._show_position()

    def action_goto(self) -> None:
        """Ask for a ``seq`` and go there."""
        player = self.player
        if player is not None:
            self.push_screen(GotoScreen(player.seq, player.first_seq, player.last_seq), self._chosen)

    def _chosen(self, seq: object) -> None:
        if isinstance(seq, int):
            self.seek(seq)

    def seek(self, seq: int) -> None:
        """Pause and show the pools at ``seq``."""
        player = self.player
        if player is None:
            return
        if self.playing:
            self._stop("seeking")
        player.seek(seq)
        self.event_log.note(f"went to seq {player.seq:,}")
        self.sync()

    def on_scrubber_seek(self, message: Scrubber.Seek) -> None:
        """The scrubber was clicked or moved."""
        self.seek(message.seq)
