"""Installed Python environments: a real virtual environment, and hand-made metadata."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.errors import InputError
from liturgia.sbom import catalog
from liturgia.sbom._licence import is_spdx_expression
from liturgia.sbom._purl import pep503
from liturgia.sbom.environments import python_site_packages, site_packages_of

VENV = Path(sys.prefix)


def test_the_running_virtualenv_equals_pip_list() -> None:
    listed = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "list",
                "--format",
                "json",
                "--disable-pip-version-check",
            ],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    )
    expected = {(pep503(d["name"]), d["version"]) for d in listed}
    inventory = catalog([VENV])
    assert inventory.warnings == ()
    assert {(c.name, c.version) for c in inventory.components} == expected
    assert len(expected) >= 50
    with_licence = sum(1 for c in inventory.components if c.licenses)
    assert with_licence >= len(expected) - 2
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    pydantic = next(c for c in inventory.components if c.name == "pydantic")
    assert any(t.startswith("pkg:pypi/pydantic-core@") for t in edges[pydantic.ref])


def test_python_site_packages() -> None:
    assert python_site_packages(VENV / "bin" / "python") == site_packages_of(VENV)
    system = python_site_packages(Path("/usr/bin/python3"))  # asks the interpreter
    assert all(p.is_dir() for p in system)
    with pytest.raises(InputError, match="interpreter not found"):
        python_site_packages(Path("/nonexistent/python"))
    with pytest.raises(InputError, match="cannot ask the interpreter"):
        python_site_packages(Path("/bin/false"))


def dist(site: Path, folder: str, metadata: str, files: dict[str, str] | None = None) -> None:
    directory = site / folder
    directory.mkdir(parents=True)
    name = "PKG-INFO" if folder.endswith(".egg-info") else "METADATA"
    (directory / name).write_text(textwrap.dedent(metadata).lstrip())
    for file, text in (files or {}).items():
        (directory / file).write_text(text)


def test_metadata_licences_edges_and_direct_urls(tmp_path: Path) -> None:
    site = tmp_path / "site-packages"
    dist(
        site,
        "a-1.0.dist-info",
        """
        Metadata-Version: 2.4
        Name: A
        Version: 1.0
        License-Expression: MIT OR Apache-2.0
        License: ignored
        Requires-Dist: b>=1
        Requires-Dist: missing
        Requires-Dist: c[x]; extra == "y"
        Requires-Dist: not valid (((
        """,
    )
    dist(
        site,
        "b-2.0.dist-info",
        """
        Metadata-Version: 2.1
        Name: b
        Version: 2.0
        License: BSD-3-Clause
        Classifier: License :: OSI Approved :: MIT License
        """,
        files={
            "direct_url.json": '{"url": "https://example.invalid/b.git", '
            '"vcs_info": {"vcs": "git", "commit_id": "abc"}}'
        },
    )
    dist(
        site,
        "c-3.0.dist-info",
        """
        Metadata-Version: 2.1
        Name: c
        Version: 3.0
        License: LONG_TEXT
        Classifier: License :: OSI Approved :: BSD License
        Classifier: License :: OSI Approved :: MIT License
        Classifier: License :: OSI Approved
        """.replace("LONG_TEXT", "Permission is hereby granted, free of charge, " * 4),
        files={
            "direct_url.json": '{"url": "https://example.invalid/c.tar.gz", "archive_info": {}}'
        },
    )
    dist(
        site,
        "d-4.0.dist-info",
        """
        Metadata-Version: 2.1
        Name: d
        Version: 4.0
        License: My Own Licence
        """,
        files={"direct_url.json": '{"url": "file:///src/d", "dir_info": {"editable": true}}'},
    )
    dist(
        site,
        "e-5.0.egg-info",
        """
        Metadata-Version: 1.1
        Name: e
        Version: 5.0
        License: UNKNOWN
        """,
        files={"requires.txt": "a\n# comment\n[extra]\nb\n[:sys_platform == 'linux']\nc\n"},
    )
    (site / "f-6.0.egg-info").write_text("Metadata-Version: 1.0\nName: f\nVersion: 6.0\n")
    dist(site, "broken.dist-info", "Metadata-Version: 2.1\nName: broken\n")
    (site / "not-metadata.txt").write_text("x")
    inventory = catalog([site])
    found = {c.name: c for c in inventory.components}
    assert {n: c.licenses for n, c in found.items()} == {
        "a": ("MIT OR Apache-2.0",),
        "b": ("BSD-3-Clause",),
        "c": ("BSD License", "MIT"),
        "d": ("My Own Licence",),
        "e": (),
        "f": (),
    }
    assert found["b"].purl == "pkg:pypi/b@2.0?vcs_url=git%2Bhttps://example.invalid/b.git%40abc"
    assert found["c"].purl == "pkg:pypi/c@3.0?download_url=https://example.invalid/c.tar.gz"
    assert found["d"].purl == "pkg:pypi/d@4.0"
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    # missing is not installed: no edge; c is reached although only for an extra (documented)
    assert edges["pkg:pypi/a@1.0"] == tuple(sorted((found["b"].ref, found["c"].ref)))
    # requires.txt: a (unconditional) and c (marker section), not b (an extra's)
    assert edges["pkg:pypi/e@5.0"] == tuple(sorted(("pkg:pypi/a@1.0", found["c"].ref)))
    text = "\n".join(inventory.warnings)
    assert "invalid Requires-Dist 'not valid (((" in text
    assert "broken.dist-info/METADATA: core metadata without Name or Version" in text


def test_cli_python_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sbom", "--python", str(VENV / "bin" / "python"), "-o", "cyclonedx-json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert any(c["name"] == "packaging" for c in doc["components"])


def test_spdx_expression_check() -> None:
    assert is_spdx_expression("MIT OR Apache-2.0")
    assert not is_spdx_expression("  ")
    assert not is_spdx_expression("Apache License, Version 2.0")  # the library raises here
    assert not is_spdx_expression("My Own Licence")


def test_non_ascii_metadata(tmp_path: Path) -> None:
    # jupyterlab_widgets 3.0.x: a non-ASCII author made the byte parser return Header objects.
    site = tmp_path / "site-packages"
    (site / "w-3.0.dist-info").mkdir(parents=True)
    (site / "w-3.0.dist-info" / "METADATA").write_bytes(
        "Metadata-Version: 2.1\nName: w\nVersion: 3.0\nAuthor: Jürgen Ñandú\n"
        "License: BSD-3-Clause\nRequires-Dist: ünïcode-dep\n".encode()
    )
    inventory = catalog([site])
    # A non-ASCII project name is not PEP 508: one warning, on one line.
    assert inventory.warnings == (
        "w-3.0.dist-info/METADATA: invalid Requires-Dist 'ünïcode-dep': "
        "Expected package name at the start of dependency specifier",
    )
    assert [(c.name, c.version, c.licenses) for c in inventory.components] == [
        ("w", "3.0", ("BSD-3-Clause",))
    ]


@pytest.mark.slow
def test_large_virtualenv_from_pypi_equals_pip_list(large_venv: Path) -> None:
    """A fresh venv from PyPI: the corpus's 71 pins, Jupyter and Matplotlib (150+ dists)."""
    python = large_venv / "bin" / "python"
    listed = json.loads(
        subprocess.run(
            [str(python), "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
            capture_output=True,
            check=True,
            text=True,
        ).stdout
    )
    expected = {(pep503(d["name"]), d["version"]) for d in listed}
    assert len(expected) >= 150
    inventory = catalog([large_venv])
    assert inventory.warnings == ()
    assert {(c.name, c.version) for c in inventory.components} == expected
    assert all(c.licenses for c in inventory.components)
    assert sum(len(d.depends_on) for d in inventory.dependencies) > len(expected)
