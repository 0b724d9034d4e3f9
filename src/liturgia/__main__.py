"""``python -m liturgia``: the same entry point as the ``liturgia`` command."""

from __future__ import annotations

import sys

from liturgia.cli import main

sys.exit(main())
