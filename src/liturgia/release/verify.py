"""Verify a release folder as a consumer would (``liturgia verify DIR``).

Checks, all of them, collecting every problem rather than stopping at the first:

1. ``SHA256SUMS`` has a bundle that verifies under the public key, parses, lists every file of the
   folder but itself and its bundle, and every listed digest matches;
2. every ``*.sigstore.json`` bundle verifies against its subject file under the public key;
3. ``sbom.cdx.json`` is signed and valid CycloneDX 1.6, and each of its ``file`` components exists
   in the folder with the SHA-256 the SBOM records, and is signed;
4. ``gate-report.json`` says GO (a NO-GO release verifies byte for byte but is reported, since a
   consumer must not take it for a release).

Anything in a sub-folder is a problem: a release folder is flat, and nothing unlisted may ride
along with it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from liturgia import sbom, sign
from liturgia._internal.files import read_bytes, sha256_file
from liturgia.errors import InputError, LiturgiaError, VerificationError
from liturgia.release.checksums import parse_sha256sums, verify_sha256sums

__all__ = ["Problem", "check_release_dir", "verify_release_dir"]

_BUNDLE = ".sigstore.json"
_SUMS = "SHA256SUMS"
_SBOM = "sbom.cdx.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One reason a release folder does not verify: the file concerned and why."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


def check_release_dir(
    directory: Path,
    public_key: sign.PublicKey,
    *,
    log_keys: Sequence[sign.PublicKey] | None = None,
) -> tuple[Problem, ...]:
    """Return every problem found in the release folder (empty when it verifies).

    Args:
        directory: a folder written by ``liturgia release``.
        public_key: the key the release must be signed with (pinned by the consumer).
        log_keys: transparency logs to trust; when given, every bundle must carry an entry of
            one of them, checked offline (see :func:`liturgia.sign.verify_file_bundle`).

    Raises:
        InputError: ``directory`` is not a folder.
    """
    if not directory.is_dir():
        raise InputError(f"{directory}: release folder not found")
    entries = sorted(directory.iterdir())
    files = sorted(p.name for p in entries if p.is_file() and not p.is_symlink())
    if _SUMS not in files and "gate-report.json" not in files:
        raise InputError(f"{directory}: not a release folder (no SHA256SUMS, no gate-report.json)")
    problems = [
        Problem(file=p.name, reason="not a regular file (a release folder holds only files)")
        for p in entries
        if p.name not in files
    ]
    bundles = [name for name in files if name.endswith(_BUNDLE)]
    for bundle_name in bundles:
        subject = bundle_name[: -len(_BUNDLE)]
        if not (directory / subject).is_file():
            problems.append(Problem(file=bundle_name, reason=f"its subject {subject} is missing"))
            continue
        try:
            sign.verify_file_bundle(
                directory / subject,
                read_bytes(directory / bundle_name, what="bundle"),
                public_key,
                bundle_name=bundle_name,
                log_keys=log_keys,
            )
        except LiturgiaError as exc:
            reason = _short(str(exc), bundle_name, subject, str(directory / subject))
            problems.append(Problem(file=subject, reason=f"{bundle_name}: {reason}"))
    problems.extend(_check_sums(directory, files))
    problems.extend(_check_sbom(directory, files))
    problems.extend(_check_decision(directory, files))
    return tuple(problems)


def _short(message: str, *names: str) -> str:
    """Drop leading ``name:`` prefixes the problem's file already says."""
    changed = True
    while changed:
        changed = False
        for name in names:
            if message.startswith(f"{name}: "):
                message = message[len(name) + 2 :]
                changed = True
    return message


def _check_decision(directory: Path, files: list[str]) -> list[Problem]:
    if "gate-report.json" not in files:
        return [Problem(file="gate-report.json", reason="missing")]
    try:
        decision = json.loads(read_bytes(directory / "gate-report.json")).get("decision")
    except (ValueError, AttributeError):
        return [Problem(file="gate-report.json", reason="not a gate report")]
    if decision != "GO":
        return [Problem(file="gate-report.json", reason=f"the release is {decision}, not GO")]
    return []


def verify_release_dir(
    directory: Path,
    public_key: sign.PublicKey,
    *,
    log_keys: Sequence[sign.PublicKey] | None = None,
) -> None:
    """Verify the release folder; return ``None`` or raise.

    Raises:
        InputError: ``directory`` is not a folder.
        VerificationError: one or more problems; the message lists each (file and reason).
    """
    problems = check_release_dir(directory, public_key, log_keys=log_keys)
    if problems:
        listed = "; ".join(str(problem) for problem in problems)
        raise VerificationError(f"{directory}: {len(problems)} problems: {listed}")


def _check_sums(directory: Path, files: list[str]) -> list[Problem]:
    if _SUMS not in files:
        return [Problem(file=_SUMS, reason="missing")]
    if f"{_SUMS}{_BUNDLE}" not in files:
        return [Problem(file=_SUMS, reason="not signed (no SHA256SUMS.sigstore.json)")]
    try:
        expected = parse_sha256sums(read_bytes(directory / _SUMS).decode("utf-8", "replace"))
    except VerificationError as exc:
        return [Problem(file=_SUMS, reason=str(exc))]
    problems = [
        Problem(file=name, reason="not listed in SHA256SUMS")
        for name in files
        if name not in expected and not name.startswith(_SUMS)
    ]
    for name, digest in sorted(expected.items()):
        try:
            verify_sha256sums(directory, {name: digest})
        except VerificationError as exc:
            problems.append(Problem(file=name, reason=str(exc).removeprefix(f"{name}: ")))
    return problems


def _check_sbom(directory: Path, files: list[str]) -> list[Problem]:
    if _SBOM not in files:
        return [Problem(file=_SBOM, reason="missing")]
    problems: list[Problem] = []
    if f"{_SBOM}{_BUNDLE}" not in files:
        problems.append(Problem(file=_SBOM, reason="not signed"))
    data = read_bytes(directory / _SBOM)
    try:
        sbom.validate_cyclonedx_json(data, source=_SBOM)
        digests = sbom.artifact_digests(data)
    except VerificationError as exc:
        return [*problems, Problem(file=_SBOM, reason=str(exc).removeprefix(f"{_SBOM}: "))]
    for name, digest in sorted(digests.items()):
        if name not in files:
            problems.append(Problem(file=name, reason="listed in the SBOM but missing"))
            continue
        actual = sha256_file(directory / name)
        if actual != digest:
            problems.append(Problem(file=name, reason=f"SHA-256 differs from {_SBOM}"))
        if f"{name}{_BUNDLE}" not in files:
            problems.append(Problem(file=name, reason="artifact is not signed"))
    return problems
