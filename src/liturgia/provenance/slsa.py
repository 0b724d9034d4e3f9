"""SLSA Provenance v1 predicates (slsa.dev/spec/v1.0/provenance).

Shape built here::

    {"buildDefinition": {"buildType": URI, "externalParameters": {...},
                         "internalParameters": {...}, "resolvedDependencies": [RD...]},
     "runDetails": {"builder": {"id": URI, "version": {...}},
                    "metadata": {"invocationId": str, "startedOn": ts, "finishedOn": ts},
                    "byproducts": [RD...]}}

``externalParameters`` holds what the release engineer controls (the build commands and the
source); the git commit is the one ``resolvedDependencies`` entry, a ResourceDescriptor with a
``gitCommit`` digest (in-toto ``digest_set.md``). Timestamps are RFC 3339 UTC with a ``Z``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from liturgia.errors import InputError
from liturgia.provenance.predicates import PredicateType
from liturgia.provenance.statement import Statement, statement_for_files

__all__ = [
    "LITURGIA_BUILD_TYPE",
    "BuildRun",
    "GitSource",
    "provenance_statement",
    "slsa_provenance_predicate",
]

#: Our buildType: a release built by running configured commands at one git commit. The
#: URI (a URN: we publish no web page for it) names the template the externalParameters
#: follow (SLSA v1 "buildType").
LITURGIA_BUILD_TYPE = "urn:liturgia:buildtype:release:v1"

_COMMIT_RE = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")


@dataclass(frozen=True, slots=True, kw_only=True)
class GitSource:
    """The source the build ran from.

    Attributes:
        uri: where it lives, as SLSA spells it (e.g. ``git+https://host/org/repo``).
        commit: the full hex commit id (SHA-1 40 or SHA-256 64 characters); ``None`` for a
            source that is not a git repository (then no ``resolvedDependencies`` entry names
            it: the provenance says the source is not pinned rather than invent a digest).
        ref: the ref built (e.g. ``refs/tags/v1.2.0``), if known.
    """

    uri: str
    commit: str | None
    ref: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildRun:
    """One build, as the provenance records it.

    Attributes:
        commands: the build commands, in the order run.
        source: the git source and commit.
        builder_id: URI of the builder identity (trusted by consumers).
        started_on: when the build started (aware datetime).
        finished_on: when it finished (aware datetime, not before ``started_on``).
        invocation_id: an id of this run (e.g. a CI run URL), if any.
        builder_version: component name to version, e.g. ``{"liturgia": "0.1.0"}``.
        internal_parameters: builder-controlled parameters worth recording.
        build_type: the buildType URI (default :data:`LITURGIA_BUILD_TYPE`).
        parameters: more external parameters (e.g. the version released), beside
            ``commands`` and ``source``.
    """

    commands: tuple[str, ...]
    source: GitSource
    builder_id: str
    started_on: datetime
    finished_on: datetime
    invocation_id: str | None = None
    builder_version: Mapping[str, str] = field(default_factory=dict)
    internal_parameters: Mapping[str, Any] = field(default_factory=dict)
    build_type: str = LITURGIA_BUILD_TYPE
    parameters: Mapping[str, Any] = field(default_factory=dict)


def _timestamp(moment: datetime, what: str) -> str:
    if moment.tzinfo is None:
        raise InputError(f"provenance: {what} has no time zone")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def slsa_provenance_predicate(run: BuildRun) -> dict[str, Any]:
    """Build the SLSA Provenance v1 predicate of ``run``.

    Raises:
        InputError: the commit is not a full hex id, no command was run, a time has no
            zone, or the build finished before it started.
    """
    commit = run.source.commit.lower() if run.source.commit is not None else None
    if commit is not None and not _COMMIT_RE.fullmatch(commit):
        raise InputError(
            f"provenance: git commit {run.source.commit!r} is not a full hex commit id"
        )
    if not run.commands:
        raise InputError("provenance: no build command recorded")
    started = _timestamp(run.started_on, "startedOn")
    finished = _timestamp(run.finished_on, "finishedOn")
    if run.finished_on < run.started_on:
        raise InputError(f"provenance: finishedOn {finished} is before startedOn {started}")
    source: dict[str, Any] = {"uri": run.source.uri}
    if run.source.ref:
        source["ref"] = run.source.ref
    dependency_uri = run.source.uri + (f"@{run.source.ref}" if run.source.ref else "")
    definition: dict[str, Any] = {
        "buildType": run.build_type,
        "externalParameters": {
            **dict(sorted(run.parameters.items())),
            "commands": list(run.commands),
            "source": source,
        },
    }
    if run.internal_parameters:
        definition["internalParameters"] = dict(run.internal_parameters)
    definition["resolvedDependencies"] = (
        [{"uri": dependency_uri, "digest": {"gitCommit": commit}}] if commit is not None else []
    )
    builder: dict[str, Any] = {"id": run.builder_id}
    if run.builder_version:
        builder["version"] = dict(sorted(run.builder_version.items()))
    metadata: dict[str, Any] = {}
    if run.invocation_id:
        metadata["invocationId"] = run.invocation_id
    metadata["startedOn"] = started
    metadata["finishedOn"] = finished
    return {
        "buildDefinition": definition,
        "runDetails": {"builder": builder, "metadata": metadata},
    }


def provenance_statement(artifacts: Sequence[Path], run: BuildRun) -> Statement:
    """A Statement v1 whose subjects are ``artifacts`` and predicate the run's provenance.

    Raises:
        InputError: an artifact cannot be read, or ``run`` is invalid.
    """
    return statement_for_files(
        artifacts,
        predicate_type=PredicateType.SLSA_PROVENANCE_V1.value,
        predicate=slsa_provenance_predicate(run),
    )
