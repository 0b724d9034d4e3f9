"""SPDX 2.3 JSON (validated by spdx-tools) and CycloneDX 1.6 XML (validated by the XSD)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.errors import PolicyError
from liturgia.model import Component, ComponentType, Dependency, Hash, Inventory, Scope
from liturgia.sbom import artifact_component, catalog
from liturgia.sbom.formats.cyclonedx import to_cyclonedx_xml, validate_cyclonedx_xml
from liturgia.sbom.formats.spdx import to_spdx_json, validate_spdx_json

from .test_sbom_cyclonedx import CORPUS_INPUTS


@pytest.mark.parametrize("folder", CORPUS_INPUTS)
def test_spdx_and_xml_validate_on_every_corpus_input(corpus: Path, folder: str) -> None:
    inventory = catalog([corpus / folder])
    data = to_spdx_json(inventory)
    validate_spdx_json(data, source=folder)
    doc = json.loads(data)
    assert len(doc["packages"]) == len(inventory.components) + (inventory.root is not None)
    validate_cyclonedx_xml(to_cyclonedx_xml(inventory), source=folder)


def comp(name: str, scope: Scope = Scope.REQUIRED, **kw: object) -> Component:
    purl = f"pkg:npm/{name}@1.0.0"
    return Component(
        name=name,
        version="1.0.0",
        purl=purl,
        bom_ref=purl,
        scope=scope,
        found_in="package-lock.json",
        **kw,
    )  # type: ignore[arg-type]


def test_spdx_mapping(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    root = Component(
        name="app",
        version="2.0",
        type=ComponentType.APPLICATION,
        purl="pkg:npm/app@2.0",
        bom_ref="pkg:npm/app@2.0",
        licenses=("MIT",),
    )
    components = (
        comp(
            "lib",
            licenses=("MIT", "Apache-2.0"),
            hashes=(Hash(algorithm="SHA-512", value="a" * 128),),
        ),
        comp("devtool", Scope.EXCLUDED, licenses=("Custom Thing",)),
        comp("opt", Scope.OPTIONAL),
        comp("lonely-dev", Scope.EXCLUDED),
        comp("lonely-opt", Scope.OPTIONAL),
    )
    inventory = Inventory(
        root=root,
        components=components,
        dependencies=(
            Dependency(
                ref=root.ref,
                depends_on=(
                    "pkg:npm/lib@1.0.0",
                    "pkg:npm/devtool@1.0.0",
                    "pkg:npm/opt@1.0.0",
                    "pkg:npm/ghost@1",
                ),
            ),
            Dependency(ref="pkg:npm/ghost@1", depends_on=("pkg:npm/lib@1.0.0",)),
        ),
    )
    wheel = tmp_path / "app-2.0.whl"
    wheel.write_bytes(b"wheel")
    data = to_spdx_json(inventory, artifacts=[artifact_component(wheel)])
    validate_spdx_json(data, source="sbom.spdx.json")
    assert data == to_spdx_json(inventory, artifacts=[artifact_component(wheel)])
    doc = json.loads(data)
    assert doc["creationInfo"]["created"] == "2023-11-14T22:13:20Z"
    ids = {p["name"]: p["SPDXID"] for p in doc["packages"]}
    by_name = {p["name"]: p for p in doc["packages"]}
    assert by_name["lib"]["licenseDeclared"] == "(MIT) AND (Apache-2.0)"
    assert by_name["lib"]["checksums"] == [{"algorithm": "SHA512", "checksumValue": "a" * 128}]
    assert by_name["devtool"]["licenseDeclared"] == "LicenseRef-Custom-Thing"
    assert doc["hasExtractedLicensingInfos"][0]["extractedText"] == "Custom Thing"
    assert by_name["app-2.0.whl"]["primaryPackagePurpose"] == "FILE"
    assert by_name["app"]["primaryPackagePurpose"] == "APPLICATION"
    rels = {
        (r["spdxElementId"], r["relationshipType"], r["relatedSpdxElement"])
        for r in doc["relationships"]
    }
    assert rels == {
        ("SPDXRef-DOCUMENT", "DESCRIBES", ids["app"]),
        (ids["app"], "DEPENDS_ON", ids["lib"]),
        (ids["devtool"], "DEV_DEPENDENCY_OF", ids["app"]),
        (ids["opt"], "OPTIONAL_DEPENDENCY_OF", ids["app"]),
        (ids["lonely-dev"], "DEV_DEPENDENCY_OF", ids["app"]),
        (ids["lonely-opt"], "OPTIONAL_DEPENDENCY_OF", ids["app"]),
    }


def test_spdx_without_root_describes_every_package() -> None:
    data = to_spdx_json(Inventory(components=(comp("a"), comp("b"))))
    validate_spdx_json(data, source="x")
    doc = json.loads(data)
    assert [r["relationshipType"] for r in doc["relationships"]] == ["DESCRIBES", "DESCRIBES"]
    assert doc["name"] == "sbom"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{", "not JSON"),
        (b"[]", "spdxVersion is 'list'"),
        (b'{"spdxVersion": "SPDX-2.2"}', "expected 'SPDX-2.3'"),
        (b'{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT"}', "not a valid SPDX 2.3"),
    ],
)
def test_spdx_validate_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(PolicyError, match=r"^s: not a valid SPDX 2\.3 document") as e:
        validate_spdx_json(data, source="s")
    assert reason in str(e.value)


def test_spdx_validate_rejects_semantic_errors(corpus: Path) -> None:
    doc = json.loads(to_spdx_json(catalog([corpus / "go/gocli"])))
    doc["relationships"].append(
        {
            "spdxElementId": "SPDXRef-DOCUMENT",
            "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-nowhere",
        }
    )
    with pytest.raises(PolicyError, match="SPDXRef-nowhere"):
        validate_spdx_json(json.dumps(doc).encode(), source="s")


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xfe",
        b"<bom",
        b"<bom/>",
        b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6"><x/></bom>',
    ],
)
def test_xml_validate_rejects(data: bytes) -> None:
    with pytest.raises(PolicyError, match=r"^x: not a valid CycloneDX 1\.6 document"):
        validate_cyclonedx_xml(data, source="x")


def test_xml_is_reproducible(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    inventory = catalog([corpus / "python/poetry"])
    first = to_cyclonedx_xml(inventory)
    assert first == to_cyclonedx_xml(catalog([corpus / "python/poetry"]))
    assert b"<timestamp>2023-11-14T22:13:20+00:00</timestamp>" in first
