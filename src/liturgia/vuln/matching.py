"""Exact OSV affected-version evaluation (OSV schema §affected, §Evaluation).

A package at version ``v`` is affected by an ``affected[]`` entry when ``v`` is listed in its
``versions`` (compared by the ecosystem's equality in every ecosystem, so ``3.2`` lists the pin
``3.2.0``, Maven's ``1.0`` lists ``1.0.RELEASE`` and PEP 440's ``2.0.0`` lists the local build
``2.0.0+cpu``; see :func:`~liturgia.vuln.versions.list_forms`) or lies
in one of its ranges. A range's events are sorted by version (records may list them in any
order) and replayed as the schema's pseudo-code does: ``introduced`` opens (``"0"`` sorts before
every version), ``fixed`` closes exclusively, ``last_affected`` closes inclusively; several
``introduced`` events open several intervals. ``limit`` events bound the range: ``v`` must be
below at least one limit (``"*"`` is infinity). ``GIT`` ranges name commits and need the
repository's graph; per the schema they are answered through the entry's ``versions`` list.

Ranges are compiled once per package into interval lists, so a query costs a few comparisons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from liturgia.vuln.advisory import Advisory, AffectedPackage, AffectedRange, canonical_versions
from liturgia.vuln.versions import VersionOrdering, list_forms, ordering_for

__all__ = ["CompiledEntry", "CompiledRange", "VersionKeys", "compile_entry"]

_KIND_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2, "limit": 3}


class VersionKeys:
    """Memoizes one version's key under each ordering (orderings differ per range type)."""

    __slots__ = ("_cache", "_forms", "version")

    def __init__(self, version: str) -> None:
        """Create the memo for ``version``."""
        self.version = version
        self._cache: dict[str, Any] = {}
        self._forms: dict[str, tuple[str, ...]] = {}

    def list_forms(self, ordering: VersionOrdering) -> tuple[str, ...]:
        """Canonical forms matching a ``versions`` entry (see :func:`list_forms`); ``()`` when
        the version is invalid under ``ordering``."""
        if ordering.name not in self._forms:
            try:
                self._forms[ordering.name] = list_forms(ordering, self.version)
            except ValueError:
                self._forms[ordering.name] = ()
        return self._forms[ordering.name]

    def key(self, ordering: VersionOrdering) -> Any:
        """Return the key under ``ordering``, or ``None`` when the version is invalid there."""
        if ordering.name not in self._cache:
            try:
                self._cache[ordering.name] = ordering.key(self.version)
            except ValueError:
                self._cache[ordering.name] = None
        return self._cache[ordering.name]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompiledRange:
    """A ``SEMVER``/``ECOSYSTEM`` range as intervals.

    Attributes:
        ordering: the version ordering of the range.
        intervals: ``(low, high, high_inclusive)``; ``low``/``high`` are keys, ``None`` = unbounded.
        limits: limit keys; empty when the range has no finite limit.
        fixed: ``(key, version)`` of each ``fixed`` event.
    """

    ordering: VersionOrdering
    intervals: tuple[tuple[Any, Any, bool], ...]
    limits: tuple[Any, ...] = ()
    fixed: tuple[tuple[Any, str], ...] = ()

    def contains(self, key: Any) -> bool:
        """Return whether a version key lies in the range (``key`` valid for ``ordering``)."""
        if self.limits and not any(key < limit for limit in self.limits):
            return False
        for low, high, inclusive in self.intervals:
            if low is not None and key < low:
                continue
            if high is None or key < high or (inclusive and key == high):
                return True
        return False


@dataclass(frozen=True, slots=True, kw_only=True)
class CompiledEntry:
    """One ``affected[]`` entry of one advisory, ready to query.

    Attributes:
        advisory: the advisory.
        affected: the entry.
        ranges: the evaluable ranges.
        ordering: the ecosystem ordering used for the ``versions`` list.
        version_canon: canonical forms of the ``versions`` entries valid under ``ordering``.
        version_strings: the ``versions`` entries as written (exact-string fallback).
        problems: why parts of the entry could not be evaluated (one line each).
        fixed: ``(key, version)`` of every ``fixed`` event of ``ranges``.
    """

    advisory: Advisory
    affected: AffectedPackage
    ranges: tuple[CompiledRange, ...]
    ordering: VersionOrdering
    version_canon: frozenset[str] = field(default_factory=frozenset)
    fixed: tuple[tuple[Any, str], ...] = ()
    version_strings: frozenset[str] = field(default_factory=frozenset)
    problems: tuple[str, ...] = ()

    def needs_ordering(self) -> tuple[VersionOrdering, ...]:
        """The orderings under which a queried version must parse to evaluate this entry."""
        orderings = {r.ordering.name: r.ordering for r in self.ranges}
        if self.version_canon:
            orderings.setdefault(self.ordering.name, self.ordering)
        return tuple(orderings.values())

    def affects(self, version: VersionKeys) -> bool:
        """Return whether the version is affected (OSV schema §Evaluation ``IsVulnerable``).

        Parts of the entry under which the version is not valid cannot match; the caller
        reports such versions as not fully checked (see :meth:`needs_ordering`).
        """
        if version.version in self.version_strings:
            return True
        if self.version_canon and any(
            form in self.version_canon for form in version.list_forms(self.ordering)
        ):
            return True
        for compiled in self.ranges:
            range_key = version.key(compiled.ordering)
            if range_key is not None and compiled.contains(range_key):
                return True
        return False

    def fixed_versions(self) -> tuple[tuple[Any, str], ...]:
        """``(key, version)`` of every ``fixed`` event, under the ranges' orderings."""
        return self.fixed


def _compile_range(
    ecosystem: str, item: AffectedRange, problems: list[str]
) -> CompiledRange | None:
    ordering = ordering_for(ecosystem, item.type)
    keyed: list[tuple[tuple[int, Any], int, str, str]] = []
    for event in item.events:
        if event.kind == "introduced" and event.version == "0":
            keyed.append(((0, None), 0, event.kind, event.version))
            continue
        if event.kind == "limit" and "*" in event.version:
            continue
        try:
            key = ordering.key(event.version)
        except ValueError as exc:
            problems.append(f"{item.type} range skipped: {exc}")
            return None
        keyed.append(((1, key), _KIND_ORDER[event.kind], event.kind, event.version))
    keyed.sort(key=lambda entry: (entry[0], entry[1]))
    intervals: list[tuple[Any, Any, bool]] = []
    limits: list[Any] = []
    fixed: list[tuple[Any, str]] = []
    low: Any = None
    is_open = False
    for (_, key), _order, kind, version in keyed:
        if kind == "introduced":
            if not is_open:
                low, is_open = key, True
        elif kind == "limit":
            limits.append(key)
        else:
            if kind == "fixed":
                fixed.append((key, version))
            if is_open:
                intervals.append((low, key, kind == "last_affected"))
                is_open = False
    if is_open:
        intervals.append((low, None, False))
    return CompiledRange(
        ordering=ordering, intervals=tuple(intervals), limits=tuple(limits), fixed=tuple(fixed)
    )


def compile_entry(advisory: Advisory, affected: AffectedPackage) -> CompiledEntry:
    """Compile one ``affected[]`` entry; unusable parts are recorded in ``problems``."""
    problems: list[str] = []
    ranges: list[CompiledRange] = []
    has_git = False
    for item in affected.ranges:
        if item.type == "GIT":
            has_git = True
            continue
        compiled = _compile_range(affected.ecosystem, item, problems)
        if compiled is not None:
            ranges.append(compiled)
    ordering = ordering_for(affected.ecosystem, "ECOSYSTEM")
    canon = affected.canonical_versions
    if canon is None:
        canon = canonical_versions(affected.ecosystem, affected.versions)
    if has_git and not affected.versions and not ranges:
        problems.append("only GIT ranges and no versions list: cannot be evaluated offline")
    return CompiledEntry(
        advisory=advisory,
        affected=affected,
        ranges=tuple(ranges),
        ordering=ordering,
        version_canon=frozenset(canon),
        fixed=tuple(item for compiled in ranges for item in compiled.fixed),
        version_strings=frozenset(affected.versions),
        problems=tuple(problems),
    )
