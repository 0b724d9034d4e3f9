"""The first step of validating a JSON SBOM: UTF-8 JSON that declares the expected version."""

from __future__ import annotations

import json
from typing import Any

from liturgia.errors import PolicyError

__all__ = ["versioned_json"]


def versioned_json(data: bytes, *, prefix: str, key: str, expected: str) -> tuple[str, Any]:
    """Decode a document to validate and check its version field.

    Args:
        data: the document's bytes (UTF-8, as RFC 8259 §8.1 requires of exchanged JSON).
        prefix: the start of every message, ``"<source>: not a valid <format> document"``.
        key: the top-level version field (``"specVersion"``, ``"spdxVersion"``).
        expected: its one accepted value.

    Returns:
        The text and the parsed object.

    Raises:
        PolicyError: ``"<prefix>: not JSON: ..."`` or ``"<prefix>: <key> is <found>, expected
            <expected>"``.
    """
    try:
        text = data.decode("utf-8")
        doc = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PolicyError(f"{prefix}: not JSON: {exc}") from exc
    if not isinstance(doc, dict) or doc.get(key) != expected:
        found = doc.get(key) if isinstance(doc, dict) else type(doc).__name__
        raise PolicyError(f"{prefix}: {key} is {found!r}, expected {expected!r}")
    return text, doc
