"""Input generators the fuzz targets share: byte edits of a valid seed, JSON values, paths."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

__all__ = ["EDITS", "JSON", "mutate", "replace_somewhere"]

#: JSON values: scalars (long and odd numbers too), short lists and objects.
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)

#: Byte edits of a seed: (kind, where, blob); see :func:`mutate`.
EDITS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 1 << 20), st.binary(min_size=1, max_size=6)),
    min_size=1,
    max_size=4,
)


def mutate(seed: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    """Apply ``edits`` to ``seed``: 0 truncate, 1 delete a run, 2 insert, 3 overwrite."""
    data = bytearray(seed)
    for kind, where, blob in edits:
        at = where % (len(data) + 1)
        if kind == 0:
            del data[at:]
        elif kind == 1:
            del data[at : at + len(blob) * 8]
        elif kind == 2:
            data[at:at] = blob
        else:
            data[at : at + len(blob)] = blob
    return bytes(data)


def replace_somewhere(doc: Any, path: list[int], value: Any) -> Any:
    """Replace the value found by following ``path`` (indices mod size) with ``value``."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    if isinstance(doc, dict):
        key = sorted(doc)[path[0] % len(doc)]
        return {**doc, key: replace_somewhere(doc[key], path[1:], value)}
    index = path[0] % len(doc)
    return [*doc[:index], replace_somewhere(doc[index], path[1:], value), *doc[index + 1 :]]
