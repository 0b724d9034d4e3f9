"""Streaming JSON output: large arrays written element by element with the C encoder.

``json.dumps(..., indent=2)`` runs the pure-Python encoder and holds the whole document twice
(the objects and the text); for a report of 10,000 findings that was seconds of CPU and hundreds
of megabytes. :func:`write_json` writes the same kind of document to a binary stream: objects
with sorted keys, one key per line at the top levels, and each element of a :class:`Stream`
array on its own line, encoded by the C encoder as soon as it is produced. Only one element
exists at a time, so memory stays flat in the number of elements. Output is deterministic (sorted
keys, no floats formatting differences: the standard ``repr`` of floats) and valid JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import IO, Any

__all__ = ["Stream", "write_json"]

_ENCODE = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(", ", ": ")).encode


class Stream:
    """A JSON array whose elements are produced lazily (an iterable, consumed once)."""

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[Any]) -> None:
        """Wrap ``items``; each is encoded when written."""
        self._items = items

    def __iter__(self) -> Iterator[Any]:
        """The elements, in order."""
        return iter(self._items)


def _streams_inside(value: Any) -> bool:
    if isinstance(value, Stream):
        return True
    if isinstance(value, dict):
        return any(_streams_inside(v) for v in value.values())
    if isinstance(value, list):
        return any(_streams_inside(v) for v in value)
    return False


def _write(out: IO[bytes], value: Any, depth: int) -> None:
    pad = "  " * (depth + 1)
    if isinstance(value, Stream):
        first = True
        for item in value:
            out.write(f"{'[' if first else ','}\n{pad}{_ENCODE(item)}".encode())
            first = False
        out.write(b"[]" if first else f"\n{'  ' * depth}]".encode())
    elif isinstance(value, dict) and _streams_inside(value):
        out.write(b"{")
        for index, key in enumerate(sorted(value)):
            out.write(f"{',' if index else ''}\n{pad}{_ENCODE(key)}: ".encode())
            _write(out, value[key], depth + 1)
        out.write(f"\n{'  ' * depth}}}".encode())
    elif isinstance(value, list) and _streams_inside(value):
        out.write(b"[")
        for index, item in enumerate(value):
            out.write(f"{',' if index else ''}\n{pad}".encode())
            _write(out, item, depth + 1)
        out.write(f"\n{'  ' * depth}]".encode())
    else:
        out.write(_ENCODE(value).encode())


def write_json(out: IO[bytes], document: Any) -> None:
    """Write ``document`` as UTF-8 JSON to ``out``, streaming its :class:`Stream` arrays.

    Args:
        out: a binary stream (a file opened for writing, ``sys.stdout.buffer``, ``BytesIO``).
        document: JSON-ready data (dicts with string keys, lists, strings, numbers, booleans,
            ``None``) in which any array may be a :class:`Stream`.

    Raises:
        TypeError: a value is not JSON-serializable.
        OSError: writing to ``out`` failed.
    """
    _write(out, document, 0)
    out.write(b"\n")
