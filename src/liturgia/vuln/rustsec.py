"""RustSec advisories (Markdown with a TOML front matter) converted to OSV advisories.

RustSec's format (rustsec/advisory-db README "Advisory format"): a Markdown file opening with a
```` ```toml ```` block holding ``[advisory]`` (``id``, ``package``, ``date``, ``aliases``,
``cvss``, ``informational``, ``withdrawn``...) and ``[versions]`` with ``patched`` and
``unaffected`` lists of Cargo version requirements; the Markdown's first ``#`` heading is the
title. A version is affected when it matches no ``patched`` and no ``unaffected`` requirement.

Conversion: each requirement (Cargo semantics: ``^`` is the default operator, ``~``, ``=``,
``<``, ``<=``, ``>``, ``>=``, wildcards, partial versions, comma = "and") becomes a SemVer
interval; the complement of their union gives the affected intervals, written as one OSV
``SEMVER`` range each (``introduced``/``fixed``, or ``last_affected`` for an inclusive end).
An exclusive lower bound ``> v`` becomes ``introduced`` at the next SemVer version
(``v.patch+1-0``, or ``pre.0`` for a pre-release), which is exact in SemVer's total order.
Informational advisories (``unmaintained``, ``unsound``, ``notice``) are kept but rated NONE:
``cargo audit`` reports them as warnings, not vulnerabilities.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

from liturgia.vuln.advisory import Advisory, AffectedPackage, AffectedRange, RangeEvent
from liturgia.vuln.versions import SemverOrdering

__all__ = ["Bound", "Interval", "affected_ranges", "parse_rustsec_advisory", "requirement_interval"]

_FRONT = re.compile(r"\A\s*```toml\s*\n(?P<toml>.*?)\n```\s*\n?(?P<body>.*)\Z", re.DOTALL)
_COMPARATOR = re.compile(r"^(?P<op>>=|<=|>|<|=|\^|~)?\s*(?P<version>[0-9*xX][0-9A-Za-z.*+-]*)$")
_KEY = SemverOrdering().key


@dataclass(frozen=True, slots=True)
class Bound:
    """One end of an interval: a full SemVer version and whether it is included."""

    version: str
    inclusive: bool


Interval = tuple[Bound | None, Bound | None]


def _parts(text: str) -> tuple[list[int], str]:
    core, dash, pre = text.partition("-")
    numbers: list[int] = []
    for part in core.split("+", 1)[0].split("."):
        if part in ("*", "x", "X"):
            break
        numbers.append(int(part))
    return numbers, (pre if dash else "")


def _full(numbers: list[int], pre: str = "") -> str:
    padded = [*numbers, 0, 0, 0][:3]
    text = ".".join(str(n) for n in padded)
    return f"{text}-{pre}" if pre else text


def _bump(numbers: list[int], index: int) -> str:
    bumped = [*numbers[:index], numbers[index] + 1]
    return _full(bumped)


def _caret(numbers: list[int], pre: str) -> Interval:
    low = Bound(_full(numbers, pre), True)
    if not numbers:
        return (None, None)
    if numbers[0] > 0 or len(numbers) == 1:
        return (low, Bound(_bump(numbers, 0), False))
    if len(numbers) == 2 or numbers[1] > 0:
        return (low, Bound(_bump(numbers, 1), False))
    return (low, Bound(_bump(numbers, 2), False))


def _comparator(text: str) -> Interval:
    match = _COMPARATOR.match(text.strip())
    if match is None:
        raise ValueError(f"invalid version requirement {text.strip()!r}")
    op = match["op"] or "^"
    numbers, pre = _parts(match["version"])
    partial = len(numbers) < 3
    if not numbers:
        return (None, None)
    if "*" in match["version"] or "x" in match["version"].lower().split("-")[0]:
        # Wildcards: 1.* = [1.0.0, 2.0.0), 1.2.* = [1.2.0, 1.3.0) (Cargo reference).
        return (Bound(_full(numbers), True), Bound(_bump(numbers, len(numbers) - 1), False))
    if op == "^":
        return _caret(numbers, pre)
    if op == "~":
        index = 1 if len(numbers) >= 2 else 0
        return (Bound(_full(numbers, pre), True), Bound(_bump(numbers, index), False))
    if op == "=":
        if partial:
            return (Bound(_full(numbers), True), Bound(_bump(numbers, len(numbers) - 1), False))
        return (Bound(_full(numbers, pre), True), Bound(_full(numbers, pre), True))
    if op == ">=":
        return (Bound(_full(numbers, pre), True), None)
    if op == ">":
        if partial:
            return (Bound(_bump(numbers, len(numbers) - 1), True), None)
        return (Bound(_full(numbers, pre), False), None)
    if op == "<":
        return (None, Bound(_full(numbers, pre), False))
    # "<=": a partial version includes its whole line (<=1.2 means <1.3.0).
    if partial:
        return (None, Bound(_bump(numbers, len(numbers) - 1), False))
    return (None, Bound(_full(numbers, pre), True))


def _lower_max(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return b if a is None else a
    ka, kb = _KEY(a.version), _KEY(b.version)
    if ka != kb:
        return a if ka > kb else b
    return a if not a.inclusive else b


def _upper_min(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return b if a is None else a
    ka, kb = _KEY(a.version), _KEY(b.version)
    if ka != kb:
        return a if ka < kb else b
    return a if not a.inclusive else b


def requirement_interval(requirement: str) -> Interval:
    """Return the SemVer interval a Cargo requirement (comparators joined by ``,``) denotes.

    Raises:
        ValueError: a comparator is not a valid Cargo requirement.
    """
    low: Bound | None = None
    high: Bound | None = None
    for comparator in requirement.split(","):
        if not comparator.strip():
            raise ValueError(f"invalid version requirement {requirement!r}")
        c_low, c_high = _comparator(comparator)
        low, high = _lower_max(low, c_low), _upper_min(high, c_high)
    return (low, high)


def _empty(low: Bound | None, high: Bound | None) -> bool:
    if low is None or high is None:
        return False
    kl, kh = _KEY(low.version), _KEY(high.version)
    return kl > kh or (kl == kh and not (low.inclusive and high.inclusive))


def _lower_key(bound: Bound | None) -> tuple[int, Any, int]:
    if bound is None:
        return (0, (), 0)
    return (1, _KEY(bound.version), 0 if bound.inclusive else 1)


def _upper_max(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return None
    ka, kb = _KEY(a.version), _KEY(b.version)
    if ka != kb:
        return a if ka > kb else b
    return a if a.inclusive else b


def _touches(high: Bound | None, low: Bound | None) -> bool:
    """Whether an interval ending at ``high`` overlaps or abuts one starting at ``low``."""
    if high is None or low is None:
        return True
    kh, kl = _KEY(high.version), _KEY(low.version)
    return kl < kh or (kl == kh and (low.inclusive or high.inclusive))


def _affected_intervals(unaffected: list[Interval]) -> list[Interval]:
    """Complement of the union of ``unaffected`` over all SemVer versions."""
    merged: list[Interval] = []
    for low, high in sorted(
        (iv for iv in unaffected if not _empty(*iv)), key=lambda iv: _lower_key(iv[0])
    ):
        if merged and _touches(merged[-1][1], low):
            merged[-1] = (merged[-1][0], _upper_max(merged[-1][1], high))
        else:
            merged.append((low, high))
    gaps: list[Interval] = []
    start: Bound | None = None
    for low, high in merged:
        if low is not None:
            end = Bound(low.version, not low.inclusive)
            if not _empty(start, end):
                gaps.append((start, end))
        if high is None:
            return gaps
        start = Bound(high.version, not high.inclusive)
    gaps.append((start, None))
    return gaps


def _next_version(version: str) -> str:
    """The smallest SemVer version greater than ``version`` (no build metadata)."""
    numbers, pre = _parts(version)
    if pre:
        return f"{_full(numbers)}-{pre}.0"
    return f"{numbers[0]}.{numbers[1]}.{numbers[2] + 1}-0"


def affected_ranges(intervals: list[Interval]) -> tuple[AffectedRange, ...]:
    """One OSV ``SEMVER`` range per interval (ranges are OR-ed, OSV schema §affected)."""
    ranges: list[AffectedRange] = []
    for low, high in intervals:
        if low is None:
            introduced = "0"
        elif low.inclusive:
            introduced = low.version
        else:
            introduced = _next_version(low.version)
        events = [RangeEvent(kind="introduced", version=introduced)]
        if high is not None:
            kind = "last_affected" if high.inclusive else "fixed"
            events.append(RangeEvent(kind=kind, version=high.version))
        ranges.append(AffectedRange(type="SEMVER", events=tuple(events)))
    return tuple(ranges)


def _strings(table: dict[str, Any], key: str, where: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{where}.{key}: expected a list of strings")
    return list(value)


def parse_rustsec_advisory(text: str, *, source: str, ecosystem: str = "crates.io") -> Advisory:
    """Parse one RustSec advisory file into an OSV-shaped :class:`Advisory`.

    Args:
        text: the Markdown file's text.
        source: where it was read from.
        ecosystem: the OSV ecosystem of the package (``crates.io``).

    Returns:
        The advisory; ``withdrawn`` set when the advisory says so.

    Raises:
        ValueError: no TOML front matter, invalid TOML, a missing ``id``/``package``, or an
            invalid version requirement (the message says which).
    """
    match = _FRONT.match(text)
    if match is None:
        raise ValueError("no ```toml front matter")
    try:
        document = tomllib.loads(match["toml"])
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"invalid TOML front matter: {exc}") from exc
    advisory = document.get("advisory")
    if not isinstance(advisory, dict):
        raise ValueError("missing [advisory] table")  # noqa: TRY004
    ident, package = advisory.get("id"), advisory.get("package")
    if not isinstance(ident, str) or not isinstance(package, str):
        raise ValueError("[advisory] needs string 'id' and 'package'")  # noqa: TRY004
    versions = document.get("versions", {})
    if not isinstance(versions, dict):
        raise ValueError("[versions] must be a table")  # noqa: TRY004
    unaffected = [
        requirement_interval(req)
        for key in ("patched", "unaffected")
        for req in _strings(versions, key, "versions")
    ]
    title = next(
        (line[2:].strip() for line in match["body"].splitlines() if line.startswith("# ")), ""
    )
    cvss = advisory.get("cvss")
    informational = advisory.get("informational")
    aliases = _strings(advisory, "aliases", "advisory")
    url = advisory.get("url")
    withdrawn = advisory.get("withdrawn")
    return Advisory(
        id=ident,
        aliases=tuple(aliases),
        summary=title,
        modified=str(advisory.get("date", "")),
        published=str(advisory.get("date", "")),
        withdrawn=str(withdrawn) if withdrawn else None,
        severity=(("CVSS_V3", cvss),)
        if isinstance(cvss, str) and cvss.startswith("CVSS:3")
        else (),
        database_severity="NONE" if informational else None,
        affected=(
            AffectedPackage(
                ecosystem=ecosystem,
                name=package,
                purl=f"pkg:cargo/{package}",
                ranges=affected_ranges(_affected_intervals(unaffected)),
            ),
        ),
        references=(url,) if isinstance(url, str) else (),
        source=source,
    )
