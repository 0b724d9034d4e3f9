"""Scanning components against an advisory database: findings, unchecked components, upgrades.

``scan`` is a pure function of its inputs (and of ``today`` for expiring rules): no I/O. It
never drops a component silently: each one yields findings, or is clean, or is listed in
``unchecked`` with the reason it could not be checked.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from liturgia._internal.clock import now
from liturgia.errors import AdvisorySourceError, InputError, NetworkError
from liturgia.model import Component, ComponentType, Scope
from liturgia.vuln.advisory import Advisory
from liturgia.vuln.database import AdvisoryDatabase, DatabaseInfo, freshness_problem
from liturgia.vuln.ecosystems import (
    PackageKey,
    canonical_ecosystem,
    normalize_name,
    package_from_purl,
)
from liturgia.vuln.ignore import IgnoreRule, UncheckedRule
from liturgia.vuln.matching import CompiledEntry, VersionKeys
from liturgia.vuln.severity import Severity, SeverityAssessment, assess_severity
from liturgia.vuln.versions import ordering_for

__all__ = [
    "Finding",
    "ScanReport",
    "Suppression",
    "UncheckedCause",
    "UncheckedComponent",
    "UpgradeAdvice",
    "scan",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Suppression:
    """A statement that a finding does not apply (from an ignore rule or a VEX document).

    Attributes:
        id: advisory id or alias.
        component: name, purl, or ``None`` for every component (see ``IgnoreRule``).
        reason: justification carried into the report.
        source: where the statement came from (``"ignore"``, a VEX file...).
        expires: last day it applies, or ``None``.
    """

    id: str
    component: str | None
    reason: str
    source: str
    expires: date | None = None

    def as_rule(self) -> IgnoreRule:
        """The equivalent ignore rule (same matching semantics)."""
        return IgnoreRule(
            id=self.id, component=self.component, reason=self.reason, expires=self.expires
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One vulnerability in one component (aliases merged).

    Attributes:
        id: the primary advisory id (the smallest matched record id).
        aliases: every other id and alias of the merged records, sorted.
        component_ref: the component's ``ref``.
        name: the component name as the inventory spells it.
        version: the component version.
        ecosystem: canonical ecosystem.
        purl: the component purl, if any.
        found_in: the file the component was found in (relative path), if known.
        summary: one-line summary.
        severity: the rating (highest known among the merged records; UNKNOWN if none states one).
        score: CVSS base score when the rating came from a vector.
        vector: that CVSS vector.
        severity_source: where the rating came from (vector and score, database word, or none).
        fixed_versions: versions that fix it (``fixed`` events of the matched ranges), ascending.
        records: ``source`` of each matched record (file or index label), sorted.
        references: advisory URLs, first record first.
        suppressed: an ignore rule or VEX statement suppresses it.
        suppression_reason: the justification when suppressed.
        notes: remarks such as an expired ignore rule that no longer suppresses.
        scope: the component's scope; ``excluded`` (development-only) findings are reported in
            their own group and block only when the caller includes them.
        uncertain: why the match may be wrong, when it may be (a Go pseudo-version with no
            tagged base cannot be placed in a range reliably); ``None`` for a sure match.
            Whether uncertain findings block is the caller's policy (:meth:`ScanReport.blocking`).
    """

    id: str
    aliases: tuple[str, ...] = ()
    component_ref: str
    name: str
    version: str
    ecosystem: str
    purl: str | None = None
    found_in: str | None = None
    summary: str = ""
    severity: Severity
    score: float | None = None
    vector: str | None = None
    severity_source: str = ""
    fixed_versions: tuple[str, ...] = ()
    records: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    suppressed: bool = False
    suppression_reason: str | None = None
    notes: tuple[str, ...] = ()
    scope: Scope = Scope.REQUIRED
    uncertain: str | None = None

    @property
    def ids(self) -> tuple[str, ...]:
        """The primary id followed by the aliases."""
        return (self.id, *self.aliases)

    @property
    def vulnerability_id(self) -> str:
        """The primary id (same as ``id``; the name the release gate uses)."""
        return self.id

    @property
    def component_name(self) -> str:
        """The component name (same as ``name``)."""
        return self.name

    @property
    def component_version(self) -> str:
        """The component version (same as ``version``)."""
        return self.version


class UncheckedCause(StrEnum):
    """Why a component could not be checked: its own data, or the advisory source.

    ``COMPONENT``: the component lacks what a lookup needs (no purl or ecosystem, an invalid
    purl, no version, a version invalid in its ecosystem's ordering): no source could check it.
    ``SOURCE``: the component could be looked up, but the advisory source could not answer
    (offline, unreachable, an error answer) or holds nothing for its ecosystem.
    ``NOT_A_PACKAGE``: a ``file`` component (a release artifact) with no purl or ecosystem:
    advisories name packages, so there is nothing to look up; listed, but it does not make
    the scan incomplete.

    Every ``COMPONENT`` or ``SOURCE`` entry makes the answer incomplete: the CLI exits 2 and the
    release gate fails unless the entry is accepted (see :attr:`UncheckedComponent.accepted`).
    """

    COMPONENT = "component"
    SOURCE = "source"
    NOT_A_PACKAGE = "not-a-package"


@dataclass(frozen=True, slots=True, kw_only=True)
class UncheckedComponent:
    """A component that could not be (fully) checked, why, and whose fault it is.

    Attributes:
        component_ref: the component's ref.
        name: its name.
        version: its version, or ``None``.
        reason: why it could not be checked.
        cause: whose fault it is (see :class:`UncheckedCause`).
        accepted: the reason of the ``[[unchecked]]`` entry that accepts it, or ``None``.
    """

    component_ref: str
    name: str
    version: str | None
    reason: str
    cause: UncheckedCause = UncheckedCause.COMPONENT
    accepted: str | None = None

    @property
    def incomplete(self) -> bool:
        """Whether it makes the scan's answer incomplete (a package not checked, not accepted)."""
        return self.cause is not UncheckedCause.NOT_A_PACKAGE and self.accepted is None


@dataclass(frozen=True, slots=True, kw_only=True)
class UpgradeAdvice:
    """The smallest upgrade of one component that no advisory in the database affects.

    Attributes:
        component_ref: the component's ref.
        name: component name.
        version: current version.
        upgrade_to: the smallest fixed version above ``version`` affected by none of the
            package's advisories, or ``None`` when no such version is known.
        clears: ids of the findings it clears (all of the component's findings).
    """

    component_ref: str
    name: str
    version: str
    upgrade_to: str | None
    clears: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanReport:
    """The result of a scan (the release's ``vulnerabilities.json``).

    Attributes:
        findings: sorted by (component ref, id).
        unchecked: components that could not be checked, sorted by ref.
        upgrades: per vulnerable component, sorted by ref.
        database: what was scanned against.
        warnings: problems with advisories or inputs, sorted and unique.
        component_count: components given to the scan.
        database_problems: why the database cannot be trusted (e.g. too old); a gate fails on
            any of these.
    """

    findings: tuple[Finding, ...] = ()
    unchecked: tuple[UncheckedComponent, ...] = ()
    upgrades: tuple[UpgradeAdvice, ...] = ()
    database: DatabaseInfo
    warnings: tuple[str, ...] = field(default=())
    component_count: int = 0
    database_problems: tuple[str, ...] = ()

    @property
    def unchecked_by_source(self) -> tuple[UncheckedComponent, ...]:
        """Components the advisory source could not answer for (see :class:`UncheckedCause`)."""
        return tuple(u for u in self.unchecked if u.cause is UncheckedCause.SOURCE)

    @property
    def incomplete(self) -> tuple[UncheckedComponent, ...]:
        """Unchecked packages no ``[[unchecked]]`` entry accepts: the answer is incomplete."""
        return tuple(u for u in self.unchecked if u.incomplete)

    def coverage_problem(self) -> str | None:
        """Say why the scan checked no component at all, or return ``None``.

        A scan in which no component could be looked up (each lacks a version or a purl), or in
        which the source answered for none of those that could (offline, unreachable, no
        advisories for their ecosystems), found nothing because it looked at nothing: it must
        not read as "no vulnerabilities".

        Returns:
            One line naming the first unchecked component and the reason, or ``None``.
        """
        by_source = {u.component_ref for u in self.unchecked_by_source}
        own = {u.component_ref for u in self.unchecked if u.cause is not UncheckedCause.SOURCE}
        checkable = self.component_count - len(own - by_source)
        if checkable == 0 and self.unchecked:
            return (
                f"nothing to scan: none of the {self.component_count} components can be looked "
                f"up (first: {self.unchecked_lines()[0]})"
            )
        if by_source and len(by_source) == checkable:
            return (
                f"the advisory source ({self.database.source}) could not check any of the "
                f"{checkable} components: {self.unchecked_by_source[0].reason}"
            )
        return None

    def unchecked_lines(self) -> tuple[str, ...]:
        """One line per unchecked component: ``name@version (ref): reason[; accepted: why]``."""
        return tuple(
            f"{u.name}@{u.version or '?'} ({u.component_ref}): {u.reason}"
            + (f"; accepted: {u.accepted}" if u.accepted else "")
            for u in self.unchecked
        )

    @property
    def runtime_findings(self) -> tuple[Finding, ...]:
        """Findings in components the product needs (scope ``required`` or ``optional``)."""
        return tuple(f for f in self.findings if f.scope is not Scope.EXCLUDED)

    @property
    def excluded_scope_findings(self) -> tuple[Finding, ...]:
        """Findings in development-only components (scope ``excluded``): their own group."""
        return tuple(f for f in self.findings if f.scope is Scope.EXCLUDED)

    @property
    def unsuppressed(self) -> tuple[Finding, ...]:
        """Findings no rule or VEX statement suppresses."""
        return tuple(f for f in self.findings if not f.suppressed)

    def blocking(
        self,
        fail_on: Severity,
        *,
        unknown_as: Severity = Severity.HIGH,
        uncertain_blocks: bool = True,
        include_dev: bool = False,
    ) -> tuple[Finding, ...]:
        """Unsuppressed findings at or above ``fail_on``; none at all when ``fail_on`` is NONE.

        Args:
            fail_on: the gate threshold (a known rating); ``NONE`` means findings never block
                (``--fail-on none``), not "block on every finding".
            unknown_as: where UNKNOWN ranks (default HIGH: it fails a HIGH gate).
            uncertain_blocks: whether findings with an ``uncertain`` reason count (default yes:
                a match that may be wrong is not a reason to pass).
            include_dev: whether findings in development-only components (scope ``excluded``:
                build and test tooling that does not ship) count; by default they are reported
                but do not block.
        """
        if fail_on is Severity.NONE:
            return ()
        threshold = fail_on.rank_with(unknown_as=unknown_as)
        return tuple(
            f
            for f in self.unsuppressed
            if f.severity.rank_with(unknown_as=unknown_as) >= threshold
            and (uncertain_blocks or f.uncertain is None)
            and (include_dev or f.scope is not Scope.EXCLUDED)
        )


@dataclass(slots=True)
class _Target:
    component: Component
    key: PackageKey
    version: str
    problem: str | None = None  # the version is invalid in its ecosystem's ordering


def _resolve(component: Component) -> _Target | str:
    """Work out what to look up for a component, or the reason it cannot be."""
    key: PackageKey | None = None
    version = component.version
    purl_problem = ""
    if component.purl:
        try:
            key, purl_version = package_from_purl(component.purl)
            version = version or purl_version
        except ValueError as exc:
            purl_problem = f"invalid purl {component.purl!r}: {exc}"
    if component.ecosystem:
        ecosystem = canonical_ecosystem(component.ecosystem)
        # The purl may be more precise ("Debian:12" for an SBOM's plain "Debian").
        if key is None or key.ecosystem.partition(":")[0] != ecosystem.partition(":")[0]:
            key = PackageKey(ecosystem=ecosystem, name=normalize_name(ecosystem, component.name))
    if key is None:
        if purl_problem:
            return purl_problem
        if component.type is ComponentType.FILE:
            return "a file, not a package (no purl or ecosystem to look up)"
        return "no purl and no ecosystem: cannot be looked up"
    if not version:
        return "no version: cannot be matched against advisory ranges"
    ordering = ordering_for(key.ecosystem)
    try:
        ordering.key(version)
    except ValueError:
        # Judged whatever advisories are loaded: a version its ecosystem cannot order can match
        # no range, so the component is not checked even when no advisory names it today.
        problem = (
            f"version {version!r} is not valid under {ordering.name}: "
            "advisory ranges could not be evaluated"
        )
        return _Target(component=component, key=key, version=version, problem=problem)
    return _Target(component=component, key=key, version=version)


# A Go pseudo-version with no tagged base: vX.0.0-yyyymmddhhmmss-abcdefabcdef where X is the
# major version (Go Modules Reference, "Pseudo-versions", first form).
_UNTAGGED_PSEUDO = re.compile(r"^v\d+\.0\.0-\d{14}-[0-9a-f]{12}(?:\+incompatible)?$")


def _uncertainty(target: _Target) -> str | None:
    """Why a match for this component may be wrong, or ``None``."""
    if target.key.ecosystem == "Go" and _UNTAGGED_PSEUDO.match(target.version):
        return (
            f"{target.version} is a pseudo-version with no tagged base: it orders before every "
            "release, so its place in the advisory's ranges is a guess (the commit may already "
            "hold the fix)"
        )
    return None


def _where_looked(records: Sequence[str], names: set[str]) -> str:
    """Say where a severity was looked for before a finding is called UNKNOWN."""
    others = sorted(names - set(records))
    aliases = (
        f"its aliases {', '.join(others)} have no record for this package in the database"
        if others
        else "it has no aliases"
    )
    return (
        f"no severity stated: looked in {', '.join(records)} (severity[], affected[].severity, "
        f"database_specific.severity); {aliases}"
    )


def _assess(advisory: Advisory, entries: Sequence[CompiledEntry]) -> SeverityAssessment:
    for entry in entries:
        if entry.affected.severity:
            assessment, _problems = assess_severity(entry.affected.severity, None)
            if assessment.severity is not Severity.UNKNOWN:
                return assessment
    assessment, _problems = assess_severity(advisory.severity, advisory.database_severity)
    return assessment


def _group(matched: dict[str, list[CompiledEntry]]) -> list[list[str]]:
    """Group matched advisory ids that are aliases of each other (union-find)."""
    parent = {ident: ident for ident in matched}

    def find(item: str) -> str:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    owner: dict[str, str] = {}
    for ident in sorted(matched):
        advisory = matched[ident][0].advisory
        for name in (advisory.id, *advisory.aliases):
            other = owner.setdefault(name.upper(), ident)
            root_a, root_b = find(other), find(ident)
            if root_a != root_b:
                parent[max(root_a, root_b)] = min(root_a, root_b)
    groups: dict[str, list[str]] = {}
    for ident in sorted(matched):
        groups.setdefault(find(ident), []).append(ident)
    return list(groups.values())


def _fixed(entries: Sequence[CompiledEntry], ecosystem: str) -> tuple[str, ...]:
    ordering = ordering_for(ecosystem)
    seen: dict[Any, str] = {}
    for entry in entries:
        for _key, version in entry.fixed_versions():
            try:
                key = ordering.key(version)
            except ValueError:
                key = ("?", version)
            seen.setdefault(key, version)
    try:
        return tuple(seen[k] for k in sorted(seen))
    except TypeError:  # a version invalid in the ordering: fall back to text order
        return tuple(sorted(seen.values()))


def _upgrade(target: _Target, entries: Sequence[CompiledEntry]) -> str | None:
    ordering = ordering_for(target.key.ecosystem)
    try:
        current = ordering.key(target.version)
    except ValueError:
        return None
    candidates: dict[Any, str] = {}
    for entry in entries:
        for _key, version in entry.fixed_versions():
            try:
                key = ordering.key(version)
            except ValueError:
                continue
            if key > current:
                candidates.setdefault(key, version)
    current_probe = VersionKeys(target.version)
    # Entries affecting the current version are the likeliest to affect a candidate too; and
    # the entry that rejected the last candidate moves to the front (it usually rejects the
    # next one as well), so failing candidates cost one check each.
    order = sorted(entries, key=lambda entry: not entry.affects(current_probe))
    for key in sorted(candidates):
        probe = VersionKeys(candidates[key])
        for index, entry in enumerate(order):
            if entry.affects(probe):
                order.insert(0, order.pop(index))
                break
        else:
            return candidates[key]
    return None


def _suppress(
    finding: Finding, target: _Target, rules: Sequence[Suppression], today: date
) -> Finding:
    notes: list[str] = []
    for rule in rules:
        if not rule.as_rule().applies_to(
            ids=finding.ids,
            ecosystem=target.key.ecosystem,
            name=target.key.name,
            purl=target.component.purl,
            ref=target.component.ref,
        ):
            continue
        if rule.as_rule().is_expired(today):
            notes.append(
                f"{rule.source} rule for {rule.id} expired on {rule.expires}; not suppressing"
            )
            continue
        return replace(
            finding,
            suppressed=True,
            suppression_reason=f"{rule.source}: {rule.reason}",
            notes=tuple(notes),
        )
    return replace(finding, notes=tuple(notes)) if notes else finding


def _acceptance(
    component: Component,
    target: _Target | str,
    rules: Sequence[UncheckedRule],
    today: date,
    warnings: set[str],
) -> str | None:
    """The reason of the first unexpired ``[[unchecked]]`` entry naming the component."""
    if isinstance(target, _Target):
        ecosystem, name = target.key.ecosystem, target.key.name
    else:
        ecosystem = canonical_ecosystem(component.ecosystem) if component.ecosystem else ""
        name = normalize_name(ecosystem, component.name) if ecosystem else component.name
    for rule in rules:
        if rule.applies_to(ecosystem=ecosystem, name=name, purl=component.purl, ref=component.ref):
            if rule.is_expired(today):
                warnings.add(
                    f"[[unchecked]] entry for {rule.component} expired on {rule.expires}; "
                    f"{component.ref} is not accepted"
                )
                continue
            return rule.reason
    return None


def _scan_one(
    target: _Target, database: AdvisoryDatabase, warnings: set[str]
) -> tuple[list[Finding], str | None, list[CompiledEntry]]:
    entries = database.entries_for(target.key)
    probe = VersionKeys(target.version)
    matched: dict[str, list[CompiledEntry]] = {}
    invalid_under: set[str] = set()
    for entry in entries:
        for problem in entry.problems:
            warnings.add(f"{entry.advisory.source}: {entry.advisory.id}: {problem}")
        for ordering in entry.needs_ordering():
            if probe.key(ordering) is None:
                invalid_under.add(ordering.name)
        if entry.affects(probe):
            matched.setdefault(entry.advisory.id, []).append(entry)
    reason = None
    if invalid_under:
        reason = (
            f"version {target.version!r} is not valid under {', '.join(sorted(invalid_under))}: "
            "advisory ranges could not be evaluated"
        )
    findings: list[Finding] = []
    component = target.component
    for group in _group(matched):
        advisories = [matched[ident][0].advisory for ident in group]
        group_entries = [entry for ident in group for entry in matched[ident]]
        assessments = [_assess(adv, matched[adv.id]) for adv in advisories]
        best = max(
            assessments,
            key=lambda a: (a.severity is not Severity.UNKNOWN, a.severity.rank, a.score or 0.0),
        )
        names = {name for adv in advisories for name in (adv.id, *adv.aliases)}
        primary = group[0]
        severity_source = best.source
        if best.severity is Severity.UNKNOWN:
            severity_source = _where_looked(group, names)
        findings.append(
            Finding(
                id=primary,
                aliases=tuple(sorted(names - {primary})),
                component_ref=component.ref,
                name=component.name,
                version=target.version,
                ecosystem=target.key.ecosystem,
                purl=component.purl,
                found_in=component.found_in,
                summary=next((adv.summary for adv in advisories if adv.summary), ""),
                severity=best.severity,
                score=best.score,
                vector=best.vector,
                severity_source=severity_source,
                fixed_versions=_fixed(group_entries, target.key.ecosystem),
                records=tuple(sorted({adv.source for adv in advisories})),
                references=tuple(dict.fromkeys(r for adv in advisories for r in adv.references)),
                scope=component.scope,
                uncertain=_uncertainty(target),
            )
        )
    for advisory in {e.advisory.id: e.advisory for es in matched.values() for e in es}.values():
        _assessment, problems = assess_severity(advisory.severity, advisory.database_severity)
        for problem in problems:
            warnings.add(f"{advisory.source}: {advisory.id}: {problem}")
    return findings, reason, list(entries)


def scan(
    components: Sequence[Component],
    database: AdvisoryDatabase,
    *,
    ignore: Sequence[IgnoreRule] = (),
    suppressions: Sequence[Suppression] = (),
    today: date | None = None,
    max_age: timedelta | None = None,
    accept: Sequence[UncheckedRule] = (),
) -> ScanReport:
    """Match components against a database exactly per the OSV schema.

    Each component is looked up by (ecosystem, normalized name): the ecosystem comes from the
    component or, failing that, from its purl type; the name from its purl or its name. Findings
    of records that are aliases of each other merge into one. Ignore rules and suppressions (VEX
    statements) mark findings suppressed with their reason; expired ones only add a note.

    Args:
        components: what to check (e.g. ``Inventory.components``); duplicate refs count once.
        database: the advisory database.
        ignore: accepted findings (ignore file).
        suppressions: further statements, e.g. from VEX documents.
        today: the date expiry is judged on (default: today per the reproducible clock).
        max_age: when given, a database whose newest record is older is reported in
            ``database_problems`` (judged at the reproducible clock's now).
        accept: ``[[unchecked]]`` entries: components they name that could not be checked are
            still listed, with the entry's reason in ``accepted`` (expired entries accept
            nothing and add a warning).

    Returns:
        The report: findings, unchecked components (with reasons), upgrade advice, warnings.

    Raises:
        InputError: ``components`` is empty: scanning nothing must not look like a clean
            result.
    """
    if not components:
        raise InputError("nothing to scan: no components were given")
    moment = now()
    day = today or moment.date()
    problems: list[str] = []
    if max_age is not None:
        problem = freshness_problem(database.info, max_age=max_age, at=moment)
        if problem is not None:
            problems.append(problem)
    rules = [
        Suppression(
            id=r.id, component=r.component, reason=r.reason, source="ignore", expires=r.expires
        )
        for r in ignore
    ] + list(suppressions)
    warnings: set[str] = set(database.warnings)
    findings: list[Finding] = []
    unchecked: list[UncheckedComponent] = []
    upgrades: list[UpgradeAdvice] = []
    seen: set[str] = set()
    targets: list[_Target | str] = []
    unique: list[Component] = []
    for component in components:
        if component.ref not in seen:
            seen.add(component.ref)
            unique.append(component)
            targets.append(_resolve(component))
    source_error = ""
    try:
        database.prepare([(t.key, t.version) for t in targets if isinstance(t, _Target)])
    except (AdvisorySourceError, NetworkError) as exc:
        source_error = f"advisory source failed: {exc}"

    def not_checked(
        component: Component, target: _Target | str, reason: str, cause: UncheckedCause
    ) -> None:
        version = target.version if isinstance(target, _Target) else component.version
        unchecked.append(
            UncheckedComponent(
                component_ref=component.ref,
                name=component.name,
                version=version,
                reason=reason,
                cause=cause,
                accepted=_acceptance(component, target, accept, day, warnings),
            )
        )

    for component, target in zip(unique, targets, strict=True):
        if isinstance(target, str):
            package = component.type is not ComponentType.FILE or component.purl
            cause = UncheckedCause.COMPONENT if package else UncheckedCause.NOT_A_PACKAGE
            not_checked(component, target, target, cause)
            continue
        if source_error:
            not_checked(component, target, source_error, UncheckedCause.SOURCE)
            continue
        if not database.covers(target.key.ecosystem):
            blind = f"the database holds no advisories for ecosystem {target.key.ecosystem}"
            not_checked(component, target, blind, UncheckedCause.SOURCE)
            continue
        try:
            found, reason, entries = _scan_one(target, database, warnings)
        except (AdvisorySourceError, NetworkError) as exc:
            not_checked(component, target, f"advisory source failed: {exc}", UncheckedCause.SOURCE)
            continue
        problem = target.problem or reason
        if problem is not None:
            not_checked(component, target, problem, UncheckedCause.COMPONENT)
        if not found:
            continue
        findings.extend(_suppress(f, target, rules, day) for f in found)
        clears = tuple(f.id for f in found)
        upgrades.append(
            UpgradeAdvice(
                component_ref=component.ref,
                name=component.name,
                version=target.version,
                upgrade_to=_upgrade(target, entries),
                clears=clears,
            )
        )
    return ScanReport(
        findings=tuple(sorted(findings, key=lambda f: (f.component_ref, f.id))),
        unchecked=tuple(sorted(unchecked, key=lambda u: (u.component_ref, u.reason))),
        upgrades=tuple(sorted(upgrades, key=lambda u: u.component_ref)),
        database=database.info,
        warnings=tuple(sorted(warnings)),
        component_count=len(seen),
        database_problems=tuple(problems),
    )
