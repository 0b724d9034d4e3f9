"""CycloneDX 1.6 JSON: schema-valid on every corpus input, reproducible, artifacts round-trip."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from liturgia.errors import InputError, PolicyError
from liturgia.model import Component, ComponentType, Hash, Inventory, Scope
from liturgia.sbom import (
    artifact_component,
    artifact_digests,
    catalog,
    read_sbom,
    to_cyclonedx_json,
    validate_cyclonedx_json,
)

CORPUS_INPUTS = [
    "python/requirements",
    "python/poetry",
    "python/pipenv",
    "python/uv",
    "python/venv-freeze",
    "js/npm",
    pytest.param("js/npm-large", marks=pytest.mark.slow),
    "go/viper-lib",
    "go/gocli",
]


@pytest.mark.parametrize("folder", CORPUS_INPUTS)
def test_every_corpus_input_validates(
    corpus: Path, folder: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    inventory = catalog([corpus / folder])
    data = to_cyclonedx_json(inventory)
    validate_cyclonedx_json(data, source=folder)
    doc = json.loads(data)
    assert doc["specVersion"] == "1.6"
    assert doc["metadata"]["timestamp"] == "2023-11-14T22:13:20+00:00"
    assert len(doc["components"]) == len(inventory.components)
    refs = {c["bom-ref"] for c in doc["components"]}
    if inventory.root is not None:
        assert doc["metadata"]["component"]["bom-ref"] == inventory.root.ref
        refs.add(inventory.root.ref)
    for dep in doc["dependencies"]:
        assert dep["ref"] in refs
        assert set(dep.get("dependsOn", [])) <= refs
    edges = sum(len(d.get("dependsOn", [])) for d in doc["dependencies"])
    assert edges == sum(len(d.depends_on) for d in inventory.dependencies)


def test_same_input_same_bytes_and_content_serial(
    corpus: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = to_cyclonedx_json(catalog([corpus / "python/poetry"]))
    second = to_cyclonedx_json(catalog([corpus / "python/poetry"]))
    assert first == second
    other = to_cyclonedx_json(catalog([corpus / "python/poetry"], exclude_dev=True))
    serial = json.loads(first)["serialNumber"]
    assert serial.startswith("urn:uuid:")
    assert json.loads(other)["serialNumber"] != serial
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000001")
    later = to_cyclonedx_json(catalog([corpus / "python/poetry"]))
    assert json.loads(later)["serialNumber"] != serial


def test_scope_licences_and_evidence_are_written(corpus: Path) -> None:
    doc = json.loads(to_cyclonedx_json(catalog([corpus / "js/npm"])))
    by_name = {c["name"]: c for c in doc["components"]}
    assert by_name["typescript"]["scope"] == "excluded"
    assert by_name["express"]["scope"] == "required"
    assert by_name["express"]["licenses"] == [{"license": {"id": "MIT"}}]
    assert by_name["express"]["evidence"]["occurrences"] == [{"location": "package-lock.json"}]
    assert by_name["express"]["hashes"][0]["alg"] == "SHA-512"
    assert by_name["@types/node"]["purl"].startswith("pkg:npm/%40types/node@")


def test_licence_expressions_and_mixed_lists() -> None:
    components = (
        Component(name="a", version="1", purl="pkg:npm/a@1", licenses=("MIT OR Apache-2.0",)),
        Component(name="b", version="1", purl="pkg:npm/b@1", licenses=("MIT", "BSD-3-Clause")),
        Component(name="c", version="1", purl="pkg:npm/c@1", licenses=("MIT", "GPL-2.0 OR MIT")),
        Component(name="d", version="1", purl="pkg:npm/d@1", licenses=("Some Custom Licence",)),
    )
    data = to_cyclonedx_json(Inventory(components=components))
    validate_cyclonedx_json(data, source="x")
    by_name = {c["name"]: c for c in json.loads(data)["components"]}
    assert by_name["a"]["licenses"] == [{"expression": "MIT OR Apache-2.0"}]
    assert sorted(x["license"]["id"] for x in by_name["b"]["licenses"]) == ["BSD-3-Clause", "MIT"]
    assert by_name["c"]["licenses"] == [{"expression": "(MIT) AND (GPL-2.0 OR MIT)"}]
    assert by_name["d"]["licenses"] == [{"license": {"name": "Some Custom Licence"}}]


def test_artifacts_round_trip(tmp_path: Path) -> None:
    wheel = tmp_path / "vertice-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04 not really a zip")
    sdist = tmp_path / "vertice-0.1.0.tar.gz"
    sdist.write_bytes(b"\x1f\x8b" + bytes(range(256)))
    artifacts = [artifact_component(wheel), artifact_component(sdist, name="renamed.tar.gz")]
    assert artifacts[0].type is ComponentType.FILE
    assert artifacts[0].hashes[0].algorithm == "SHA-256"
    root = Component(
        name="vertice",
        version="0.1.0",
        type=ComponentType.APPLICATION,
        purl="pkg:pypi/vertice@0.1.0",
        bom_ref="pkg:pypi/vertice@0.1.0",
    )
    data = to_cyclonedx_json(Inventory(root=root), artifacts=artifacts)
    validate_cyclonedx_json(data, source="sbom.cdx.json")
    assert artifact_digests(read_sbom(data, source="s"), source="s") == {
        wheel.name: hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "renamed.tar.gz": hashlib.sha256(sdist.read_bytes()).hexdigest(),
    }


def test_artifact_component_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"not found|cannot read"):
        artifact_component(tmp_path / "missing.whl")
    with pytest.raises(InputError, match="folder"):
        artifact_component(tmp_path)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe not utf-8", "not JSON"),
        (b"{truncated", "not JSON"),
        (b"[]", "specVersion"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1}', "specVersion"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": "one"}', "one"),
        (b'{"bomFormat": "CycloneDX", "specVersion": "1.6", "version": 1, "x": 1}', "x"),
    ],
)
def test_validate_rejects(data: bytes, reason: str) -> None:
    prefix = r"sbom\.cdx\.json: not a valid CycloneDX 1\.6 document"
    with pytest.raises(PolicyError, match=prefix) as e:
        validate_cyclonedx_json(data, source="sbom.cdx.json")
    assert reason in str(e.value)


def test_validate_rejects_a_tampered_hash(corpus: Path) -> None:
    doc = json.loads(to_cyclonedx_json(catalog([corpus / "go/gocli"])))
    doc["components"][0]["hashes"] = [{"alg": "SHA-256", "content": "zz"}]
    with pytest.raises(PolicyError, match="not a valid CycloneDX"):
        validate_cyclonedx_json(json.dumps(doc).encode(), source="s")


def _digests(doc: bytes) -> dict[str, str]:
    """The artifact digests of a release SBOM, read as ``liturgia verify`` reads it."""
    return artifact_digests(read_sbom(doc, source="s"), source="s")


_FILE_A = b'{"type": "file", "name": "a", "hashes": [{"alg": "SHA-256", "content": "%s"}]}'


@pytest.mark.parametrize(
    ("doc", "error", "reason"),
    [
        (b"not json", InputError, "s: not JSON"),
        (b'{"components": []}', InputError, "s: neither a CycloneDX (bomFormat) nor an SPDX"),
        (
            b'{"bomFormat": "CycloneDX", "components": {}}',
            InputError,
            "s: components: expected an array",
        ),
        (
            b'{"bomFormat": "CycloneDX", "components": [{"type": "file", "hashes": []}]}',
            InputError,
            "s: components[0]: a component needs a 'name'",
        ),
        (
            b'{"bomFormat": "CycloneDX", "components": [' + _FILE_A % b"abc" + b"]}",
            PolicyError,
            "s: file component a: malformed SHA-256 'abc'",
        ),
        (
            b'{"bomFormat": "CycloneDX", "components": ['
            + _FILE_A % (b"a" * 64)
            + b", "
            + _FILE_A % (b"b" * 64)
            + b"]}",
            PolicyError,
            "s: lists file a twice with different SHA-256 digests",
        ),
    ],
)
def test_artifact_digests_rejects(doc: bytes, error: type[Exception], reason: str) -> None:
    with pytest.raises(error) as e:
        _digests(doc)
    assert str(e.value).startswith(reason)


def test_artifact_digests_skips_libraries_and_unhashed_files() -> None:
    doc = {
        "bomFormat": "CycloneDX",
        "components": [
            {"type": "library", "name": "x", "hashes": [{"alg": "SHA-256", "content": "a" * 64}]},
            {"type": "file", "name": "nohash"},
            {"type": "file", "name": "md5", "hashes": [{"alg": "MD5", "content": "a" * 32}]},
            {"type": "file", "name": "ok", "hashes": [{"alg": "SHA-256", "content": "AB" * 32}]},
            {"type": "file", "name": "ok", "hashes": [{"alg": "SHA-256", "content": "ab" * 32}]},
        ],
    }
    assert _digests(json.dumps(doc).encode()) == {"ok": "ab" * 32}


def test_inventory_without_root_and_purl_less_components() -> None:
    inventory = Inventory(
        components=(
            Component(
                name="local-lib",
                version=None,
                bom_ref="req.txt#editable:./local-lib",
                scope=Scope.REQUIRED,
                hashes=(Hash(algorithm="SHA-1", value="a" * 40),),
            ),
        )
    )
    data = to_cyclonedx_json(inventory)
    validate_cyclonedx_json(data, source="x")
    doc = json.loads(data)
    assert "component" not in doc["metadata"]
    assert doc["components"][0]["bom-ref"] == "req.txt#editable:./local-lib"
    assert "purl" not in doc["components"][0]
