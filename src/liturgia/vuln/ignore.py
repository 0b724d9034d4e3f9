"""Ignore rules: accepted findings, each with a reason and an optional expiry date.

An expired rule stops suppressing and the finding says so, so an "accept until the fix ships"
decision cannot silently outlive its date.

Ignore file (TOML)::

    [[ignore]]
    id = "GHSA-jf85-cpcp-j695"         # the advisory id or any alias
    component = "pkg:npm/lodash"       # optional: a name, or a purl (with or without version)
    reason = "defaultsDeep is never called with user input"
    expires = 2026-12-31               # optional: last day the rule applies

    [[unchecked]]                      # accept that a component could not be checked
    component = "pkg:pypi/requests"    # a name, a purl (with or without version) or a bom-ref
    reason = "pinned by the deployment's constraints file"
    expires = 2026-12-31               # optional

A component that could not be checked (no version, a version its ecosystem cannot order, no
advisories for its ecosystem) makes a scan incomplete; an ``[[unchecked]]`` entry is the explicit,
reasoned acceptance of one such component.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from liturgia.errors import InputError
from liturgia.vuln.ecosystems import normalize_name
from liturgia.vuln.limits import MAX_DOCUMENT_BYTES, read_limited

__all__ = ["IgnoreRule", "UncheckedRule", "load_ignore_file", "load_unchecked_rules"]


@dataclass(frozen=True, slots=True, kw_only=True)
class IgnoreRule:
    """One accepted finding.

    Attributes:
        id: advisory id or alias it applies to (compared case-insensitively).
        component: a component name (compared with the ecosystem's normalization), a purl
            (without version: any version; with version: exactly that one), or ``None`` for
            every component.
        reason: why the finding is accepted (carried into the report).
        expires: the last day the rule applies (inclusive), or ``None`` for no expiry.
    """

    id: str
    component: str | None = None
    reason: str
    expires: date | None = None

    def is_expired(self, today: date) -> bool:
        """Return whether the rule no longer applies on ``today``."""
        return self.expires is not None and today > self.expires

    def applies_to(
        self,
        *,
        ids: tuple[str, ...],
        ecosystem: str,
        name: str,
        purl: str | None,
        ref: str | None = None,
    ) -> bool:
        """Return whether the rule names one of ``ids`` and this component.

        Args:
            ids: the finding's id and aliases.
            ecosystem: the component's canonical ecosystem.
            name: the component's normalized name.
            purl: the component's purl, if any.
            ref: the component's ref (``bom-ref``), matched exactly (CycloneDX VEX ``affects``).
        """
        if self.id.strip().upper() not in {item.upper() for item in ids}:
            return False
        if self.component is None:
            return True
        return _names(self.component, ecosystem=ecosystem, name=name, purl=purl, ref=ref)


def _names(wanted: str, *, ecosystem: str, name: str, purl: str | None, ref: str | None) -> bool:
    """Whether ``wanted`` (a name, a purl with or without version, or a ref) names a component."""
    wanted = wanted.strip()
    if ref is not None and wanted == ref:
        return True
    if wanted.startswith("pkg:"):
        if purl is None:
            return False
        if "@" in wanted.split("/", 1)[-1]:
            return wanted == purl
        return purl.split("@", 1)[0].split("?", 1)[0] == wanted
    return normalize_name(ecosystem, wanted) == name if ecosystem else wanted == name


@dataclass(frozen=True, slots=True, kw_only=True)
class UncheckedRule:
    """One component accepted as unchecked (an ``[[unchecked]]`` entry of the ignore file).

    Attributes:
        component: a component name (compared with its ecosystem's normalization), a purl
            (without version: any version; with version: exactly that one) or a bom-ref.
        reason: why it is acceptable that the component was not checked (carried into reports).
        expires: the last day the acceptance applies (inclusive), or ``None``.
    """

    component: str
    reason: str
    expires: date | None = None

    def is_expired(self, today: date) -> bool:
        """Return whether the acceptance no longer applies on ``today``."""
        return self.expires is not None and today > self.expires

    def applies_to(self, *, ecosystem: str, name: str, purl: str | None, ref: str) -> bool:
        """Return whether the entry names this component (see :class:`IgnoreRule`).

        Args:
            ecosystem: the component's canonical ecosystem, or ``""`` when it has none (the
                name is then compared exactly).
            name: the component's name (normalized for its ecosystem when it has one).
            purl: the component's purl, if any.
            ref: the component's ref, matched exactly.
        """
        return _names(self.component, ecosystem=ecosystem, name=name, purl=purl, ref=ref)


def _fields(
    entry: object, where: str, keys: set[str]
) -> tuple[dict[str, object], str, str | None, date | None]:
    """Check an entry's shape; return it with its reason, component and expiry."""
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a table")
    unknown = set(entry) - keys
    if unknown:
        raise InputError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    reason, component, expires = entry.get("reason"), entry.get("component"), entry.get("expires")
    if not isinstance(reason, str) or not reason.strip():
        raise InputError(f"{where}.reason: required, a non-empty string")
    if component is not None and not isinstance(component, str):
        raise InputError(f"{where}.component: expected a string")
    if expires is not None and (not isinstance(expires, date) or hasattr(expires, "hour")):
        raise InputError(f"{where}.expires: expected a date such as 2026-12-31")
    return entry, reason.strip(), component, expires


def _rule(entry: object, index: int, path: Path) -> IgnoreRule:
    where = f"{path}: ignore[{index}]"
    fields, reason, component, expires = _fields(
        entry, where, {"id", "component", "reason", "expires"}
    )
    ident = fields.get("id")
    if not isinstance(ident, str) or not ident.strip():
        raise InputError(f"{where}.id: required, a non-empty string")
    return IgnoreRule(id=ident.strip(), component=component, reason=reason, expires=expires)


def _unchecked_rule(entry: object, index: int, path: Path) -> UncheckedRule:
    where = f"{path}: unchecked[{index}]"
    _entry, reason, component, expires = _fields(entry, where, {"component", "reason", "expires"})
    if component is None or not component.strip():
        raise InputError(f"{where}.component: required, a name, purl or bom-ref")
    return UncheckedRule(component=component.strip(), reason=reason, expires=expires)


def _tables(path: Path, key: str) -> list[object]:
    """The array of tables ``key`` of the ignore file (empty when absent)."""
    data = read_limited(path, limit=MAX_DOCUMENT_BYTES, what="ignore file")
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: not a valid TOML ignore file: {exc}") from exc
    except RecursionError as exc:
        raise InputError(f"{path}: not a valid TOML ignore file: nested too deeply") from exc
    unknown = set(document) - {"ignore", "unchecked"}
    if unknown:
        raise InputError(
            f"{path}: unknown key {sorted(unknown)[0]!r} (expected [[ignore]] or [[unchecked]])"
        )
    entries = document.get(key, [])
    if not isinstance(entries, list):
        raise InputError(f"{path}: {key!r} must be an array of tables ([[{key}]])")
    return entries


def load_ignore_file(path: Path) -> tuple[IgnoreRule, ...]:
    """Read the ``[[ignore]]`` entries of an ignore file (TOML; see the module docstring).

    Raises:
        InputError: the file is missing, not TOML, or an entry is malformed (names the entry).
    """
    return tuple(_rule(entry, i, path) for i, entry in enumerate(_tables(path, "ignore")))


def load_unchecked_rules(path: Path) -> tuple[UncheckedRule, ...]:
    """Read the ``[[unchecked]]`` entries of an ignore file (see the module docstring).

    Raises:
        InputError: the file is missing, not TOML, or an entry is malformed (names the entry).
    """
    return tuple(
        _unchecked_rule(entry, i, path) for i, entry in enumerate(_tables(path, "unchecked"))
    )
