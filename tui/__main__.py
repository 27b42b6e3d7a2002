"""``python -m genpool.tui``: the app (``tui``, the default) or its web server (``web``)."""

import sys

from .cli import main

sys.exit(main())
