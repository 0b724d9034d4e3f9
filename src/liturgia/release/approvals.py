"""Stakeholder approvals: signed in-toto statements that a role approves a version.

``liturgia approve VERSION --role ROLE`` signs, with the approver's own key, an in-toto
Statement v1 (DSSE, ``application/vnd.in-toto+json``) in a Sigstore bundle v0.3::

    {"_type": "https://in-toto.io/Statement/v1",
     "subject": [{"name": "<project>@<version>",
                  "digest": {"sha256": sha256("<project>@<version>")}}],
     "predicateType": "https://liturgia.dev/attestation/approval/v1",
     "predicate": {"project": str, "version": str, "role": str, "approver": str}}

and writes it to ``approvals/<version>/<role>-<key id, 16 hex>.intoto.json``. The gate's
``approvals`` check verifies each file against the keys its policy lists per role.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from liturgia import provenance, sign
from liturgia._internal.files import atomic_write_bytes
from liturgia.errors import InputError

__all__ = ["APPROVAL_PREDICATE", "approval_path", "approval_statement", "approve"]

APPROVAL_PREDICATE = "https://liturgia.dev/attestation/approval/v1"


def approval_statement(
    project: str, version: str, role: str, approver: str
) -> provenance.Statement:
    """The Statement of one approval (shape in the module docstring)."""
    name = f"{project}@{version}"
    return provenance.Statement(
        subjects=(
            provenance.Subject(
                name=name, digest={"sha256": hashlib.sha256(name.encode()).hexdigest()}
            ),
        ),
        predicate_type=APPROVAL_PREDICATE,
        predicate={"project": project, "version": version, "role": role, "approver": approver},
    )


def approval_path(folder: Path, version: str, role: str, key_id: str) -> Path:
    """Where an approval is written: ``<folder>/<version>/<role>-<key id[:16]>.intoto.json``."""
    return folder / version / f"{role}-{key_id[:16]}.intoto.json"


def approve(
    *, project: str, version: str, role: str, approver: str, signer: sign.Signer, folder: Path
) -> Path:
    """Sign an approval with ``signer`` and write it (atomically) under ``folder``.

    Raises:
        InputError: the role is not a plain name (letters, digits, ``-``, ``_``, ``.``).
    """
    if not role or not all(c.isalnum() or c in "-_." for c in role):
        raise InputError(f"--role {role!r}: a role is a plain name (letters, digits, - _ .)")
    bundle = provenance.attest(approval_statement(project, version, role, approver), signer)
    target = approval_path(folder, version, role, signer.public_key.key_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(target, bundle)
    return target
