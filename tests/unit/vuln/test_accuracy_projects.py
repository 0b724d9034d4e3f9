"""Accuracy end to end: a requirements file and an npm project with known-vulnerable pins,
cataloged by the SBOM engine and scanned against the real corpus (PyPA + GHSA extract).

Expected sets: the PyPA ones are reasoned in ``test_corpus_pypi``; the GHSA PyPI records add
(ranges as stored): requests [0, 2.32.2) GHSA-9wx4-h78v-vm56; jinja2 [0, 3.1.3)
GHSA-h5c8-rqwp-cp95 and [0, 3.1.4) GHSA-h75v-3vvj-5mfj; urllib3 [0, 1.26.19) GHSA-34jh-p97f-mpxf;
cryptography [0, 42.0.0) GHSA-3ww4-gg4f-jr7f and [0, 42.0.2) GHSA-9v9h-cgj8-h64p (but not
GHSA-6vqw-3v5j-54x4 [38.0.0, 42.0.4) nor GHSA-h4gh-qq45-vh27 [37.0.0, 43.0.1): 3.2 is below
both); pillow [0, 10.2.0) GHSA-3f63-hfp8-52jq and [0, 10.3.0) GHSA-44wm-f244-xhp3. The npm
expectations are the GHSA README's table, express 4.16.0's resolved tree included.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.sbom import catalog, to_cyclonedx_json
from liturgia.sbom.formats import read_sbom
from liturgia.vuln import load_osv_directories, scan

from .conftest import copy_subset
from .test_corpus_ghsa_go import GHSA_TABLE
from .test_corpus_pypi import EXPECTED as PYSEC

GHSA_PYPI_EXTRA = {
    "django": set(),
    "requests": {"GHSA-9wx4-h78v-vm56"},
    "pyyaml": set(),
    "jinja2": {"GHSA-h5c8-rqwp-cp95", "GHSA-h75v-3vvj-5mfj"},
    "urllib3": {"GHSA-34jh-p97f-mpxf"},
    "flask": set(),
    "cryptography": {"GHSA-3ww4-gg4f-jr7f", "GHSA-9v9h-cgj8-h64p"},
    "pillow": {"GHSA-3f63-hfp8-52jq", "GHSA-44wm-f244-xhp3"},
}

NPM_PINS = {
    "lodash": "4.17.15", "minimist": "1.2.0", "axios": "0.21.0", "node-fetch": "2.6.0",
    "express": "4.16.0",
    # express 4.16.0's resolved tree
    "body-parser": "1.18.2", "qs": "6.5.1", "cookie": "0.3.1", "path-to-regexp": "0.1.7",
    "send": "0.16.0", "serve-static": "1.13.0", "debug": "2.6.9", "ms": "2.0.0",
    "fresh": "0.5.2", "mime": "1.4.1",
}  # fmt: skip


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "requirements.txt").write_text(
        "".join(f"{name}=={version}\n" for name, version in sorted(PYSEC))
    )
    front = root / "frontend"
    front.mkdir()
    direct = ("lodash", "minimist", "axios", "node-fetch", "express")
    packages: dict[str, object] = {
        "": {"name": "front", "version": "1.0.0",
             "dependencies": {name: NPM_PINS[name] for name in direct}},
    }  # fmt: skip
    for name, version in NPM_PINS.items():
        packages[f"node_modules/{name}"] = {"version": version}
    (front / "package.json").write_text(
        json.dumps(
            {"name": "front", "version": "1.0.0", "dependencies": packages[""]["dependencies"]}
        )  # type: ignore[index]
    )
    (front / "package-lock.json").write_text(
        json.dumps(
            {
                "name": "front",
                "version": "1.0.0",
                "lockfileVersion": 3,
                "requires": True,
                "packages": packages,
            }
        )
    )
    return root


def test_requirements_and_npm_project(project: Path, tmp_path: Path) -> None:
    osv = copy_subset(tmp_path / "osv", *(f"pypi/vulns/{name}" for name, _version in PYSEC), "ghsa")
    inventory = catalog([project])
    report = scan(inventory.components, load_osv_directories([osv]))
    found: dict[tuple[str, str], set[str]] = {}
    for component in inventory.components:
        found[(component.name.lower(), component.version or "")] = set()
    for finding in report.findings:
        found[(finding.name.lower(), finding.version)].add(finding.id)
    for (name, version), ids in PYSEC.items():
        assert found[(name, version)] == ids | GHSA_PYPI_EXTRA[name], name
    for name, version in NPM_PINS.items():
        assert found[(name, version)] == GHSA_TABLE[("npm", name, version)], name
    assert report.unchecked == ()


def test_scanning_our_own_sbom_gives_the_same_findings(project: Path, tmp_path: Path) -> None:
    # The SBOM engine's CycloneDX output, read back as scan input, yields the same answer.
    osv = copy_subset(tmp_path / "osv", "pypi/vulns/jinja2", "ghsa")
    database = load_osv_directories([osv])
    inventory = catalog([project])
    direct = scan(inventory.components, database)
    sbom = read_sbom(to_cyclonedx_json(inventory), source="sbom.cdx.json").components
    via_sbom = scan(sbom, database)
    assert [(f.purl, f.id) for f in via_sbom.findings] == [(f.purl, f.id) for f in direct.findings]
    assert len(direct.findings) > 10
