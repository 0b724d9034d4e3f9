"""The registry of gate checks: one module per family registers its checks when imported.

A check is a small object: a ``name`` (the row of the report), ``reads`` (the evidence it reads,
as the settings and release files a person would look at), a ``rank`` (its row's place in the
default golden rule) and ``evaluate(context) -> CheckResult``. A check that reads files a person
writes before any release (a key, a plan) may also be :class:`Preflighted`: ``liturgia check``
then asks it for their problems. Every public module of
``liturgia.release.gates`` is a family and is imported by :func:`registered_checks`, so a new
golden-rule item is one new module.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING, Protocol, TypeVar, runtime_checkable

from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult

if TYPE_CHECKING:
    from liturgia.config import LoadedConfig

__all__ = ["Check", "Preflighted", "load_families", "register", "registered_checks"]


class Check(Protocol):
    """One check of the release gate (a strategy: :meth:`evaluate` is its only behaviour)."""

    @property
    def name(self) -> str:
        """The stable identifier of its report row, e.g. ``"tests"``."""

    @property
    def reads(self) -> tuple[str, ...]:
        """The evidence it reads: settings (``"test.junit"``) and release files."""

    @property
    def rank(self) -> int:
        """Its place in the default order of the report (lower first)."""

    def evaluate(self, context: GateContext) -> CheckResult:
        """Judge the release; never raises for bad evidence (a failed result names it)."""


@runtime_checkable
class Preflighted(Protocol):
    """A check whose inputs exist before any release starts (``liturgia check`` asks it)."""

    def preflight(self, config: LoadedConfig) -> tuple[str, ...]:
        """The problems of the files it will read that a person writes (keys, plans), each a
        line naming the setting and why; empty when there are none. Never raises."""


_C = TypeVar("_C", bound=Check)
_CHECKS: dict[str, Check] = {}


def register(check: _C) -> _C:
    """Add ``check`` to the registry and return it.

    Raises:
        ValueError: another check already has its name (a programming error).
    """
    if check.name in _CHECKS and _CHECKS[check.name] is not check:
        raise ValueError(f"two gate checks are named {check.name!r}")
    _CHECKS[check.name] = check
    return check


def load_families() -> None:
    """Import every family module (each public module of the package) so it registers."""
    import liturgia.release.gates as package  # noqa: PLC0415 - the families register on import

    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{module.name}")


def registered_checks() -> tuple[Check, ...]:
    """Every default check of every family module (the built-in golden rule), by rank, name."""
    load_families()
    return tuple(sorted(_CHECKS.values(), key=lambda check: (check.rank, check.name)))
