"""The package docstring names every subpackage of liturgia."""

from __future__ import annotations

import pkgutil

import liturgia


def test_every_subpackage_is_listed() -> None:
    subpackages = [m.name for m in pkgutil.iter_modules(liturgia.__path__) if m.ispkg]
    assert len(subpackages) >= 8
    doc = liturgia.__doc__ or ""
    assert [name for name in subpackages if f"``liturgia.{name}``" not in doc] == []
