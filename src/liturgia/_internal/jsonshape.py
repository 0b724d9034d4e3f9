"""Checks of the shape of parsed JSON documents, with messages naming the field."""

from __future__ import annotations

from typing import Any

from liturgia.errors import InputError

__all__ = ["json_array"]


def json_array(value: object, where: str, source: str) -> list[Any]:
    """``value`` when it is a JSON array, ``[]`` when absent (``None``).

    Args:
        value: the parsed field.
        where: the field's path in the document, e.g. ``"components[2].components"``.
        source: the document's name (a file name).

    Raises:
        InputError: ``"<source>: <where>: expected an array, found <type>"``.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise InputError(f"{source}: {where}: expected an array, found {type(value).__name__}")
    return value
