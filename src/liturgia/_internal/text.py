"""Text helpers for messages."""

from __future__ import annotations

__all__ = ["clip"]


def clip(text: str, limit: int = 100) -> str:
    """Return ``text`` cut to ``limit`` characters for a message, saying how long it was.

    A request or file may hold megabytes where a name was expected; an error message quotes
    only its start: ``"aaa... (60000 characters)"``.
    """
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
