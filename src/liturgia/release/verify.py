"""Verify a release folder as a consumer would (``liturgia verify DIR``).

Named checks (:data:`CHECK_NAMES`), all of them run, every problem collected rather than
stopping at the first, each naming the file and the reason:

1. ``files``: the folder holds only files, and its ``evidence/`` folder of files (the gate's
   evidence copied from outside the folder); nothing unlisted may ride along;
2. ``checksums``: ``SHA256SUMS`` is signed, lists every file but itself and its bundle (the
   ``evidence/`` files too), and every listed digest matches; every ``evidence/`` file that
   ``gate-report.json`` names has the digest the report gives;
3. ``signatures``: every ``*.sigstore.json`` bundle verifies under the publisher's key: an
   artifact bundle against its subject file, an attestation bundle (``*.intoto.sigstore.json``)
   as a DSSE envelope holding an in-toto Statement; log entries must be about the bundle;
4. ``log entries``: with the log keys the consumer trusts (never a key shipped in the folder),
   every bundle carries an entry of such a log whose signed entry timestamp, checkpoint
   signature and RFC 9162 inclusion proof verify offline;
5. ``log consistency``: with an :class:`OnlineLogChecker` (``--online``), every entry is proven
   consistent with its log's current signed checkpoint, fetched from the log: the one place
   verification touches the network, and only when asked;
6. ``sbom``: ``sbom.cdx.json`` is signed and valid CycloneDX 1.6, and each of its ``file``
   components exists in the folder with the SHA-256 the SBOM records, and is signed;
7. ``provenance``: the SLSA provenance, SBOM and scan attestations are present, each subject
   matches its file, and every artifact and SBOM is a subject of the provenance
   (:mod:`liturgia.release.verify_attestations`);
8. ``source``: with a git folder or URL, the provenance's commit is in it and its tag names it;
9. ``decision``: ``gate-report.json`` says GO (a NO-GO release verifies byte for byte but is
   reported, since a consumer must not take it for a release).

A check that was not asked for (no log key, no ``--online``, no ``--source``) is *skipped* and
says so; it never reads as passed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from liturgia import sbom, sign
from liturgia._internal.files import read_bytes, sha256_file
from liturgia._internal.transparency.note import (
    Checkpoint,
    open_checkpoint,
    verifier_for,
    verify_checkpoint_consistency,
)
from liturgia.errors import (
    ConfigError,
    InputError,
    LiturgiaError,
    NetworkError,
    ProofError,
    SignatureError,
    VerificationError,
)
from liturgia.provenance import Statement, verify_attestation_bundle
from liturgia.release.attestations import ATTESTATION_SUFFIX, PROVENANCE_NAME
from liturgia.release.checksums import (
    EVIDENCE_FOLDER,
    parse_sha256sums,
    release_files,
    verify_sha256sums,
)
from liturgia.release.verify_attestations import check_attestations, check_source
from liturgia.sign.rekor import check_entry_bodies
from liturgia.sign.tlog_verify import VerifiedLogEntry, verify_tlog_entries
from liturgia.tlog.client import LogClient, TileLogClient

__all__ = [
    "CHECK_NAMES",
    "OnlineCheck",
    "OnlineLogChecker",
    "Problem",
    "ReleaseCheck",
    "check_release_dir",
    "release_checks",
    "verify_release_dir",
]

_SUMS = "SHA256SUMS"
_SBOM = "sbom.cdx.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One reason a release folder does not verify: the file concerned and why."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseCheck:
    """One named check of a release folder and what it found.

    Attributes:
        name: one of :data:`CHECK_NAMES`.
        summary: what was proven when it passed (one line), or why it was not run.
        problems: each failure, naming the file and the reason.
        skipped: not run (no log key given; no ``--online``; no ``--source``): not a pass.
    """

    name: str
    summary: str
    problems: tuple[Problem, ...] = ()
    skipped: bool = False

    @property
    def passed(self) -> bool:
        """Run and nothing found."""
        return not self.skipped and not self.problems

    def to_json(self) -> dict[str, object]:
        """``{"name", "passed", "skipped", "summary", "problems": [{"file", "reason"}]}``."""
        return {
            "name": self.name,
            "passed": self.passed,
            "skipped": self.skipped,
            "summary": self.summary,
            "problems": [{"file": p.file, "reason": p.reason} for p in self.problems],
        }


#: The checks of :func:`release_checks`, in the order run.
CHECK_NAMES = (
    "files",
    "checksums",
    "signatures",
    "log entries",
    "log consistency",
    "sbom",
    "provenance",
    "source",
    "decision",
)


def check_release_dir(
    directory: Path,
    public_key: sign.PublicKey,
    *,
    log_keys: Sequence[sign.PublicKey] | None = None,
    online: OnlineLogChecker | None = None,
    source: str | None = None,
) -> tuple[Problem, ...]:
    """Return every problem found in the release folder (empty when it verifies).

    The problems of :func:`release_checks`, in check order.

    Raises:
        As :func:`release_checks`.
    """
    checks = release_checks(directory, public_key, log_keys=log_keys, online=online, source=source)
    return tuple(problem for check in checks for problem in check.problems)


def release_checks(
    directory: Path,
    public_key: sign.PublicKey,
    *,
    log_keys: Sequence[sign.PublicKey] | None = None,
    online: OnlineLogChecker | None = None,
    source: str | None = None,
) -> tuple[ReleaseCheck, ...]:
    """Run every check of :data:`CHECK_NAMES` on the release folder, collecting all problems.

    Args:
        directory: a folder written by ``liturgia release``.
        public_key: the key the release must be signed with (pinned by the consumer).
        log_keys: transparency logs to trust (from the consumer, never from the folder); when
            given, every bundle must carry an entry of one of them, checked offline: signed
            entry timestamp, checkpoint signature, RFC 9162 inclusion proof. ``None``: the log
            check is skipped (and says so).
        online: when given, every entry that verified offline is also proven consistent with
            its log's current checkpoint (:class:`OnlineLogChecker`).
        source: a git folder or repository URL: the provenance's commit must be in it and the
            tag it names must point at that commit.

    Returns:
        One :class:`ReleaseCheck` per name of :data:`CHECK_NAMES`, in that order.

    Raises:
        InputError: ``directory`` is not a release folder; ``source`` is not a repository.
        ConfigError: ``online`` has no URL for a bundle's log.
        NetworkError: ``online`` cannot reach a log, or it answers out of shape (exit 3: no
            verdict can be given, so none is).
    """
    if not directory.is_dir():
        raise InputError(f"{directory}: release folder not found")
    entries = sorted(directory.iterdir())
    files = sorted(p.name for p in entries if p.is_file() and not p.is_symlink())
    if _SUMS not in files and "gate-report.json" not in files:
        raise InputError(f"{directory}: not a release folder (no SHA256SUMS, no gate-report.json)")
    evidence = directory / EVIDENCE_FOLDER
    shipped = evidence.is_dir() and not evidence.is_symlink()
    listed = release_files(directory)  # with the evidence/ files
    odd = [p for p in entries if p.name not in files and not (shipped and p == evidence)]
    if shipped:
        odd += [p for p in sorted(evidence.rglob("*")) if p.is_symlink() or not p.is_dir()]
        odd = [p for p in odd if p.relative_to(directory).as_posix() not in listed]
    checks = [
        ReleaseCheck(
            name="files",
            summary=f"{len(listed)} files, no folder or link"
            if len(listed) == len(files)
            else f"{len(listed)} files ({len(listed) - len(files)} in {EVIDENCE_FOLDER}/), "
            "no other folder, no link",
            problems=tuple(
                Problem(
                    file=p.relative_to(directory).as_posix(),
                    reason="not a regular file (a release folder holds only files)",
                )
                for p in odd
            ),
        )
    ]
    sums = _check_sums(directory, list(listed)) + _check_evidence(directory, listed)
    checks.append(
        ReleaseCheck(
            name="checksums",
            summary=f"{_SUMS} lists {len(listed) - 2} files, each SHA-256 matches, signed"
            + (
                ""
                if len(listed) == len(files)
                else f"; each {EVIDENCE_FOLDER}/ file is the one gate-report.json names"
            ),
            problems=tuple(sums),
        )
    )
    signed, statements, problems = _check_bundles(directory, files, public_key)
    checks.append(
        ReleaseCheck(
            name="signatures",
            summary=f"{len(signed)} bundles verify under key {public_key.key_id[:16]}",
            problems=tuple(problems),
        )
    )
    logged = _check_log(signed, log_keys)
    checks.append(logged[0])
    checks.append(_check_online(logged[1], online))
    sbom_problems, artifacts = _check_sbom(directory, files)
    checks.append(
        ReleaseCheck(
            name="sbom",
            summary=f"{_SBOM}: {len(artifacts)} artifacts, each SHA-256 matches, each signed",
            problems=tuple(sbom_problems),
        )
    )
    found = check_attestations(directory, files, statements, artifacts=artifacts, sbom_name=_SBOM)
    subjects = statements.get(PROVENANCE_NAME)
    count = len(subjects.subjects) if subjects is not None else 0
    checks.append(
        ReleaseCheck(
            name="provenance",
            summary=f"SLSA provenance of {count} subjects, SBOM and scan attestations: every "
            "subject matches its file, every artifact and SBOM is a subject",
            problems=tuple(Problem(file=f, reason=r) for f, r in found),
        )
    )
    checks.append(_check_source(statements, source, dry_run="DRY-RUN" in files))
    checks.append(
        ReleaseCheck(
            name="decision",
            summary="gate-report.json says GO",
            problems=tuple(_check_decision(directory, files)),
        )
    )
    return tuple(checks)


def _check_bundles(
    directory: Path, files: list[str], public_key: sign.PublicKey
) -> tuple[list[tuple[str, bytes]], dict[str, Statement], list[Problem]]:
    """Verify every bundle's signature: ``(verified (name, bytes), statements, problems)``.

    An artifact bundle must verify against its subject file; an attestation bundle
    (``*.intoto.sigstore.json``) is a DSSE envelope whose in-toto Statement is returned. Entry
    bodies must be about the bundle's own signature (a log entry of other content is refused
    here, whether or not log keys are given).
    """
    verified: list[tuple[str, bytes]] = []
    statements: dict[str, Statement] = {}
    problems: list[Problem] = []
    for bundle_name in (name for name in files if name.endswith(sign.BUNDLE_SUFFIX)):
        try:
            bundle = read_bytes(directory / bundle_name, what="bundle")
        except LiturgiaError as exc:
            problems.append(Problem(file=bundle_name, reason=_short(str(exc), bundle_name)))
            continue
        if bundle_name.endswith(ATTESTATION_SUFFIX):
            try:
                statements[bundle_name] = verify_attestation_bundle(
                    bundle, public_key, bundle_name=bundle_name
                )
                check_entry_bodies(sign.parse_bundle(bundle, name=bundle_name), name=bundle_name)
            except LiturgiaError as exc:
                statements.pop(bundle_name, None)
                problems.append(Problem(file=bundle_name, reason=_short(str(exc), bundle_name)))
                continue
            verified.append((bundle_name, bundle))
            continue
        subject = bundle_name[: -len(sign.BUNDLE_SUFFIX)]
        if not (directory / subject).is_file():
            problems.append(Problem(file=bundle_name, reason=f"its subject {subject} is missing"))
            continue
        try:
            sign.verify_file_bundle(
                directory / subject, bundle, public_key, bundle_name=bundle_name
            )
        except LiturgiaError as exc:
            reason = _short(str(exc), bundle_name, subject, str(directory / subject))
            problems.append(Problem(file=subject, reason=f"{bundle_name}: {reason}"))
            continue
        verified.append((bundle_name, bundle))
    return verified, statements, problems


def _subject_of(bundle_name: str) -> str:
    """The file a problem of a bundle's log entry is named by: its subject, or the bundle."""
    if bundle_name.endswith(ATTESTATION_SUFFIX):
        return bundle_name
    return bundle_name[: -len(sign.BUNDLE_SUFFIX)]


def _check_log(
    signed: list[tuple[str, bytes]], log_keys: Sequence[sign.PublicKey] | None
) -> tuple[ReleaseCheck, list[tuple[str, bytes]]]:
    """Every signed bundle's log entries offline: the check and the bundles that passed."""
    if log_keys is None:
        skipped = ReleaseCheck(
            name="log entries",
            summary="not checked: pass --log-key PEM (the log's public key, from a source you "
            "trust; never the folder's trusted-root.json) to check each bundle's signed entry "
            "timestamp, checkpoint and inclusion proof",
            skipped=True,
        )
        return skipped, []
    passed: list[tuple[str, bytes]] = []
    problems: list[Problem] = []
    count = 0
    for bundle_name, bundle in signed:
        try:
            count += len(
                verify_tlog_entries(
                    sign.parse_bundle(bundle, name=bundle_name), log_keys, name=bundle_name
                )
            )
        except LiturgiaError as exc:
            subject = _subject_of(bundle_name)
            reason = _short(str(exc), bundle_name, subject)
            prefix = "" if subject == bundle_name else f"{bundle_name}: "
            problems.append(Problem(file=subject, reason=prefix + reason))
            continue
        passed.append((bundle_name, bundle))
    check = ReleaseCheck(
        name="log entries",
        summary=f"{count} entries of {len(passed)} bundles verified offline under the trusted "
        "log key (signed entry timestamp, checkpoint signature, RFC 9162 inclusion proof)",
        problems=tuple(problems),
    )
    return check, passed


def _check_online(logged: list[tuple[str, bytes]], online: OnlineLogChecker | None) -> ReleaseCheck:
    if online is None:
        return ReleaseCheck(
            name="log consistency",
            summary="not checked: pass --online to prove each log still extends its entries",
            skipped=True,
        )
    problems: list[Problem] = []
    for bundle_name, bundle in logged:
        try:
            online.check_bundle(bundle, name=bundle_name)
        except VerificationError as exc:
            subject = _subject_of(bundle_name)
            prefix = "" if subject == bundle_name else f"{bundle_name}: "
            problems.append(Problem(file=subject, reason=prefix + _short(str(exc), bundle_name)))
    return ReleaseCheck(
        name="log consistency",
        summary=f"{len(online.checks)} entries consistent with their log's current checkpoint",
        problems=tuple(problems),
    )


def _check_source(
    statements: Mapping[str, Statement], source: str | None, *, dry_run: bool
) -> ReleaseCheck:
    if source is None:
        return ReleaseCheck(
            name="source",
            summary="not checked: pass --source DIR|URL to check the provenance's commit and tag",
            skipped=True,
        )
    statement = statements.get(PROVENANCE_NAME)
    if statement is None:
        reason = "no verified provenance to check the source against"
        return ReleaseCheck(
            name="source", summary="", problems=(Problem(file=PROVENANCE_NAME, reason=reason),)
        )
    found, summary = check_source(statement, source, dry_run=dry_run)
    return ReleaseCheck(
        name="source",
        summary=summary,
        problems=tuple(Problem(file=f, reason=r) for f, r in found),
    )


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
    online: OnlineLogChecker | None = None,
    source: str | None = None,
) -> None:
    """Verify the release folder; return ``None`` or raise.

    Raises:
        InputError: ``directory`` is not a folder.
        ConfigError, NetworkError: as :func:`release_checks` with ``online``.
        VerificationError: one or more problems; the message lists each (file and reason).
    """
    problems = check_release_dir(
        directory, public_key, log_keys=log_keys, online=online, source=source
    )
    if problems:
        listed = "; ".join(str(problem) for problem in problems)
        raise VerificationError(f"{directory}: {len(problems)} problems: {listed}")


def _check_sums(directory: Path, files: list[str]) -> list[Problem]:
    if _SUMS not in files:
        return [Problem(file=_SUMS, reason="missing")]
    if f"{_SUMS}{sign.BUNDLE_SUFFIX}" not in files:
        return [Problem(file=_SUMS, reason="not signed (no SHA256SUMS.sigstore.json)")]
    try:
        expected = parse_sha256sums(read_bytes(directory / _SUMS).decode("utf-8", "replace"))
    except VerificationError as exc:
        return [Problem(file=_SUMS, reason=_short(str(exc), _SUMS))]
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


def _check_evidence(directory: Path, listed: Sequence[str]) -> list[Problem]:
    """Every ``evidence/`` file gate-report.json names is there with the digest it gives."""
    try:
        report = json.loads(read_bytes(directory / "gate-report.json"))
        named = [
            (str(file["name"]), str(file["sha256"]))
            for check in report["checks"]
            for file in check.get("files", ())
        ]
    except (LiturgiaError, ValueError, KeyError, TypeError, AttributeError):
        return []  # the decision check names an unreadable gate report
    problems = []
    for name, digest in sorted(set(named)):
        if not name.startswith(f"{EVIDENCE_FOLDER}/"):
            continue
        if name not in listed:
            problems.append(Problem(file=name, reason="named by gate-report.json but missing"))
        elif sha256_file(directory / name) != digest:
            problems.append(
                Problem(file=name, reason="not the file gate-report.json's check read (SHA-256)")
            )
    return problems


def _check_sbom(directory: Path, files: list[str]) -> tuple[list[Problem], list[str]]:
    """The release SBOM's problems and the artifacts it lists (its ``file`` components)."""
    if _SBOM not in files:
        return [Problem(file=_SBOM, reason="missing")], []
    problems: list[Problem] = []
    if f"{_SBOM}{sign.BUNDLE_SUFFIX}" not in files:
        problems.append(Problem(file=_SBOM, reason="not signed"))
    data = read_bytes(directory / _SBOM)
    try:
        sbom.validate_cyclonedx_json(data, source=_SBOM)
        digests = sbom.artifact_digests(sbom.read_sbom(data, source=_SBOM), source=_SBOM)
    except (InputError, VerificationError) as exc:
        return [*problems, Problem(file=_SBOM, reason=str(exc).removeprefix(f"{_SBOM}: "))], []
    for name, digest in sorted(digests.items()):
        if name not in files:
            problems.append(Problem(file=name, reason="listed in the SBOM but missing"))
            continue
        actual = sha256_file(directory / name)
        if actual != digest:
            problems.append(Problem(file=name, reason=f"SHA-256 differs from {_SBOM}"))
        if f"{name}{sign.BUNDLE_SUFFIX}" not in files:
            problems.append(Problem(file=name, reason="artifact is not signed"))
    return problems, sorted(digests)


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineCheck:
    """A bundle's log entry proven consistent with its log's current checkpoint.

    Attributes:
        bundle: how the bundle is named (its file name).
        position: the entry's index in the bundle's ``tlogEntries``.
        log_url: the log's base URL that was asked.
        origin: the log's checkpoint origin (Rekor v1: ``"<host> - <tree id>"``).
        log_index: the entry's global log index.
        entry_size: size of the tree the entry's own checkpoint commits to.
        log_size: size of the log's current checkpoint (``>= entry_size``).
        log_root: that checkpoint's 32-byte root hash.
    """

    bundle: str
    position: int
    log_url: str
    origin: str
    log_index: int
    entry_size: int
    log_size: int
    log_root: bytes

    def to_json(self) -> dict[str, object]:
        """Return the check as JSON-ready values (``logRoot`` in lowercase hex)."""
        return {
            "bundle": self.bundle,
            "entry": self.position,
            "logUrl": self.log_url,
            "origin": self.origin,
            "logIndex": self.log_index,
            "entryTreeSize": self.entry_size,
            "logTreeSize": self.log_size,
            "logRoot": self.log_root.hex(),
        }


class OnlineLogChecker:
    """Proves bundles' log entries consistent with their logs' current checkpoints (``--online``).

    For each entry, once it verified offline (:func:`liturgia.sign.tlog_verify.
    verify_tlog_entries`: SET, checkpoint signature, inclusion proof): fetch the log's current
    signed checkpoint (``GET /api/v1/log``), verify it under the same trusted key and with the
    same origin as the entry's own checkpoint (key name: the origin's host, as offline), fetch
    the consistency proof from the entry's tree size to the current one (``GET
    /api/v1/log/proof?firstSize=&lastSize=``) and verify it (RFC 9162 §2.1.4.2). A log that
    shrank, forked (same size, other root) or cannot prove it extends the entry's tree has
    rewritten history that a bundle relies on.

    Each log's checkpoint is fetched once, and each consistency proof once per pair of sizes,
    however many bundles are checked; no network access happens before the first check.

    Args:
        log_keys: the trusted logs' public keys (as for offline verification).
        log_url: the base URL to ask for every entry (``--log-url``); otherwise each entry's
            log is looked up in ``log_urls``.
        log_urls: base URL of each trusted log by log ID (SHA-256 of its DER key), as
            :func:`liturgia.sign.tlog_verify.load_log_urls` reads them from a TrustedRoot.
        timeout: seconds per HTTP exchange.
        use_tiles: read each log through its c2sp.org/tlog-tiles resources (``GET
            <url>/checkpoint``, the consistency proof computed from ``<url>/tile/...``; the URL
            may serve static files) instead of its Rekor API.

    Raises:
        ConfigError: ``log_url`` is not an http(s) URL.
    """

    def __init__(
        self,
        log_keys: Sequence[sign.PublicKey],
        *,
        log_url: str | None = None,
        log_urls: Mapping[bytes, str] | None = None,
        timeout: float = 30.0,
        use_tiles: bool = False,
    ) -> None:
        self._keys = {hashlib.sha256(key.der).digest(): key for key in log_keys}
        self._log_keys = tuple(log_keys)
        self._log_url = log_url
        self._log_urls = dict(log_urls or {})
        self._timeout = timeout
        self._use_tiles = use_tiles
        self._clients: dict[str, LogClient | TileLogClient] = {}
        self._notes: dict[str, bytes] = {}
        self._proofs: dict[tuple[str, int, int], tuple[bytes, ...]] = {}
        self._checks: list[OnlineCheck] = []
        if log_url is not None:
            self._client(log_url)  # a bad URL is a usage error before anything is verified

    @property
    def checks(self) -> tuple[OnlineCheck, ...]:
        """Every entry proven consistent so far, in the order checked."""
        return tuple(self._checks)

    def check_bundle(self, bundle: bytes, *, name: str = "bundle") -> tuple[OnlineCheck, ...]:
        """Verify a bundle's log entries offline, then each against its log's current state.

        Args:
            bundle: the bundle's JSON bytes.
            name: how messages name the bundle.

        Returns:
            One check per entry, in bundle order.

        Raises:
            BundleError, SignatureError, ProofError: offline, as
                :func:`~liturgia.sign.tlog_verify.verify_tlog_entries`.
            ConfigError, NetworkError, SignatureError, ProofError: online, as
                :meth:`check_entry`.
        """
        entries = verify_tlog_entries(
            sign.parse_bundle(bundle, name=name), self._log_keys, name=name
        )
        return tuple(
            self.check_entry(entry, name=name, position=position)
            for position, entry in enumerate(entries)
        )

    def check_entry(
        self, entry: VerifiedLogEntry, *, name: str = "bundle", position: int = 0
    ) -> OnlineCheck:
        """Prove one offline-verified entry's checkpoint consistent with its log's current one.

        Args:
            entry: the entry, as :func:`~liturgia.sign.tlog_verify.verify_tlog_entries` returns it.
            name: how messages name the bundle.
            position: the entry's index in the bundle's ``tlogEntries``.

        Returns:
            The check, also recorded in :attr:`checks`.

        Raises:
            ConfigError: no URL is known for the entry's log.
            NetworkError: the log cannot be reached, answers other than 200, or not JSON.
            SignatureError: the entry's log is not trusted, or the current checkpoint is not
                signed by its key under the origin's host.
            ProofError: the current checkpoint is malformed or of another origin; the log
                shrank, forked, or its consistency proof is malformed or does not verify.
        """
        where = f"{name}: tlogEntries[{position}]"
        key = self._keys.get(entry.log_id)
        if key is None:
            raise SignatureError(f"{where}: log entry from an untrusted log")
        url = self._log_url or self._log_urls.get(entry.log_id)
        if url is None:
            raise ConfigError(
                f"{where}: no URL known for the log {entry.origin!r}: pass --log-url URL, or a "
                "--trusted-root whose tlogs[] entry for it has a baseUrl"
            )
        old = Checkpoint(origin=entry.origin, size=entry.tree_size, root_hash=entry.root_hash)
        host = entry.origin.split(" ")[0]
        note = self._note(url, where)
        try:
            current = open_checkpoint(note, (verifier_for(host, key.key),), origin=entry.origin)
        except (SignatureError, ProofError) as exc:
            raise type(exc)(
                f"{where}: the current checkpoint of {url} does not verify under the log key "
                f"(the entry's checkpoint has tree size {old.size}): {exc}"
            ) from exc
        grew = 0 < old.size < current.size
        proof = self._proof(url, old.size, current.size, where) if grew else ()
        try:
            verify_checkpoint_consistency(old, current, proof)
        except ProofError as exc:
            raise ProofError(
                f"{where}: the log {url} is not consistent with the entry's checkpoint "
                f"(tree size {old.size}, the log's now {current.size}): {exc}"
            ) from exc
        check = OnlineCheck(
            bundle=name,
            position=position,
            log_url=url,
            origin=current.origin,
            log_index=entry.log_index,
            entry_size=old.size,
            log_size=current.size,
            log_root=current.root_hash,
        )
        self._checks.append(check)
        return check

    def _client(self, url: str) -> LogClient | TileLogClient:
        if url not in self._clients:
            kind = TileLogClient if self._use_tiles else LogClient
            self._clients[url] = kind(url, timeout=self._timeout)
        return self._clients[url]

    def _note(self, url: str, where: str) -> bytes:
        if url not in self._notes:
            try:
                self._notes[url] = self._client(url).checkpoint()
            except NetworkError as exc:
                raise NetworkError(f"{where}: {exc}") from exc
        return self._notes[url]

    def _proof(self, url: str, first: int, last: int, where: str) -> tuple[bytes, ...]:
        if (url, first, last) not in self._proofs:
            try:
                proof = self._client(url).consistency_proof(first, last)
            except NetworkError as exc:
                raise NetworkError(f"{where}: {exc}") from exc
            except ProofError as exc:
                raise ProofError(
                    f"{where}: the log {url} sent a malformed consistency proof from tree size "
                    f"{first} to {last}: {exc}"
                ) from exc
            self._proofs[url, first, last] = proof
        return self._proofs[url, first, last]
