"""SLSA Provenance v1 predicates: exact shape, validation, signed round trip."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.provenance import (
    LITURGIA_BUILD_TYPE,
    BuildRun,
    GitSource,
    PredicateType,
    attest,
    provenance_statement,
    slsa_provenance_predicate,
    verify_attestation_bundle,
)
from liturgia.sign.backends.file import FileSigner

COMMIT = "0123456789abcdef0123456789abcdef01234567"
START = datetime(2026, 11, 29, 14, 0, 0, tzinfo=UTC)


def _run(**changes: object) -> BuildRun:
    fields: dict[str, object] = {
        "commands": ("python -m build", "pytest -q"),
        "source": GitSource(
            uri="git+https://example.org/vertice", commit=COMMIT, ref="refs/tags/v0.1.0"
        ),
        "builder_id": "https://example.org/builders/release-host",
        "started_on": START,
        "finished_on": START + timedelta(seconds=42),
    }
    fields.update(changes)
    return BuildRun(**fields)  # type: ignore[arg-type]


def test_predicate_shape() -> None:
    predicate = slsa_provenance_predicate(
        _run(
            invocation_id="run-7",
            builder_version={"python": "3.11", "liturgia": "0.1.0"},
            internal_parameters={"profile": "release"},
        )
    )
    assert predicate == {
        "buildDefinition": {
            "buildType": LITURGIA_BUILD_TYPE,
            "externalParameters": {
                "commands": ["python -m build", "pytest -q"],
                "source": {"uri": "git+https://example.org/vertice", "ref": "refs/tags/v0.1.0"},
            },
            "internalParameters": {"profile": "release"},
            "resolvedDependencies": [
                {
                    "uri": "git+https://example.org/vertice@refs/tags/v0.1.0",
                    "digest": {"gitCommit": COMMIT},
                }
            ],
        },
        "runDetails": {
            "builder": {
                "id": "https://example.org/builders/release-host",
                "version": {"liturgia": "0.1.0", "python": "3.11"},
            },
            "metadata": {
                "invocationId": "run-7",
                "startedOn": "2026-11-29T14:00:00Z",
                "finishedOn": "2026-11-29T14:00:42Z",
            },
        },
    }


def test_minimal_predicate_and_time_zones() -> None:
    plus_two = timezone(timedelta(hours=2))
    run = _run(
        source=GitSource(uri="git+file:///src", commit=COMMIT.upper()),
        started_on=datetime(2026, 11, 29, 16, 0, tzinfo=plus_two),
        finished_on=datetime(2026, 11, 29, 16, 1, tzinfo=plus_two),
    )
    predicate = slsa_provenance_predicate(run)
    assert predicate["buildDefinition"]["resolvedDependencies"] == [
        {"uri": "git+file:///src", "digest": {"gitCommit": COMMIT}}
    ]
    assert "internalParameters" not in predicate["buildDefinition"]
    assert predicate["runDetails"]["builder"] == {"id": "https://example.org/builders/release-host"}
    assert predicate["runDetails"]["metadata"] == {
        "startedOn": "2026-11-29T14:00:00Z",
        "finishedOn": "2026-11-29T14:01:00Z",
    }


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"source": GitSource(uri="git+x", commit="abc123")}, "not a full hex commit id"),
        ({"commands": ()}, "no build command"),
        ({"started_on": datetime(2026, 1, 1)}, "startedOn has no time zone"),
        ({"finished_on": START - timedelta(seconds=1)}, "is before startedOn"),
    ],
)
def test_invalid_runs(changes: dict[str, object], reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        slsa_provenance_predicate(_run(**changes))


def test_signed_provenance_round_trip(
    tmp_path: Path, make_signer: Callable[[], FileSigner]
) -> None:
    wheel = tmp_path / "vertice-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"wheel bytes")
    statement = provenance_statement([wheel], _run())
    assert (
        statement.predicate_type
        == PredicateType.SLSA_PROVENANCE_V1
        == ("https://slsa.dev/provenance/v1")
    )
    document = json.loads(statement.to_json())
    assert document["subject"] == [
        {"name": wheel.name, "digest": {"sha256": hashlib.sha256(b"wheel bytes").hexdigest()}}
    ]
    signer = make_signer()
    bundle = attest(statement, signer)
    verified = verify_attestation_bundle(
        bundle,
        signer.public_key,
        artifacts=[wheel],
        predicate_type=PredicateType.SLSA_PROVENANCE_V1.value,
    )
    assert verified.predicate == document["predicate"]
    # Deterministic: the same run gives the same payload bytes.
    assert provenance_statement([wheel], _run()).to_json() == statement.to_json()
