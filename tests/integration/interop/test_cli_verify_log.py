"""`liturgia verify FILE --log-key/--trusted-root`: the bundle's log entry is checked offline."""

from __future__ import annotations

import json

import pytest

from liturgia import cli
from tests.integration.interop.conftest import Material


def _verify(material: Material, *extra: str) -> int:
    artifact = material.artifacts[0]
    return cli.main(["verify", str(artifact), "--key", str(material.signer_pub), *extra])


def test_entry_of_a_trusted_log_verifies(
    material: Material, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _verify(material, "--log-key", str(material.log_pub)) == 0
    assert _verify(material, "--trusted-root", str(material.root), "--format", "json") == 0
    assert json.loads(capsys.readouterr().out)["verified"] is True


def test_entry_of_another_log_is_refused(
    material: Material, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _verify(material, "--log-key", str(material.other_log_pub)) == 1
    assert "untrusted log" in capsys.readouterr().err
    bundle = str(material.other_log_bundle)
    assert _verify(material, "--bundle", bundle, "--trusted-root", str(material.root)) == 1
    capsys.readouterr()
    # Without log keys the same bundle's signature alone still verifies, as before.
    assert _verify(material, "--bundle", bundle) == 0


def test_attest_logs_the_envelope(material: Material) -> None:
    bundle = json.loads(material.dsse.read_text())
    entries = bundle["verificationMaterial"]["tlogEntries"]
    assert len(entries) == 1
    assert entries[0]["kindVersion"] == {"kind": "dsse", "version": "0.0.1"}
    assert entries[0]["inclusionProof"]["checkpoint"]["envelope"]
