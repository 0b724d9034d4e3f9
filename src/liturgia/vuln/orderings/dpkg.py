"""Debian version order (Debian Policy §5.6.12 "Version"; dpkg's ``verrevcmp``).

A version is ``[epoch:]upstream_version[-debian_revision]``. The epoch is a number (0 when
absent); the revision is what follows the *last* hyphen (none: compares as ``0``, so ``1.0`` =
``1.0-0``). Upstream version and revision compare alike: alternately a run of non-digits,
compared character by character where ``~`` sorts before everything (even the end of the
string), then the end, then letters, then every other character (``+``, ``-``, ``.``, ``:``);
and a run of digits, compared as a number (absent = 0). So ``1.0~rc1`` < ``1.0`` < ``1.0+b1``
< ``1.0.1`` and ``1:0.9`` > ``2.0``.

Validity follows dpkg's ``parseversion``: no blanks inside, a numeric epoch, a non-empty
upstream version, a non-empty revision after a hyphen, and only alphanumerics and ``.+~-:``
in the upstream version (``.+~`` and alphanumerics in the revision). dpkg only warns when the
upstream version does not start with a digit; so do we (it is accepted).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["canonical", "dpkg_key"]

_UPSTREAM = re.compile(r"[A-Za-z0-9.+~:-]+")
_REVISION = re.compile(r"[A-Za-z0-9.+~]+")
_PARTS = re.compile(r"([^0-9]*)([0-9]*)")
# A non-digit run ends with a 0 (the end of the string), which sorts above "~" (-1) and
# below letters (their code) and other characters (their code + 256).
_END: tuple[int, ...] = (0,)
_PAD = (_END, 0)
# dpkg stores the epoch in an int (parseversion: "epoch in version is too big").
_MAX_EPOCH = 2**31 - 1


def _char_order(char: str) -> int:
    if char == "~":
        return -1
    if char.isascii() and char.isalpha():
        return ord(char)
    return ord(char) + 256


def _part_key(text: str) -> tuple[Any, ...]:
    """Key of an upstream version or revision: (non-digit run, number) pairs, then a pad."""
    pairs: list[tuple[tuple[int, ...], int]] = []
    for letters, digits in _PARTS.findall(text):
        if not letters and not digits:
            continue
        pairs.append((tuple(_char_order(c) for c in letters) + _END, int(digits or 0)))
    # A missing pair compares as an empty run and 0: drop trailing pairs equal to that, and
    # end with one, so that a longer version compares its extra pairs against it.
    while pairs and pairs[-1] == _PAD:
        pairs.pop()
    pairs.append(_PAD)
    return tuple(pairs)


@lru_cache(maxsize=65536)
def dpkg_key(version: str) -> tuple[Any, ...]:
    """Return the sort key of a Debian version.

    Args:
        version: ``[epoch:]upstream[-revision]``; surrounding blanks are ignored (as dpkg does).

    Returns:
        ``(epoch, upstream key, revision key)``; keys compare as dpkg compares versions.

    Raises:
        ValueError: not a valid Debian version (the message says why, as dpkg would).
    """
    text = version.strip()
    if not text:
        raise ValueError(f"{version!r} is not a Debian version: it is empty")
    if any(char.isspace() for char in text):
        raise ValueError(f"{version!r} is not a Debian version: it contains blanks")
    epoch_text, colon, rest = text.partition(":")
    if not colon:
        epoch_text, rest = "0", text
    if not epoch_text.isdigit() or not epoch_text.isascii():
        raise ValueError(f"{version!r} is not a Debian version: the epoch is not a number")
    if int(epoch_text) > _MAX_EPOCH:
        raise ValueError(f"{version!r} is not a Debian version: the epoch is too big")
    upstream, hyphen, revision = rest.rpartition("-")
    if not hyphen:
        upstream, revision = rest, ""
    elif not revision:
        # dpkg accepts "0-" (an empty revision at the very end) as no revision.
        revision = ""
    if not upstream:
        raise ValueError(f"{version!r} is not a Debian version: the upstream version is empty")
    if _UPSTREAM.fullmatch(upstream) is None:
        raise ValueError(
            f"{version!r} is not a Debian version: invalid character in the upstream version"
        )
    if revision and _REVISION.fullmatch(revision) is None:
        raise ValueError(f"{version!r} is not a Debian version: invalid character in the revision")
    return (int(epoch_text), _part_key(upstream), _part_key(revision))


def canonical(version: str) -> str:
    """A text form equal for two versions iff their keys are equal.

    Raises:
        ValueError: not a valid Debian version.
    """
    return repr(dpkg_key(version))
