"""Shipping the gate's evidence: every file a check read from outside the release folder is
copied into it under ``evidence/``, so ``SHA256SUMS`` lists it and ``liturgia verify`` checks it.

The copy holds the bytes the check read, exactly (an approval is a signed statement: its bytes
are never rewritten), under a name made from the file's portable name (relative to the project;
``~`` becomes ``home``, ``$TMPDIR`` ``tmp``, ``{reports_dir}`` ``reports_dir``), so the same
evidence gives the same folder wherever the release is made.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path, PurePosixPath

from liturgia._internal.files import atomic_write_bytes
from liturgia.errors import InputError
from liturgia.release.checksums import EVIDENCE_FOLDER
from liturgia.release.gates._model import EvidenceFile, GateReport

__all__ = ["evidence_name", "ship_evidence"]

_PARTS = {"~": "home", "$TMPDIR": "tmp", "..": "_parent"}


def evidence_name(shown: str) -> str:
    """The release folder's name of a file the gate read, from its portable name.

    Args:
        shown: the name the report gives it (``"ops/rollback.md"``, ``"~/k6.json"``).

    Returns:
        ``"evidence/<parts>"``, a relative POSIX path without ``..``.
    """
    parts = [
        _PARTS.get(part, part.strip("{}") or "_")
        for part in PurePosixPath(shown.replace("\\", "/")).parts
        if part not in {"/", "."}
    ]
    return "/".join([EVIDENCE_FOLDER, *parts])


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def ship_evidence(report: GateReport, release: Path) -> GateReport:
    """Copy each file a check read from outside ``release`` into ``release/evidence/``.

    Args:
        report: the gate's report, its file names already portable.
        release: the release (staging) folder.

    Returns:
        The report with each copied file named by its copy (``evidence/...``).

    Raises:
        InputError: a file changed between the check reading it and its copy, or two
            different files would have one name.
    """
    shipped: dict[str, str] = {}
    checks = []
    for check in report.checks:
        files: list[EvidenceFile] = []
        for file in check.files:
            source = file.source
            if source is None or _inside(source, release):
                files.append(file)
                continue
            name = evidence_name(file.name)
            try:
                data = source.read_bytes()
            except OSError as exc:
                raise InputError(f"{file.name}: cannot read it again to ship it: {exc}") from exc
            if hashlib.sha256(data).hexdigest() != file.sha256:
                raise InputError(
                    f"{file.name}: changed while the gate read it (check {check.name}); "
                    "release again once nothing writes it"
                )
            if shipped.setdefault(name, file.sha256) != file.sha256:
                raise InputError(f"{name}: two different evidence files would have this name")
            target = release / name
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(target, data)
            files.append(replace(file, name=name))
        checks.append(replace(check, files=tuple(files)))
    return replace(report, checks=tuple(checks))
