"""Alpine version order (apk-tools ``src/version.c``, ``apk version -t``).

An Alpine version is ``digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}``. apk walks two
versions token by token while the tokens are of the same kind and equal: numbers compare as
numbers, except that a dotted number with a leading zero (``1.02``) compares as text (Gentoo's
rule), a letter by its character, a suffix by rank (``_alpha`` < ``_beta`` < ``_pre`` < ``_rc``
< none < ``_cvs`` < ``_svn`` < ``_git`` < ``_hg`` < ``_p``), a commit hash as text, the
revision ``-rN`` as a number. Where the kinds differ, a pre-release suffix sorts first;
otherwise the version whose token kind comes earlier in the grammar (digit, letter, suffix,
suffix number, hash, revision, end) is the greater: ``1.2.1`` > ``1.2`` > ``1.2_rc1`` and
``1.2-r1`` > ``1.2``.

A version apk would not accept (``apk version -c``) is refused; the lenient key of
:func:`apk_key` (``strict=False``) compares any two strings as apk compares them, ignoring text
after the first token that does not fit the grammar.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["apk_key", "canonical", "is_valid"]

# Token kinds, in apk's order (enum PARTS).
_INITIAL, _DIGIT, _LETTER, _SUFFIX, _SUFFIX_NO, _HASH, _REVISION, _END, _INVALID = range(9)
_PRE_SUFFIXES = ("alpha", "beta", "pre", "rc")
_POST_SUFFIXES = ("cvs", "svn", "git", "hg", "p")
# Suffix ranks: pre-release suffixes below 0 (no suffix), post-release ones above.
_SUFFIX_RANK = {
    **{name: index - len(_PRE_SUFFIXES) for index, name in enumerate(_PRE_SUFFIXES)},
    **{name: index + 1 for index, name in enumerate(_POST_SUFFIXES)},
}
# Where kinds differ, a pre-release suffix is lowest; then a later kind is lower.
_PRE_RELEASE_CLASS = -100

_DIGITS = re.compile(r"[0-9]+")
_SUFFIX_WORD = re.compile(r"[a-z]*")
_HEX = re.compile(r"[0-9a-f]+")


def _tokens(text: str) -> list[tuple[int, Any]]:
    """Split a version into ``(kind, value)`` tokens ending with ``_END`` or ``_INVALID``."""
    match = _DIGITS.match(text)
    if match is None:
        return [(_INVALID, None)]
    tokens: list[tuple[int, Any]] = [(_INITIAL, int(match.group()))]
    kind, pos = _INITIAL, match.end()
    value: Any
    while pos < len(text):
        char = text[pos]
        if "a" <= char <= "z" and kind <= _DIGIT:
            kind, value, pos = _LETTER, char, pos + 1
        elif char == "." or "0" <= char <= "9":
            if char == "." and kind > _DIGIT:
                break
            start = pos + 1 if char == "." else pos
            if kind in (_INITIAL, _DIGIT):
                kind = _DIGIT
            elif kind == _SUFFIX:
                kind = _SUFFIX_NO
            else:
                break
            digits = _DIGITS.match(text, start)
            if digits is None:
                break
            pos = digits.end()
            number = digits.group()
            value = int(number) if kind == _SUFFIX_NO else _digit_value(number)
        elif char == "_" and kind <= _SUFFIX_NO:
            word = _SUFFIX_WORD.match(text, pos + 1)
            name = word.group() if word else ""
            if name not in _SUFFIX_RANK:
                break
            kind, value, pos = _SUFFIX, _SUFFIX_RANK[name], pos + 1 + len(name)
        elif char == "~" and kind < _HASH:
            digest = _HEX.match(text, pos + 1)
            if digest is None:
                break
            kind, value, pos = _HASH, digest.group(), digest.end()
        elif char == "-" and kind < _REVISION and text.startswith("-r", pos):
            digits = _DIGITS.match(text, pos + 2)
            if digits is None:
                break
            kind, value, pos = _REVISION, int(digits.group()), digits.end()
        else:
            break
        tokens.append((kind, value))
    else:
        tokens.append((_END, None))
        return tokens
    tokens.append((_INVALID, None))
    return tokens


def _digit_value(number: str) -> tuple[int, Any]:
    # With a leading zero apk compares the digits as text; text starting with "0" sorts below
    # any number that does not, so one tuple orders both cases.
    return (0, number) if number.startswith("0") else (1, int(number))


def is_valid(version: str) -> bool:
    """Return whether apk accepts ``version`` (``apk_version_validate``)."""
    return _tokens(version)[-1][0] == _END


@lru_cache(maxsize=65536)
def apk_key(version: str, *, strict: bool = True) -> tuple[Any, ...]:
    """Return the sort key of an Alpine version.

    Args:
        version: an apk version (``1.2.3_rc1-r0``); surrounding blanks are ignored.
        strict: refuse versions apk would not accept. With ``False`` the key compares as
            ``apk version -t`` compares any two strings (text past the first token that does
            not fit the grammar is ignored).

    Returns:
        A tuple of ``(class, value)`` tokens that compares as ``apk version -t`` does.

    Raises:
        ValueError: the version is not valid (strict), or does not start with a number.
    """
    tokens = _tokens(version.strip())
    if tokens[0][0] == _INVALID:
        raise ValueError(f"{version!r} is not an Alpine version: it does not start with a number")
    if strict and tokens[-1][0] == _INVALID:
        raise ValueError(
            f"{version!r} is not an Alpine version (apk's grammar: "
            "digit{.digit}...{letter}{_suffix{#}}...{~hash}{-r#})"
        )
    key: list[tuple[int, Any]] = []
    for kind, value in tokens:
        if kind == _SUFFIX and value < 0:
            key.append((_PRE_RELEASE_CLASS, value))
        else:
            # A later kind in the grammar sorts lower where kinds differ.
            key.append((-kind, 0 if value is None else value))
    return tuple(key)


def canonical(version: str) -> str:
    """A text form equal for two versions iff their keys are equal.

    Raises:
        ValueError: the version does not start with a number.
    """
    return repr(apk_key(version))
