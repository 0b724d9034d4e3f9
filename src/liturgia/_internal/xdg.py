"""liturgia's folders under the user's XDG base directories (XDG Base Directory Spec 0.8).

One resolver for the four kinds liturgia uses: ``config`` (keys), ``data`` (the log database),
``state`` (log monitors' checkpoints) and ``cache`` (the advisory index, HTTP answers).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

__all__ = ["XdgKind", "user_dir"]

XdgKind = Literal["config", "data", "state", "cache"]

#: Each kind's environment variable and its default under the home folder (spec §3).
_BASES: dict[XdgKind, tuple[str, tuple[str, ...]]] = {
    "config": ("XDG_CONFIG_HOME", (".config",)),
    "data": ("XDG_DATA_HOME", (".local", "share")),
    "state": ("XDG_STATE_HOME", (".local", "state")),
    "cache": ("XDG_CACHE_HOME", (".cache",)),
}


def user_dir(kind: XdgKind) -> Path:
    """``$XDG_<KIND>_HOME/liturgia``, or the spec's default under ``~`` in its place.

    The variable is used when it holds an absolute path; unset, empty (blank) or relative, it
    is ignored, as the specification requires ("a relative path ... should be considered
    invalid"). Nothing is created.
    """
    variable, default = _BASES[kind]
    value = os.environ.get(variable, "").strip()
    base = Path(value) if value and Path(value).is_absolute() else Path.home().joinpath(*default)
    return base / "liturgia"
