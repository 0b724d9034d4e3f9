"""Licences against the peers on the same real trees: cyclonedx-npm and cyclonedx-py.

Issue 3 asks for licences on at least as many components as @cyclonedx/cyclonedx-npm and
cyclonedx-py (PyPI ``cyclonedx-bom``) find. Both peers are installed from their registries into
temporary folders (never the project's venv, never committed) and run on the trees the other
slow tests build: the 800+ package node_modules and the 150+ distribution venv. A component is
"licensed" when its CycloneDX entry has any licence; "SPDX-coded" when one is an SPDX id or
expression (liturgia: :func:`liturgia.sbom._licence.is_spdx_expression`). Components are
compared by (name, version), names normalized per PEP 503 on the Python side.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from liturgia.sbom import catalog
from liturgia.sbom._licence import is_spdx_expression
from liturgia.sbom._purl import pep503

CYCLONEDX_NPM = "@cyclonedx/cyclonedx-npm@6.0.1"
CYCLONEDX_BOM = "cyclonedx-bom==7.5.0"

Counted = tuple[set[tuple[str, str]], set[tuple[str, str]]]


def peer_counts(document: dict[str, Any], normalize: bool) -> Counted:
    """(licensed, SPDX-coded) (name, version) pairs of a peer's CycloneDX JSON document."""

    def walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for component in components:
            yield component
            yield from walk(component.get("components", []))

    licensed: set[tuple[str, str]] = set()
    coded: set[tuple[str, str]] = set()
    for component in walk(document.get("components", [])):
        name = component["name"]
        if component.get("group"):  # cyclonedx-npm: the scope is the group
            name = f"{component['group']}/{name}"
        key = (pep503(name) if normalize else name, component.get("version", ""))
        choices = component.get("licenses", [])
        if choices:
            licensed.add(key)
        if any("expression" in c or "id" in c.get("license", {}) for c in choices):
            coded.add(key)
    return licensed, coded


def liturgia_counts(paths: list[Path], root: Path) -> Counted:
    """(licensed, SPDX-coded) (name, version) pairs of liturgia's catalog of ``paths``."""
    inventory = catalog(paths, root=root)
    assert inventory.warnings == ()
    licensed = {(c.name, c.version or "") for c in inventory.components if c.licenses}
    coded = {
        (c.name, c.version or "")
        for c in inventory.components
        if any(is_spdx_expression(text) for text in c.licenses)
    }
    return licensed, coded


def report(tool: str, ours: Counted, theirs: Counted) -> None:
    """Print the figures (shown with ``pytest -s`` / ``-rA``)."""
    print(
        f"\n{tool}: licensed liturgia {len(ours[0])} vs {len(theirs[0])}; "
        f"SPDX-coded liturgia {len(ours[1])} vs {len(theirs[1])}"
    )


@pytest.mark.slow
def test_licences_at_least_cyclonedx_npm(
    npm_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """cyclonedx-npm 6.0.1 on the installed tree (it runs ``npm ls``; peer-dep errors ignored,
    as ``--legacy-peer-deps`` installed the tree); liturgia reads the same node_modules."""
    tool = tmp_path_factory.mktemp("cyclonedx-npm")
    subprocess.run(
        ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", CYCLONEDX_NPM],
        cwd=tool,
        check=True,
        capture_output=True,
        timeout=1200,
    )
    output = tool / "bom.json"
    subprocess.run(
        [
            str(tool / "node_modules" / ".bin" / "cyclonedx-npm"),
            "--ignore-npm-errors",
            "--output-format",
            "JSON",
            "--output-file",
            str(output),
        ],
        cwd=npm_project,
        check=True,
        capture_output=True,
        timeout=600,
    )
    theirs = peer_counts(json.loads(output.read_text()), normalize=False)
    ours = liturgia_counts([npm_project / "node_modules"], npm_project)
    report("cyclonedx-npm", ours, theirs)
    assert len(theirs[0]) >= 800  # the peer did read the whole tree
    assert theirs[0] - ours[0] == set()
    assert theirs[1] - ours[1] == set()
    assert len(ours[0]) >= len(theirs[0]) and len(ours[1]) >= len(theirs[1])


@pytest.mark.slow
def test_licences_at_least_cyclonedx_py(
    large_venv: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """cyclonedx-py 7.5.0 ``environment`` on the venv, with and without ``--gather-license-texts``
    (which adds a licence named after each licence file, never an SPDX id)."""
    tool = tmp_path_factory.mktemp("cyclonedx-py") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(tool)], check=True, timeout=300)
    subprocess.run(
        [str(tool / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", CYCLONEDX_BOM],
        check=True,
        capture_output=True,
        timeout=1200,
    )
    ours = liturgia_counts([large_venv], large_venv)
    for extra in ((), ("--gather-license-texts",)):
        output = tool.parent / f"bom{len(extra)}.json"
        subprocess.run(
            [
                str(tool / "bin" / "cyclonedx-py"),
                "environment",
                *extra,
                "-o",
                str(output),
                str(large_venv / "bin" / "python"),
            ],
            check=True,
            capture_output=True,
            timeout=600,
        )
        theirs = peer_counts(json.loads(output.read_text()), normalize=True)
        report(f"cyclonedx-py {' '.join(extra)}".strip(), ours, theirs)
        assert len(theirs[0]) >= 140
        assert theirs[0] - ours[0] == set()
        assert theirs[1] - ours[1] == set()
        assert len(ours[0]) >= len(theirs[0]) and len(ours[1]) >= len(theirs[1])
