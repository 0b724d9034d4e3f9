"""Against Syft 1.18.1's output on the corpus: what Syft finds and liturgia misses, and each of
the Syft faults issue 3 lists, as a test liturgia gets right."""

from __future__ import annotations

import json
from pathlib import Path

import pip
import pytest
from packageurl import PackageURL

from liturgia.model import Scope
from liturgia.sbom import catalog, to_cyclonedx_json

from .conftest import SBOM_CORPUS

EXPECTED = sorted(SBOM_CORPUS.rglob("expected.syft-1.18.1.cdx.json"))

#: Components Syft reports that liturgia does not, each with the reason Syft is wrong.
SYFT_WRONG = {
    # Syft splits a Go module path into purl name and *subpath* (``#v2``, ``#api``): the subpath
    # is a path inside a package (purl spec "subpath"), but these are parts of the module path.
    # liturgia writes the module path whole: pkg:golang/github.com/cespare/xxhash/v2@v2.1.2.
    "go/viper-lib": {
        "pkg:golang/github.com/cespare/xxhash@v2.1.2#v2": "module path in the subpath",
        "pkg:golang/github.com/cncf/udpa@v0.0.0-20210930031921-04548b0d99d4#go": "subpath",
        "pkg:golang/github.com/cncf/xds@v0.0.0-20211130200136-a8f946100490#go": "subpath",
        "pkg:golang/github.com/googleapis/gax-go@v2.1.1#v2": "module path in the subpath",
        "pkg:golang/github.com/hashicorp/consul@v1.12.0#api": "module path in the subpath",
        "pkg:golang/go.etcd.io/etcd/api@v3.5.1#v3": "module path in the subpath",
        "pkg:golang/go.etcd.io/etcd/client@v2.305.1#v2": "module path in the subpath",
        "pkg:golang/go.etcd.io/etcd/client@v3.5.1#pkg/v3": "module path in the subpath",
    },
    # Pipfile.lock's "version": "*" is not a version; liturgia keeps tomli without one.
    "python/pipenv": {"pkg:pypi/tomli@*": "'*' is a range, not a version"},
    # PEP 440 "===" is an operator; Syft keeps its last "=" in the version.
    "python/requirements": {"pkg:pypi/pillow@=10.3.0": "'=10.3.0' is not a version"},
}


def purls_of(document: dict[str, object]) -> set[str]:
    components = document.get("components", [])
    assert isinstance(components, list)
    return {c["purl"] for c in components if isinstance(c, dict) and "purl" in c}


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: str(p.parent.relative_to(SBOM_CORPUS)))
def test_nothing_syft_finds_is_missed(expected: Path) -> None:
    folder = str(expected.parent.relative_to(SBOM_CORPUS))
    syft = purls_of(json.loads(expected.read_text()))
    inventory = catalog([expected.parent])
    ours = {c.purl for c in inventory.components} | {inventory.root.purl if inventory.root else ""}
    missed = syft - ours
    justified = SYFT_WRONG.get(folder, {})
    assert missed == set(justified), (
        f"{folder}: Syft finds, liturgia misses: {missed - set(justified)}"
    )
    # Each justified difference is the same package, named correctly by liturgia.
    names = {(c.name, c.version) for c in inventory.components}
    for purl in justified:
        wrong = PackageURL.from_string(purl)
        if wrong.type == "golang":
            module = f"{wrong.namespace}/{wrong.name}/{wrong.subpath}"
            assert (module, wrong.version) in names
        else:
            assert any(n == wrong.name for n, _ in names)


def test_uv_lock_all_53_packages(corpus: Path) -> None:
    inventory = catalog([corpus / "python/uv/uv.lock"])
    assert inventory.root is not None
    assert len(inventory.components) + 1 == 53  # Syft: 0


def test_arbitrary_equality_purl(corpus: Path) -> None:
    inventory = catalog([corpus / "python/requirements/requirements-hand.txt"])
    pillow = next(c for c in inventory.components if c.name == "pillow")
    assert pillow.purl == "pkg:pypi/pillow@10.3.0"
    assert PackageURL.from_string(pillow.purl).version == "10.3.0"


def test_ranged_unpinned_vcs_editable_and_includes_are_kept(corpus: Path) -> None:
    inventory = catalog([corpus / "python/requirements/requirements-hand.txt"])
    by_name = {c.name: c for c in inventory.components}
    assert by_name["pandas"].version is None  # ~= range
    assert by_name["python-dateutil"].version is None  # >= range
    vcs = [c.purl for c in inventory.components if c.name == "click" and c.version is None]
    assert vcs == ["pkg:pypi/click?vcs_url=git%2Bhttps://github.com/pallets/click.git%408.1.7"]
    assert "local-lib" in by_name  # -e ./local-lib
    assert by_name["markupsafe"].found_in == "requirements.txt"  # reached through -r


@pytest.mark.parametrize(
    ("folder", "dev_names"),
    [
        ("js/yarn", {"typescript", "eslint"}),
        ("js/pnpm", {"typescript", "eslint"}),
        ("js/npm", {"typescript", "eslint"}),
        ("python/poetry", {"pytest"}),
        ("python/pipenv", {"pytest"}),
        ("ruby", {"rake"}),
        ("php", {"phpunit/phpunit"}),
    ],
)
def test_one_dev_policy_everywhere(corpus: Path, folder: str, dev_names: set[str]) -> None:
    inventory = catalog([corpus / folder])
    scopes = {c.name: c.scope for c in inventory.components}
    for name in dev_names:
        assert scopes[name] is Scope.EXCLUDED  # included, and marked
    dropped = catalog([corpus / folder], exclude_dev=True)
    assert dev_names.isdisjoint(c.name for c in dropped.components)
    doc = json.loads(to_cyclonedx_json(inventory))
    assert {c["name"] for c in doc["components"] if c.get("scope") == "excluded"} >= dev_names


@pytest.mark.parametrize(
    "folder",
    [
        "js/npm",
        "js/yarn",
        "js/pnpm",
        "go/viper-lib",
        "ruby",
        "php",
        "python/poetry",
        "python/uv",
        "rust",
    ],
)
def test_edges_wherever_the_format_records_them(corpus: Path, folder: str) -> None:
    inventory = catalog([corpus / folder])
    edges = sum(len(d.depends_on) for d in inventory.dependencies)
    assert edges >= len(inventory.components) // 2, edges


def test_no_launchers_or_workflows_as_packages(tmp_path: Path) -> None:
    distlib = Path(pip.__file__).parent / "_vendor" / "distlib"
    assert list(distlib.glob("*.exe"))  # pip's bundled Windows launchers
    workflows = tmp_path / "dep" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text(
        "on: push\njobs: {build: {runs-on: x, steps: [{uses: actions/checkout@v4}]}}\n"
    )
    assert catalog([distlib, tmp_path]).components == ()


def test_go_root_has_no_devel_version(corpus: Path) -> None:
    for folder in ("go/gocli", "go/viper-lib"):
        data = to_cyclonedx_json(catalog([corpus / folder]))
        assert b"(devel)" not in data
