"""The Textual visual debugger (see SPEC section 8).

``genpool`` with no arguments, or ``genpool tui``, opens
:class:`genpool.tui.app.GenpoolApp` on a demo pool; ``genpool web``
serves the same app to a browser.  This package's ``__init__`` and
:mod:`genpool.tui.cli` import no Textual, so the command line stays
light until the app actually runs.

One module per screen or widget:

- :mod:`~genpool.tui.app` -- the app, its layout and every action;
- :mod:`~genpool.tui.bitmap_view` -- the chunks' bitmaps (Line API), with
  :mod:`~genpool.tui.picture` (layout, counting), :mod:`~genpool.tui.painter`
  (cells), :mod:`~genpool.tui.cursor` (moves) and :mod:`~genpool.tui.cell` (what a cell holds);
- finding: :mod:`~genpool.tui.finder` (searches), :mod:`~genpool.tui.find_actions`,
  :mod:`~genpool.tui.find_forms`; freeing one of several: :mod:`~genpool.tui.free_choice`;
- the allocations table: :mod:`~genpool.tui.ledger` (data, filtered by
  :mod:`~genpool.tui.row_search`), :mod:`~genpool.tui.table_view`
  (Line-API table), :mod:`~genpool.tui.owners_panel`, :mod:`~genpool.tui.table_actions`;
- :mod:`~genpool.tui.live` -- the observer that queues events, drained once a frame;
- :mod:`~genpool.tui.stats` and :mod:`~genpool.tui.stats_panel` -- figures and sparkline;
- :mod:`~genpool.tui.pool_list`, :mod:`~genpool.tui.inspector`, :mod:`~genpool.tui.event_log`
  (with :mod:`~genpool.tui.log_filter`);
- forms: :mod:`~genpool.tui.new_pool`, :mod:`~genpool.tui.add_chunk`,
  :mod:`~genpool.tui.allocate`, :mod:`~genpool.tui.free_form`,
  :mod:`~genpool.tui.set_algorithm` on :mod:`~genpool.tui.forms`;
- :mod:`~genpool.tui.bug_screen` (with :mod:`~genpool.tui.report`), :mod:`~genpool.tui.help_screen`;
- :mod:`~genpool.tui.commands` (command palette), :mod:`~genpool.tui.themes` (TOML themes, settings);
- :mod:`~genpool.tui.cli`, :mod:`~genpool.tui.web`, :mod:`~genpool.tui.bench` (with
  :mod:`~genpool.tui.bench_table`).
"""
