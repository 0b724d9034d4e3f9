"""Go: the standard library from go.mod's go/toolchain directives, matched against GO records;
a pseudo-version with no tagged base is an uncertain match (issue 17 item 4)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from liturgia.model import Component
from liturgia.sbom.catalogers.gomod import go_release
from liturgia.sbom.inventory import catalog
from liturgia.vuln import AdvisoryDatabase, Severity, scan


def _module(tmp_path: Path, directives: str, requires: str = "") -> Path:
    project = tmp_path / "project"
    project.mkdir(parents=True)
    (project / "go.mod").write_text(
        f"module example.com/app\n\n{directives}\n\n{requires}\n", encoding="utf-8"
    )
    return project


@pytest.mark.parametrize(
    ("directives", "stdlib"),
    [
        ("go 1.16", "pkg:golang/stdlib@1.16.0"),
        ("go 1.21\ntoolchain go1.21.3", "pkg:golang/stdlib@1.21.3"),
        ("go 1.22rc1", "pkg:golang/stdlib@1.22.0-rc.1"),
    ],
)
def test_go_directives_become_the_stdlib_component(
    tmp_path: Path, directives: str, stdlib: str
) -> None:
    inventory = catalog([_module(tmp_path, directives)])
    assert [c.purl for c in inventory.components] == [stdlib]
    assert inventory.dependencies[0].depends_on == (stdlib,)


def test_unreadable_go_version_is_a_warning(tmp_path: Path) -> None:
    inventory = catalog([_module(tmp_path, "go banana")])
    assert inventory.components == ()
    assert inventory.warnings == ("go.mod: unreadable Go version 'banana'; no stdlib component",)


def test_go_release_spellings() -> None:
    assert [go_release(v) for v in ("go1.21.3", "1.21", "go1.21rc2", "go1.9beta1", "v1.2")] == [
        "1.21.3", "1.21.0", "1.21.0-rc.2", "1.9.0-beta.1", None,
    ]  # fmt: skip


def test_source_tree_scan_checks_the_standard_library(
    tmp_path: Path, subset_db: Callable[..., AdvisoryDatabase]
) -> None:
    database = subset_db("go/data/osv/GO-2021-0067.json")  # stdlib: fixed in 1.16.1
    affected = catalog([_module(tmp_path / "a", "go 1.16")]).components
    assert [(f.id, f.name, f.version) for f in scan(affected, database).findings] == [
        ("GO-2021-0067", "stdlib", "1.16.0")
    ]
    fixed = catalog([_module(tmp_path / "b", "go 1.16\ntoolchain go1.16.1")]).components
    assert scan(fixed, database).findings == ()


def test_untagged_pseudo_version_match_is_uncertain(
    subset_db: Callable[..., AdvisoryDatabase],
) -> None:
    database = subset_db("go/data/osv/GO-2020-0001.json")  # gin: fixed in 1.6.0
    pseudo = Component(
        name="github.com/gin-gonic/gin",
        version="v0.0.0-20190301021747-ccb9e902956d",
        purl="pkg:golang/github.com/gin-gonic/gin@v0.0.0-20190301021747-ccb9e902956d",
        ecosystem="Go",
    )
    tagged = Component(
        name="github.com/gin-gonic/gin",
        version="v1.5.1-0.20200101000000-0123456789ab",  # based on v1.5.0: placed reliably
        ecosystem="Go",
    )
    report = scan([pseudo, tagged], database)
    by_version = {f.version: f for f in report.findings}
    assert set(by_version) == {pseudo.version, tagged.version}
    assert by_version[tagged.version].uncertain is None
    reason = by_version[pseudo.version].uncertain
    assert reason is not None and "pseudo-version with no tagged base" in reason
    # Policy decides: blocking by default, reported only when uncertain findings do not block.
    assert len(report.blocking(Severity.LOW)) == 2
    assert [f.version for f in report.blocking(Severity.LOW, uncertain_blocks=False)] == [
        tagged.version
    ]
