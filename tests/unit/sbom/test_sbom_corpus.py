"""Every corpus input: the exact component set, derived from the lockfile itself.

Each expectation is computed here independently of liturgia's catalogers (a plain reading of the
file: ``tomllib``/``json``/line splitting), or written out by hand where the file is hand-written.
"""

from __future__ import annotations

import base64
import json
import re
import tomllib
from pathlib import Path

import pytest

from liturgia.model import ComponentType, Scope
from liturgia.sbom import catalog

from .conftest import SBOM_CORPUS


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def found(directory: Path) -> set[tuple[str, str | None]]:
    inventory = catalog([directory])
    assert inventory.warnings == ()
    return {(c.name, c.version) for c in inventory.components}


def test_uv_lock_every_package_but_the_project(corpus: Path) -> None:
    lock = tomllib.loads((corpus / "python/uv/uv.lock").read_text())
    expected = {
        (norm(p["name"]), p["version"])
        for p in lock["package"]
        if "editable" not in p["source"] and "virtual" not in p["source"]
    }
    assert len(expected) == 52  # Syft finds 0 of these (issue 3)
    inventory = catalog([corpus / "python/uv"])
    assert {(c.name, c.version) for c in inventory.components} == expected
    assert inventory.root is not None
    assert inventory.root.purl == "pkg:pypi/liturgia-py-fixture@0.1.0"
    assert inventory.root.type is ComponentType.APPLICATION
    scopes = {c.purl: c.scope for c in inventory.components}
    assert scopes["pkg:pypi/pytest@9.2.0"] is Scope.EXCLUDED
    assert scopes["pkg:pypi/coverage@7.17.5"] is Scope.EXCLUDED
    assert scopes["pkg:pypi/pyyaml@6.0.4"] is Scope.OPTIONAL
    assert scopes["pkg:pypi/pysocks@1.7.1"] is Scope.REQUIRED  # via requests[socks]
    assert scopes["pkg:pypi/sqlalchemy@2.0.58"] is Scope.REQUIRED
    root_edges = next(d for d in inventory.dependencies if d.ref == inventory.root.ref)
    assert "pkg:pypi/flask@3.1.3" in root_edges.depends_on
    assert {"pkg:pypi/requests@2.32.5", "pkg:pypi/requests@2.34.2"} <= set(root_edges.depends_on)


def test_poetry_lock_with_groups(corpus: Path) -> None:
    lock = tomllib.loads((corpus / "python/poetry/poetry.lock").read_text())
    expected = {(norm(p["name"]), p["version"]) for p in lock["package"]}
    assert found(corpus / "python/poetry") == expected
    inventory = catalog([corpus / "python/poetry"])
    dev_only = {norm(p["name"]) for p in lock["package"] if "main" not in p["groups"]}
    assert {"pytest", "iniconfig", "pluggy"} <= dev_only
    for component in inventory.components:
        want = Scope.EXCLUDED if component.name in dev_only else Scope.REQUIRED
        assert component.scope is want, component.name
    assert inventory.root is not None
    assert inventory.root.name == "liturgia-py-fixture"
    # Edges from the lock: flask depends on werkzeug, jinja2, ...
    flask = next(c for c in inventory.components if c.name == "flask")
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert any("werkzeug" in ref for ref in edges[flask.ref])


def test_pipfile_lock_default_and_develop(corpus: Path) -> None:
    lock = json.loads((corpus / "python/pipenv/Pipfile.lock").read_text())
    expected = {
        (norm(name), entry["version"].removeprefix("==") if entry["version"] != "*" else None)
        for section in ("default", "develop")
        for name, entry in lock[section].items()
    }
    assert found(corpus / "python/pipenv") == expected
    inventory = catalog([corpus / "python/pipenv"])
    scopes = {c.name: c.scope for c in inventory.components}
    for name in lock["develop"]:
        if name not in lock["default"]:
            assert scopes[norm(name)] is Scope.EXCLUDED
    for name in lock["default"]:
        assert scopes[norm(name)] is Scope.REQUIRED


def test_requirements_generated_and_hand_written(corpus: Path) -> None:
    generated = (corpus / "python/requirements/requirements.txt").read_text()
    pins = {
        (norm(m.group(1)), m.group(2))
        for m in re.finditer(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", generated, re.M)
    }
    assert len(pins) == 28
    hand_only = {
        ("numpy", "1.26.4"),
        ("pandas", None),  # ~= 2.2.0: ranged, kept without a version
        ("python-dateutil", None),  # >= : kept
        ("pywin32", "306"),
        ("uvicorn", "0.30.1"),
        ("sqlalchemy", "2.0.30"),
        ("zope-interface", "6.4"),
        ("pillow", "10.3.0"),  # === arbitrary equality
        ("click", None),  # git+https ...#egg=click
        ("local-lib", None),  # -e ./local-lib
    }
    # django, flask, pydantic, rich, typing-extensions, requests: the hand file ranges them and
    # requirements.txt (its -r include) pins them, so the pinned component stands for both.
    assert found(corpus / "python/requirements") == pins | hand_only
    inventory = catalog([corpus / "python/requirements/requirements-hand.txt"])
    purls = {c.purl for c in inventory.components}
    assert "pkg:pypi/pillow@10.3.0" in purls
    assert "pkg:pypi/click?vcs_url=git%2Bhttps://github.com/pallets/click.git%408.1.7" in purls
    assert "pkg:pypi/zope-interface@6.4" in purls
    assert pins <= {(c.name, c.version) for c in inventory.components}  # -r was followed


def test_requirements_freeze(corpus: Path) -> None:
    text = (corpus / "python/venv-freeze/requirements-freeze.txt").read_text()
    expected = {
        (norm(name), version)
        for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)$", text, re.M)
    }
    assert len(expected) == 71 or len(expected) == len(text.splitlines())
    assert found(corpus / "python/venv-freeze") == expected


def npm_expected(lock_path: Path) -> set[tuple[str, str | None]]:
    packages = json.loads(lock_path.read_text())["packages"]
    return {
        (entry.get("name") or key.rsplit("node_modules/", 1)[1], entry["version"])
        for key, entry in packages.items()
        if key and not entry.get("link")
    }


@pytest.mark.parametrize("folder", ["js/npm", "js/npm-large"])
def test_npm_package_lock_v3(corpus: Path, folder: str) -> None:
    lock = corpus / folder / "package-lock.json"
    expected = npm_expected(lock)
    inventory = catalog([corpus / folder])
    assert {(c.name, c.version) for c in inventory.components} == expected
    packages = json.loads(lock.read_text())["packages"]
    dev = {
        (e.get("name") or k.rsplit("node_modules/", 1)[1], e["version"])
        for k, e in packages.items()
        if k and e.get("dev")
    }
    prod = {
        (e.get("name") or k.rsplit("node_modules/", 1)[1], e["version"])
        for k, e in packages.items()
        if k and not e.get("dev")
    }
    for component in inventory.components:
        key = (component.name, component.version)
        if key in dev and key not in prod:
            assert component.scope is Scope.EXCLUDED
        else:
            assert component.scope is not Scope.EXCLUDED
        assert component.hashes and component.hashes[0].algorithm == "SHA-512"
    assert inventory.root is not None and inventory.root.type is ComponentType.APPLICATION
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    manifest = json.loads((corpus / folder / "package.json").read_text())
    direct = {*manifest.get("dependencies", {}), *manifest.get("devDependencies", {})}
    names = {c.ref: c.name for c in inventory.components}
    assert {names[r] for r in edges[inventory.root.ref]} == direct
    assert sum(len(v) for v in edges.values()) > len(inventory.components)


def test_npm_scoped_purls_and_aliases(corpus: Path) -> None:
    inventory = catalog([corpus / "js/npm-large"])
    purls = {c.purl for c in inventory.components}
    assert any(p.startswith("pkg:npm/%40babel/core@") for p in purls if p)
    # node_modules/string-width-cjs is an npm: alias of string-width
    assert not any(p and "string-width-cjs" in p for p in purls)


def go_requires(go_mod: Path) -> set[tuple[str, str]]:
    """Lines ``<module path> v<version>`` inside require blocks or after ``require``, and the
    standard library at the ``go`` directive's release (``go 1.19`` -> ``1.19.0``)."""
    pairs = set()
    for line in go_mod.read_text().splitlines():
        words = line.split("//")[0].split()
        if words[:1] == ["go"]:
            pairs.add(("stdlib", words[1] + ".0"))
        if words[:1] == ["require"]:
            words = words[1:]
        if len(words) == 2 and words[1].startswith("v") and "." in words[0]:
            pairs.add((words[0], words[1]))
    return pairs


@pytest.mark.parametrize("folder", ["go/viper-lib", "go/gocli"])
def test_go_mod(corpus: Path, folder: str) -> None:
    expected = go_requires(corpus / folder / "go.mod")
    assert found(corpus / folder) == expected
    inventory = catalog([corpus / folder])
    assert inventory.root is not None
    assert inventory.root.version is None
    assert "(devel)" not in (inventory.root.purl or "")
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert len(edges[inventory.root.ref]) == len(expected)


def test_go_sum_hashes(corpus: Path) -> None:
    inventory = catalog([corpus / "go/viper-lib"])
    viper_sum = (corpus / "go/viper-lib/go.sum").read_text()
    line = next(
        row for row in viper_sum.splitlines() if row.startswith("github.com/spf13/cast v1.4.1 ")
    )
    want = base64.b64decode(line.split()[2][3:]).hex()
    cast = next(c for c in inventory.components if c.name == "github.com/spf13/cast")
    assert cast.purl == "pkg:golang/github.com/spf13/cast@v1.4.1"
    assert [h.value for h in cast.hashes] == [want]
    xxhash = next(c for c in inventory.components if c.name == "github.com/cespare/xxhash/v2")
    assert xxhash.purl == "pkg:golang/github.com/cespare/xxhash/v2@v2.1.2"


def test_whole_corpus_polyglot(corpus: Path) -> None:
    inventory = catalog([corpus])
    refs = [c.ref for c in inventory.components]
    assert len(refs) == len(set(refs))
    ecosystems = {c.ecosystem for c in inventory.components}
    assert {"PyPI", "npm", "Go"} <= ecosystems


def test_corpus_constant_points_at_the_corpus() -> None:
    assert (SBOM_CORPUS / "README.md").is_file()
