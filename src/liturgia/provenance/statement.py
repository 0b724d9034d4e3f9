"""in-toto Statement v1 (in-toto attestation framework, spec/v1/statement.md).

A Statement binds a typed predicate to subjects identified by digest::

    {"_type": "https://in-toto.io/Statement/v1",
     "subject": [{"name": "app.whl", "digest": {"sha256": "<hex>"}}],
     "predicateType": "<URI>", "predicate": {...}}

Serialized as compact JSON with sorted keys, so the same statement gives the same bytes; it
travels as the payload of a DSSE envelope of type ``application/vnd.in-toto+json``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liturgia._internal.text import utf8_name
from liturgia.errors import BundleError, DigestError, PolicyError
from liturgia.sign.artifact import digest_file

__all__ = [
    "STATEMENT_TYPE",
    "Statement",
    "Subject",
    "parse_statement",
    "statement_for_files",
    "subject_for_file",
]

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """A ResourceDescriptor naming one artifact (resource_descriptor.md).

    Attributes:
        name: the artifact's file name (no folders), as consumers will look it up.
        digest: algorithm (``sha256``, ``sha512``...) to lower-case hex digest.
    """

    name: str
    digest: Mapping[str, str]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object ``{"name", "digest"}`` (digest keys sorted)."""
        return {"name": self.name, "digest": dict(sorted(self.digest.items()))}


def subject_for_file(path: Path, *, name: str | None = None) -> Subject:
    """Describe a file by name and SHA-256, hashed in one streaming pass.

    Raises:
        InputError: the file cannot be read, or its name (when no ``name`` is given) is not
            valid UTF-8 (a subject is looked up by its exact name).
    """
    label = name or utf8_name(path, what="subject")
    return Subject(name=label, digest={"sha256": digest_file(path).hex()})


@dataclass(frozen=True, slots=True, kw_only=True)
class Statement:
    """An in-toto Statement v1.

    Attributes:
        subjects: the artifacts the predicate is about (at least one).
        predicate_type: a URI naming the predicate's schema.
        predicate: the predicate JSON object.
    """

    subjects: tuple[Subject, ...]
    predicate_type: str
    predicate: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The Statement's JSON object; subjects sorted by name then digest."""
        subjects = sorted(self.subjects, key=lambda s: (s.name, sorted(s.digest.items())))
        return {
            "_type": STATEMENT_TYPE,
            "subject": [s.to_dict() for s in subjects],
            "predicateType": self.predicate_type,
            "predicate": dict(self.predicate),
        }

    def to_json(self) -> bytes:
        """Compact JSON with sorted keys (deterministic bytes, the DSSE payload)."""
        return json.dumps(
            self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")

    def check_subject(self, path: Path, *, name: str | None = None) -> Subject:
        """Check that the file at ``path`` is one of the subjects, by name and SHA-256.

        Returns:
            The matching subject.

        Raises:
            PolicyError: no subject has that name, or it records no sha256 digest.
            DigestError: the subject's sha256 differs from the file's.
        """
        wanted = name or path.name
        matches = [s for s in self.subjects if s.name == wanted]
        if not matches:
            names = ", ".join(sorted(s.name for s in self.subjects))
            raise PolicyError(f"{path}: not a subject of the attestation (subjects: {names})")
        actual = digest_file(path).hex()
        for subject in matches:
            recorded = subject.digest.get("sha256")
            if recorded is None:
                continue
            if recorded.lower() == actual:
                return subject
            raise DigestError(
                f"{path}: subject digest mismatch: the attestation records sha256:{recorded}, "
                f"the file has sha256:{actual}"
            )
        raise PolicyError(f"{path}: the attestation records no sha256 digest for it")

    def require_predicate_type(self, predicate_type: str) -> None:
        """Raise :class:`PolicyError` unless the predicate type is ``predicate_type``."""
        if self.predicate_type != predicate_type:
            raise PolicyError(
                f"predicate type is {self.predicate_type!r}, not the required {predicate_type!r}"
            )


def _subjects(raw: Any, source: str) -> tuple[Subject, ...]:
    if not isinstance(raw, list) or not raw:
        raise BundleError(f"{source}: statement has no subject list")
    subjects = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise BundleError(f"{source}: subject[{index}] is not an object")
        name = item.get("name", "")
        digest = item.get("digest")
        if not isinstance(name, str):
            raise BundleError(f"{source}: subject[{index}].name is not a string")
        if (
            not isinstance(digest, dict)
            or not digest
            or not all(isinstance(k, str) and isinstance(v, str) for k, v in digest.items())
        ):
            raise BundleError(f"{source}: subject[{index}].digest is not a map of strings")
        subjects.append(Subject(name=name, digest=dict(digest)))
    return tuple(subjects)


def parse_statement(payload: bytes, *, source: str = "statement") -> Statement:
    """Parse a Statement v1 from the exact payload bytes of a verified envelope.

    Raises:
        BundleError: not JSON, not a Statement v1, or ill-typed fields.
    """
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleError(f"{source}: the statement is not JSON ({exc})") from exc
    if not isinstance(document, dict):
        raise BundleError(f"{source}: the statement is not a JSON object")
    if document.get("_type") != STATEMENT_TYPE:
        raise BundleError(
            f"{source}: unsupported statement _type {document.get('_type')!r} "
            f"(expected {STATEMENT_TYPE})"
        )
    predicate_type = document.get("predicateType")
    if not isinstance(predicate_type, str) or not predicate_type:
        raise BundleError(f"{source}: statement has no predicateType")
    predicate = document.get("predicate", {})
    if not isinstance(predicate, dict):
        raise BundleError(f"{source}: statement predicate is not an object")
    return Statement(
        subjects=_subjects(document.get("subject"), source),
        predicate_type=predicate_type,
        predicate=predicate,
    )


def statement_for_files(
    paths: Sequence[Path], *, predicate_type: str, predicate: Mapping[str, Any]
) -> Statement:
    """Build a Statement over files (each named by its file name, digested with SHA-256).

    Raises:
        InputError: a file cannot be read.
    """
    return Statement(
        subjects=tuple(subject_for_file(p) for p in paths),
        predicate_type=predicate_type,
        predicate=predicate,
    )
