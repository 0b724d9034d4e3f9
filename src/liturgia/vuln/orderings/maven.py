"""Maven version order (``org.apache.maven.artifact.versioning.ComparableVersion``, Maven 3.9+).

Specification: the POM reference, "Version Order Specification"
(https://maven.apache.org/pom.html#version-order-specification), and the behaviour of Maven's
``ComparableVersion`` as its own test suite pins it (``ComparableVersionTest``), including
MNG-5568, MNG-6964, MNG-7644 and MNG-7714. Written here from that description; OSV's ``Maven``
ecosystem orders ``ECOSYSTEM`` ranges this way.

A version is lower-cased (English locale) and split at ``.``, ``-`` and transitions between
ASCII digits and other characters into *items*:

* numbers (leading zeros ignored, any size);
* qualifiers, ordered ``alpha`` < ``beta`` < ``milestone`` < ``rc`` = ``cr`` < ``snapshot`` <
  ``""`` = ``ga`` = ``final`` = ``release`` < ``sp`` < any other word (other words in
  lexical order); ``a``, ``b`` and ``m`` directly followed by a number stand for ``alpha``,
  ``beta`` and ``milestone``;
* combinations: a qualifier directly followed by a number (``rc1``, ``cb-5``), ordered by
  qualifier, then number; a combination sorts after its bare qualifier;
* lists: a hyphen, a transition from digits to letters, and a trailing ``.qualifier`` open a
  sub-list; a sub-list sorts after a qualifier and before a number.

Comparison walks two item lists in step; a missing item is "null": a number compares with it as
with 0, a qualifier as with the release qualifier ``""``. Trailing null items (``0``, ``ga``,
``final``, ``release``, empty lists) are trimmed, so ``1.0.0`` = ``1`` = ``1.RELEASE``.

So ``2.414.2-cb-5`` (a vendor build) is *after* ``2.414.2``, ``1.0-SNAPSHOT`` before ``1.0``
and ``1.0-sp1`` after it.

One deliberate difference: Maven's comparison is not transitive when a release qualifier carries
a number (``1-ga1`` = ``1`` = ``1-ga2`` yet ``1-ga1`` < ``1-ga2``), which no sort key can
reproduce. We compare the trimmed item lists, so such versions are equal to the bare release,
and equality is exactly equality of :func:`canonical` forms.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = ["MavenKey", "canonical", "maven_key"]

# Item tags. An item is (NUMBER, int), (QUALIFIER, rank), (COMBINATION, rank, int) or
# (LIST, tuple of items); a qualifier's rank is a string that orders lexically as Maven's
# qualifiers order.
_NUMBER, _QUALIFIER, _COMBINATION, _LIST = 0, 1, 2, 3

_KNOWN = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_RELEASE_WORDS = frozenset({"ga", "final", "release"})
_RELEASE_RANK = str(_KNOWN.index(""))
_SHORT = {"a": "alpha", "b": "beta", "m": "milestone"}

Item = tuple[Any, ...]


def _rank(word: str, *, before_digit: bool) -> str:
    """The comparable rank of a qualifier (Maven's ``comparableQualifier``)."""
    if before_digit and word in _SHORT:
        word = _SHORT[word]
    if word == "cr":
        word = "rc"
    if word in _RELEASE_WORDS:
        return _RELEASE_RANK
    if word in _KNOWN:
        return str(_KNOWN.index(word))
    # Unknown qualifiers sort after every known one, lexically among themselves.
    return f"{len(_KNOWN)}-{word}"


def _number(text: str) -> Item:
    return (_NUMBER, int(text) if text else 0)


def _combination(text: str) -> Item:
    text = text.replace("-", "")
    split = next((i for i, ch in enumerate(text) if "0" <= ch <= "9"), None)
    if split is None:  # pragma: no cover - the parser only builds combinations before digits
        raise ValueError(f"{text!r} holds no number")
    return (_COMBINATION, _rank(text[:split], before_digit=True), int(text[split:]))


def _item(text: str, *, digits: bool, combination: bool) -> Item:
    if combination:
        return _combination(text)
    if digits:
        return _number(text)
    return (_QUALIFIER, _rank(text, before_digit=False))


def _is_null(item: Item) -> bool:
    """Maven's ``isNull``: what its own normalization may drop (0 and empty lists).

    Maven also counts the empty qualifier, which its parser never produces as an item.
    """
    if item[0] == _NUMBER:
        return bool(item[1] == 0)
    return item[0] == _LIST and not item[1]


def _normalize(items: list[Item]) -> None:
    """Drop null items at the end and before a qualifier (Maven's ``ListItem.normalize``)."""
    index = len(items) - 1
    while index >= 0:
        if _is_null(items[index]):
            following = items[index + 1] if index + 1 < len(items) else None
            # Dropped when last, or before a qualifier or a list opening with one.
            if (
                following is None
                or following[0] == _QUALIFIER
                or (following[0] == _LIST and following[1][0][0] in (_QUALIFIER, _COMBINATION))
            ):
                del items[index]
        index -= 1


class _Builder:
    """The parser's nested lists: each list may end in one sub-list, where parsing continues."""

    def __init__(self) -> None:
        self.stack: list[list[Item]] = [[]]

    @property
    def current(self) -> list[Item]:
        return self.stack[-1]

    def add(self, item: Item) -> None:
        self.current.append(item)

    def open(self) -> None:
        self.stack.append([])

    def close(self) -> Item:
        # Innermost first, as each list is normalized before its parent sees it.
        inner: Item = (_LIST, ())
        for depth in range(len(self.stack) - 1, -1, -1):
            items = self.stack[depth]
            if depth < len(self.stack) - 1:
                items.append(inner)
            _normalize(items)
            inner = (_LIST, tuple(items))
        return inner


def _parse(version: str) -> Item:
    text = version.lower()
    builder = _Builder()
    digits = False
    combination = False
    start = 0
    index = 0
    while index < len(text):
        char = text[index]
        if char in ".-":
            if index == start:
                builder.add((_NUMBER, 0))
            elif (
                char == "-"
                and not digits
                and index + 1 < len(text)
                and "0" <= text[index + 1] <= "9"
            ):
                # "X-1" reads as the combination "X1" (MNG-7714).
                combination = True
                index += 1
                continue
            else:
                builder.add(_item(text[start:index], digits=digits, combination=combination))
            start = index + 1
            if char == "-" and builder.current:
                builder.open()
            combination = False
        elif "0" <= char <= "9":
            if not digits and index > start:
                combination = True
                if builder.current:
                    builder.open()
            digits = True
        else:
            if digits and index > start:
                builder.add(_item(text[start:index], digits=True, combination=combination))
                start = index
                builder.open()
                combination = False
            digits = False
        index += 1
    if len(text) > start:
        # A trailing ".X" reads as "-X" for any qualifier X (MNG-7644).
        if not digits and builder.current:
            builder.open()
        builder.add(_item(text[start:], digits=digits, combination=combination))
    return builder.close()


def _sign(value: Any) -> int:
    return int((value > 0) - (value < 0))


def _compare(left: Item, right: Item | None) -> int:
    """Maven's item comparison; ``right`` ``None`` is the null item that pads a shorter list."""
    tag = left[0]
    if right is None:
        if tag == _NUMBER:
            return 1 if left[1] else 0
        if tag in (_QUALIFIER, _COMBINATION):
            return int((left[1] > _RELEASE_RANK) - (left[1] < _RELEASE_RANK))
        for item in left[1]:
            result = _compare(item, None)
            if result:
                return result
        return 0
    other = right[0]
    if tag == _NUMBER:
        return _sign(left[1] - right[1]) if other == _NUMBER else 1
    if other == _NUMBER:
        return -1
    if tag == _QUALIFIER:
        if other == _LIST:
            return -1
        result = (left[1] > right[1]) - (left[1] < right[1])
        return int(result) if result else -1 if other == _COMBINATION else 0
    if tag == _COMBINATION:
        if other == _LIST:
            return -1
        result = (left[1] > right[1]) - (left[1] < right[1])
        if result:
            return int(result)
        return 1 if other == _QUALIFIER else _sign(left[2] - right[2])
    if other != _LIST:
        return 1
    lefts, rights = left[1], right[1]
    for position in range(max(len(lefts), len(rights))):
        if position >= len(lefts):
            result = -_compare(rights[position], None)
        else:
            result = _compare(lefts[position], rights[position] if position < len(rights) else None)
        if result:
            return result
    return 0


def _trim(item: Item) -> Item:
    """Drop trailing items that compare equal to null, recursively (see the module docstring)."""
    if item[0] != _LIST:
        return item
    items = [_trim(child) for child in item[1]]
    while items and _compare(items[-1], None) == 0:
        items.pop()
    return (_LIST, tuple(items))


class MavenKey:
    """Sort key of one Maven version: compares by Maven's rules, hashes by canonical form."""

    __slots__ = ("items",)

    def __init__(self, items: Item) -> None:
        """Wrap trimmed items (use :func:`maven_key`)."""
        self.items = items

    def _cmp(self, other: MavenKey) -> int:
        return _compare(self.items, other.items)

    def __eq__(self, other: object) -> bool:
        """Maven equality: every item compares equal."""
        if not isinstance(other, MavenKey):
            return NotImplemented
        return self.items == other.items

    def __hash__(self) -> int:
        """Hash of the trimmed items (equal keys have equal items)."""
        return hash(self.items)

    def __lt__(self, other: MavenKey) -> bool:
        """Maven order."""
        return self._cmp(other) < 0

    def __le__(self, other: MavenKey) -> bool:
        """Maven order."""
        return self._cmp(other) <= 0

    def __gt__(self, other: MavenKey) -> bool:
        """Maven order."""
        return self._cmp(other) > 0

    def __ge__(self, other: MavenKey) -> bool:
        """Maven order."""
        return self._cmp(other) >= 0

    def __repr__(self) -> str:
        """The canonical form."""
        return f"MavenKey({_render(self.items)!r})"


def _render(item: Item) -> str:
    tag = item[0]
    if tag == _NUMBER:
        return str(item[1])
    if tag == _QUALIFIER:
        return f"q{item[1]}"
    if tag == _COMBINATION:
        return f"q{item[1]}+{item[2]}"
    return "[" + ",".join(_render(child) for child in item[1]) + "]"


@lru_cache(maxsize=65536)
def maven_key(version: str) -> MavenKey:
    """Return the sort key of a Maven version.

    Args:
        version: any string (Maven orders every string); surrounding blanks are ignored.

    Returns:
        A hashable key; keys compare with ``<``/``==`` in Maven's version order.

    Raises:
        ValueError: the version is empty.
    """
    text = version.strip()
    if not text:
        raise ValueError(f"{version!r} is not a Maven version")
    return MavenKey(_trim(_parse(text)))


def canonical(version: str) -> str:
    """A text form equal for two versions iff their keys are equal.

    Raises:
        ValueError: the version is empty.
    """
    return _render(maven_key(version).items)
