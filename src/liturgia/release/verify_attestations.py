"""The attestation and source checks of ``liturgia verify DIR`` (issue 12, item 5).

Given the release's attestation Statements whose DSSE signatures already verified under the
publisher's key (:mod:`liturgia.release.verify` does that), check what they say:

* ``provenance.intoto.sigstore.json`` is SLSA Provenance v1, each subject names a file of the
  folder with its SHA-256, and every artifact (each ``file`` component of the release SBOM) and
  every SBOM (``*.cdx.json``) is a subject;
* ``sbom.intoto.sigstore.json`` is a CycloneDX predicate equal to ``sbom.cdx.json``, and
  ``vulnerabilities.intoto.sigstore.json`` a vulns v0.2 predicate; their subjects match too;
* with a source (a git folder or URL), the provenance's commit is in the repository and the
  tag it names points at it (a dry run makes no tag: then only the commit is checked).

Each problem is ``(file, reason)``.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from pathlib import Path

from liturgia._internal.files import read_bytes, sha256_file
from liturgia.errors import InputError
from liturgia.provenance import PredicateType, Statement
from liturgia.release.attestations import (
    PROVENANCE_NAME,
    SBOM_ATTESTATION_NAME,
    SCAN_ATTESTATION_NAME,
)
from liturgia.release.git import (
    commit_exists,
    is_git_repo,
    remote_tag_commit,
    tag_commit,
    tag_exists,
)

__all__ = ["REQUIRED", "check_attestations", "check_source", "provenance_source"]

#: Each attestation a release carries, and its predicate type.
REQUIRED: Mapping[str, str] = {
    PROVENANCE_NAME: PredicateType.SLSA_PROVENANCE_V1.value,
    SBOM_ATTESTATION_NAME: PredicateType.CYCLONEDX.value,
    SCAN_ATTESTATION_NAME: PredicateType.VULNS.value,
}

Found = list[tuple[str, str]]


def _subjects(name: str, statement: Statement, directory: Path, files: Collection[str]) -> Found:
    problems: Found = []
    for subject in statement.subjects:
        recorded = subject.digest.get("sha256")
        if subject.name not in files:
            problems.append((name, f"subject {subject.name} is not in the release folder"))
        elif recorded is None:
            problems.append((name, f"subject {subject.name} has no sha256 digest"))
        elif recorded.lower() != sha256_file(directory / subject.name):
            problems.append(
                (subject.name, f"SHA-256 differs from its subject in {name} (sha256:{recorded})")
            )
    return problems


def check_attestations(
    directory: Path,
    files: Collection[str],
    statements: Mapping[str, Statement],
    *,
    artifacts: Collection[str],
    sbom_name: str,
) -> Found:
    """Check the release's attestations (see the module docstring).

    Args:
        directory: the release folder.
        files: its file names.
        statements: each attestation bundle's Statement, by bundle name, for the bundles whose
            signature verified (one that did not is a problem of the signature check).
        artifacts: the artifacts' file names (the release SBOM's ``file`` components).
        sbom_name: the release SBOM's file name.

    Returns:
        Every problem found, as ``(file, reason)``.
    """
    problems: Found = []
    for name, predicate_type in REQUIRED.items():
        if name not in files:
            problems.append((name, "missing"))
            continue
        statement = statements.get(name)
        if statement is None:
            continue  # its signature did not verify: reported by the signature check
        if statement.predicate_type != predicate_type:
            problems.append(
                (name, f"predicate type is {statement.predicate_type!r}, not {predicate_type!r}")
            )
            continue
        problems.extend(_subjects(name, statement, directory, files))
    provenance = statements.get(PROVENANCE_NAME)
    if provenance is not None and provenance.predicate_type == REQUIRED[PROVENANCE_NAME]:
        named = {subject.name for subject in provenance.subjects}
        sboms = [f for f in files if f.endswith(".cdx.json")]
        for file in sorted({*artifacts, *sboms}):
            if file not in named:
                problems.append((file, f"not a subject of {PROVENANCE_NAME}"))
    sbom_statement = statements.get(SBOM_ATTESTATION_NAME)
    if sbom_statement is not None and sbom_name in files:
        try:
            document = json.loads(read_bytes(directory / sbom_name))
        except (InputError, ValueError):
            document = None  # the SBOM check says why
        if document is not None and dict(sbom_statement.predicate) != document:
            problems.append((SBOM_ATTESTATION_NAME, f"its predicate is not {sbom_name}"))
        for file in sorted(artifacts):
            if file not in {subject.name for subject in sbom_statement.subjects}:
                problems.append((file, f"not a subject of {SBOM_ATTESTATION_NAME}"))
    return problems


def provenance_source(statement: Statement) -> tuple[str | None, str | None, str | None]:
    """The provenance's source: ``(uri, git commit, tag)``; ``None`` for what it does not say."""
    definition = statement.predicate.get("buildDefinition")
    if not isinstance(definition, Mapping):
        return None, None, None
    external = definition.get("externalParameters")
    source = external.get("source") if isinstance(external, Mapping) else None
    uri = source.get("uri") if isinstance(source, Mapping) else None
    ref = source.get("ref") if isinstance(source, Mapping) else None
    tagged = isinstance(ref, str) and ref.startswith("refs/tags/")
    tag = str(ref).removeprefix("refs/tags/") if tagged else None
    commit = None
    dependencies = definition.get("resolvedDependencies")
    if isinstance(dependencies, list):
        for dependency in dependencies:
            digest = dependency.get("digest") if isinstance(dependency, Mapping) else None
            if isinstance(digest, Mapping) and isinstance(digest.get("gitCommit"), str):
                commit = digest["gitCommit"]
                break
    return (uri if isinstance(uri, str) else None), commit, tag


def check_source(statement: Statement, source: str, *, dry_run: bool) -> tuple[Found, str]:
    """Check the provenance's commit and tag against a git folder or URL.

    Args:
        statement: the verified provenance Statement.
        source: a git work tree (folder) or a repository URL (``git ls-remote``).
        dry_run: the release folder is a dry run's (no tag was made).

    Returns:
        ``(problems, summary)``: the summary says what was proven.

    Raises:
        InputError: ``source`` is neither a git folder nor a readable repository URL.
    """
    _, commit, tag = provenance_source(statement)
    if commit is None:
        return [(PROVENANCE_NAME, "names no git commit (not built from a git repository)")], ""
    folder = Path(source)
    local = folder.is_dir()
    if local and not is_git_repo(folder):
        raise InputError(f"--source {source}: not a git repository")
    problems: Found = []
    if local and not commit_exists(folder, commit):
        problems.append((PROVENANCE_NAME, f"commit {commit} is not in {source}"))
    if tag is None:
        problems.append((PROVENANCE_NAME, "names no tag (refs/tags/...)"))
        return problems, ""
    if local:
        tagged = tag_commit(folder, tag) if tag_exists(folder, tag) else None
    else:
        tagged = remote_tag_commit(source, tag)
    if tagged is None:
        if dry_run:
            return problems, f"commit {commit[:12]} in {source}; tag {tag} not made (dry run)"
        problems.append((PROVENANCE_NAME, f"tag {tag} is not in {source}"))
    elif tagged != commit:
        problems.append(
            (PROVENANCE_NAME, f"tag {tag} in {source} names commit {tagged}, not {commit}")
        )
    return problems, f"commit {commit[:12]} is tag {tag} of {source}"
