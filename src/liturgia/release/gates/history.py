"""Gate family "history": what changed since the last release tag, read from git.

``docs-updated``: when files under ``source`` paths changed since the previous release's tag,
files under ``docs`` paths must have changed too (documentation follows the code), or the check
fails naming the changed source; a waiver accepts a release whose docs need no change.
``contracts``: each configured API or schema file (``files``) that changed since the tag must
carry a changed version (``version_field``, a dotted path into its JSON or YAML, e.g.
``info.version`` of an OpenAPI document), or the check fails naming the file and the version.
Both are not applicable to a first release (no previous tag) and say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import Field

from liturgia.config import PolicyCheck
from liturgia.errors import LiturgiaError
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, Status, unusable
from liturgia.release.gates._policy import KindOptions, parse_options, register_kind
from liturgia.release.gates._registry import Check
from liturgia.release.git import changed_paths, file_at
from liturgia.release.plan import tag_format_of

__all__ = ["ContractsCheck", "DocsUpdatedCheck"]


def _previous_tag(context: GateContext) -> str | None:
    if context.previous is None:
        return None
    return tag_format_of(context.config.settings.project).name(context.previous)


def _under(path: str, roots: tuple[str, ...]) -> bool:
    return any(
        root in {".", ""} or path == root or path.startswith(root.rstrip("/") + "/")
        for root in roots
    )


def _first_release(name: str, threshold: str) -> CheckResult:
    return CheckResult(
        name=name,
        status=Status.NOT_APPLICABLE,
        summary="not applicable: a first release (no previous release tag to compare with)",
        evidence=("no previous release",),
        figure="no previous release",
        threshold=threshold,
    )


def _git_failed(name: str, exc: LiturgiaError, threshold: str) -> CheckResult:
    summary = f"cannot compare with the previous release: {exc}"
    return unusable(name, summary=summary, reason=exc, figure="not compared", threshold=threshold)


@dataclass(frozen=True, slots=True)
class DocsUpdatedCheck:
    """Documentation updated: docs changed since the last release whenever source did."""

    name: str = "docs-updated"
    reads: tuple[str, ...] = ("git history since the previous tag",)
    rank: int = 90
    docs: tuple[str, ...] = ("docs", "README.md")
    source: tuple[str, ...] = ("src",)

    def evaluate(self, context: GateContext) -> CheckResult:
        """Compare the paths changed since the previous tag."""
        threshold = f"when {', '.join(self.source)} changed, {', '.join(self.docs)} changed too"
        tag = _previous_tag(context)
        if tag is None:
            return _first_release(self.name, threshold)
        try:
            changed = changed_paths(context.config.project_dir, tag)
        except LiturgiaError as exc:
            return _git_failed(self.name, exc, threshold)
        source = [p for p in changed if _under(p, self.source)]
        docs = [p for p in changed if _under(p, self.docs)]
        figure = f"since {tag}: {len(source)} source files, {len(docs)} documentation files changed"
        if not source:
            summary, passed = f"no source changed since {tag}", True
        elif docs:
            summary, passed = f"{len(docs)} documentation files changed since {tag}", True
        else:
            summary = f"{len(source)} source files changed since {tag} and no documentation did"
            passed = False
        shown = [f"source changed: {p}" for p in source[:10]] + [
            f"docs changed: {p}" for p in docs[:10]
        ]
        return CheckResult(
            name=self.name,
            passed=passed,
            summary=summary,
            evidence=tuple(shown) or (f"nothing changed since {tag}",),
            figure=figure,
            threshold=threshold,
        )


def _field(document: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(document, dict) or part not in document:
            return None
        document = document[part]
    return document


def _version_in(data: bytes | None, dotted: str) -> Any:
    if data is None:
        return None
    try:
        return _field(yaml.safe_load(data), dotted)  # JSON is YAML 1.2
    except yaml.YAMLError:
        return None


@dataclass(frozen=True, slots=True)
class ContractsCheck:
    """Contracts versioned: a changed API or schema file carries a changed version field."""

    name: str = "contracts"
    reads: tuple[str, ...] = ()
    rank: int = 150
    files: tuple[str, ...] = ()
    version_field: str = "info.version"

    def evaluate(self, context: GateContext) -> CheckResult:
        """Compare each contract file and its version field with the previous tag's."""
        threshold = f"a changed contract has a changed {self.version_field}"
        tag = _previous_tag(context)
        if tag is None:
            return _first_release(self.name, threshold)
        root = context.config.project_dir
        try:
            changed = set(changed_paths(root, tag))
            rows = []
            for path in self.files:
                now = (root / path).read_bytes() if (root / path).is_file() else None
                before = file_at(root, tag, path)
                rows.append(
                    (
                        path,
                        path in changed,
                        _version_in(before, self.version_field),
                        _version_in(now, self.version_field),
                        now is None,
                    )
                )
        except LiturgiaError as exc:
            return _git_failed(self.name, exc, threshold)
        problems, evidence = [], []
        for path, moved, old, new, missing in rows:
            if missing:
                problems.append(f"{path}: not found (a contract the policy names)")
            elif new is None:
                problems.append(f"{path}: has no {self.version_field}")
            elif moved and old == new:
                problems.append(
                    f"{path}: changed since {tag} but {self.version_field} is still {new}"
                )
            else:
                state = f"changed, {self.version_field} {old} -> {new}" if moved else "unchanged"
                evidence.append(f"{path}: {state}")
        return CheckResult(
            name=self.name,
            passed=not problems,
            summary=(
                f"{len(self.files)} contracts versioned since {tag}"
                if not problems
                else f"{len(problems)} contracts not versioned; first: {problems[0]}"
            ),
            evidence=tuple(problems + evidence),
            figure=f"{len(self.files) - len(problems)} of {len(self.files)} contracts versioned",
            threshold=threshold,
        )


class _DocsOptions(KindOptions):
    docs: tuple[str, ...] = Field(default=("docs", "README.md"), min_length=1, strict=False)
    source: tuple[str, ...] = Field(default=("src",), min_length=1, strict=False)


class _ContractOptions(KindOptions):
    files: tuple[str, ...] = Field(min_length=1, strict=False)
    version_field: str = Field(default="info.version", min_length=1)


def _make_docs(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _DocsOptions)
    return DocsUpdatedCheck(name=entry.row, docs=options.docs, source=options.source)


def _make_contracts(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _ContractOptions)
    return ContractsCheck(
        name=entry.row,
        files=options.files,
        version_field=options.version_field,
        reads=options.files,
    )


register_kind("docs-updated", _make_docs)
register_kind("contracts", _make_contracts)
