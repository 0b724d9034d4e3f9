"""Import the package of an optional extra, or raise the one error that names the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

from liturgia.errors import MissingExtraError

__all__ = ["import_extra"]


def import_extra(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module``, which liturgia's extra ``extra`` installs.

    Args:
        module: the importable name (``"psycopg"``, ``"hvac"``, ``"pkcs11"``, ``"uvicorn"``).
        extra: the extra of ``pyproject.toml`` that provides it.
        feature: what needs it, for the message (``"PostgreSQL log storage"``).

    Raises:
        MissingExtraError: the module cannot be imported (not installed, or blocked); the
            message names the feature and the ``pip install 'liturgia[EXTRA]'`` that fixes it.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(feature, extra=extra, package=module) from exc
