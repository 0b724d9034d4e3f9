"""Ignore rules: accepted findings, each with a reason and an optional expiry date.

An expired rule stops suppressing and the finding says so, so an "accept until the fix ships"
decision cannot silently outlive its date.

Ignore file (TOML)::

    [[ignore]]
    id = "GHSA-jf85-cpcp-j695"         # the advisory id or any alias
    component = "pkg:npm/lodash"       # optional: a name, or a purl (with or without version)
    reason = "defaultsDeep is never called with user input"
    expires = 2026-12-31               # optional: last day the rule applies
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from liturgia.errors import InputError
from liturgia.vuln.ecosystems import normalize_name
from liturgia.vuln.limits import MAX_DOCUMENT_BYTES, read_limited

__all__ = ["IgnoreRule", "load_ignore_file"]


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
        wanted = self.component.strip()
        if ref is not None and wanted == ref:
            return True
        if wanted.startswith("pkg:"):
            if purl is None:
                return False
            if "@" in wanted.split("/", 1)[-1]:
                return wanted == purl
            return purl.split("@", 1)[0].split("?", 1)[0] == wanted
        return normalize_name(ecosystem, wanted) == name


def _rule(entry: object, index: int, path: Path) -> IgnoreRule:
    where = f"{path}: ignore[{index}]"
    if not isinstance(entry, dict):
        raise InputError(f"{where}: expected a table")
    unknown = set(entry) - {"id", "component", "reason", "expires"}
    if unknown:
        raise InputError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    ident, reason = entry.get("id"), entry.get("reason")
    component, expires = entry.get("component"), entry.get("expires")
    if not isinstance(ident, str) or not ident.strip():
        raise InputError(f"{where}.id: required, a non-empty string")
    if not isinstance(reason, str) or not reason.strip():
        raise InputError(f"{where}.reason: required, a non-empty string")
    if component is not None and not isinstance(component, str):
        raise InputError(f"{where}.component: expected a string")
    if expires is not None and (not isinstance(expires, date) or hasattr(expires, "hour")):
        raise InputError(f"{where}.expires: expected a date such as 2026-12-31")
    return IgnoreRule(id=ident.strip(), component=component, reason=reason.strip(), expires=expires)


def load_ignore_file(path: Path) -> tuple[IgnoreRule, ...]:
    """Read an ignore file (TOML, ``[[ignore]]`` tables; see the module docstring).

    Raises:
        InputError: the file is missing, not TOML, or an entry is malformed (names the entry).
    """
    data = read_limited(path, limit=MAX_DOCUMENT_BYTES, what="ignore file")
    try:
        document = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InputError(f"{path}: not a valid TOML ignore file: {exc}") from exc
    except RecursionError as exc:
        raise InputError(f"{path}: not a valid TOML ignore file: nested too deeply") from exc
    unknown = set(document) - {"ignore"}
    if unknown:
        raise InputError(f"{path}: unknown key {sorted(unknown)[0]!r} (expected [[ignore]])")
    entries = document.get("ignore", [])
    if not isinstance(entries, list):
        raise InputError(f"{path}: 'ignore' must be an array of tables ([[ignore]])")
    return tuple(_rule(entry, index, path) for index, entry in enumerate(entries))
