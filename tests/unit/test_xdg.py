"""One resolver of liturgia's XDG base folders (XDG Base Directory Specification 0.8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from liturgia._internal.xdg import user_dir
from liturgia.config import default_signing_key_path
from liturgia.vuln.index import default_index_path

DEFAULTS = {
    "config": ("XDG_CONFIG_HOME", ".config"),
    "data": ("XDG_DATA_HOME", ".local/share"),
    "state": ("XDG_STATE_HOME", ".local/state"),
    "cache": ("XDG_CACHE_HOME", ".cache"),
}


@pytest.mark.parametrize("kind", list(DEFAULTS))
def test_each_kind_uses_its_variable_or_the_default(
    kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable, default = DEFAULTS[kind]
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(variable, str(tmp_path / "xdg"))
    assert user_dir(kind) == tmp_path / "xdg" / "liturgia"  # type: ignore[arg-type]
    # Unset, blank, or relative (the spec says: invalid, ignore it): the default under HOME.
    for value in (None, "  ", "relative/dir"):
        if value is None:
            monkeypatch.delenv(variable)
        else:
            monkeypatch.setenv(variable, value)
        assert user_dir(kind) == tmp_path / "home" / default / "liturgia"  # type: ignore[arg-type]


def test_the_callers_use_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LITURGIA_KEY", raising=False)
    monkeypatch.delenv("LITURGIA_VULNDB", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "c"))
    monkeypatch.setenv("XDG_CACHE_HOME", "not/absolute")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_signing_key_path() == tmp_path / "c" / "liturgia" / "keys" / "release.key"
    assert default_index_path() == tmp_path / "home/.cache/liturgia/advisories.sqlite3"
