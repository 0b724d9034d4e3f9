"""SPDX licence expression checks (license-expression's SPDX licensing, built once, lazily)."""

from __future__ import annotations

import functools
from typing import Any

from license_expression import (  # type: ignore[import-untyped]
    ExpressionError,
    get_spdx_licensing,
)

__all__ = ["is_spdx_expression"]


@functools.cache
def _licensing() -> Any:
    # Building the SPDX licence index takes ~0.2 s: only when a licence is first checked.
    return get_spdx_licensing()


@functools.cache
def is_spdx_expression(text: str) -> bool:
    """Whether ``text`` is a valid SPDX licence expression of known identifiers."""
    if not text.strip():
        return False
    try:
        return not _licensing().validate(text).errors
    # license-expression 30.x raises AttributeError on some non-expressions (e.g. "Apache
    # License, Version 2.0": the comma) instead of reporting them; either way, not SPDX.
    except (AttributeError, ExpressionError):
        return False
