"""Reading CycloneDX back, merging SBOMs and diffing them (for release notes)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Inventory, Scope
from liturgia.sbom import (
    catalog,
    diff_inventories,
    merge_inventories,
    read_sbom,
    to_cyclonedx_json,
)


def test_round_trip_of_every_field(corpus: Path) -> None:
    inventory = catalog([corpus / "js/npm"])
    back = read_sbom(to_cyclonedx_json(inventory), source="x")
    assert back.root == inventory.root
    assert set(back.components) == set(inventory.components)
    assert {d.ref: d.depends_on for d in back.dependencies if d.depends_on} == {
        d.ref: d.depends_on for d in inventory.dependencies if d.depends_on
    }


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"{", "not JSON"),
        (b'{"bomFormat": "SPDX"}', "not a CycloneDX document"),
        (b'{"bomFormat": "CycloneDX", "components": [{"version": "1"}]}', "components\\[0\\]"),
    ],
)
def test_read_rejects(data: bytes, reason: str) -> None:
    with pytest.raises(InputError, match=f"^f: .*{reason}"):
        read_sbom(data, source="f")


def test_read_tolerates_other_tools_shapes() -> None:
    doc = {
        "bomFormat": "CycloneDX",
        "components": [
            {
                "name": "a",
                "type": "weird",
                "scope": "nope",
                "evidence": [],
                "hashes": "x",
                "licenses": [{"license": {"name": "Custom"}}, {"expression": "MIT"}, 5],
            },
        ],
        "dependencies": [{"ref": "a@", "dependsOn": "zz"}, {"no": "ref"}],
    }
    inventory = read_sbom(json.dumps(doc).encode(), source="s")
    (component,) = inventory.components
    assert component.type is ComponentType.LIBRARY and component.scope is Scope.REQUIRED
    assert component.licenses == ("Custom", "MIT") and component.bom_ref == "a@"
    assert inventory.dependencies[0].depends_on == ()


def lib(name: str, version: str | None, **kw: object) -> Component:
    purl = f"pkg:npm/{name}" + (f"@{version}" if version else "")
    return Component(name=name, version=version, purl=purl, bom_ref=purl, **kw)  # type: ignore[arg-type]


def test_diff_kinds() -> None:
    old = Inventory(
        components=(
            lib("up", "1.9.0"),
            lib("down", "2.0.0"),
            lib("gone", "1.0.0"),
            lib("lic", "1.0.0", licenses=("MIT",)),
            lib("go", "v1.2.0"),
            lib("multi", "1.0.0"),
            lib("multi", "2.0.0"),
            lib("weird", "1.0.0-beta.x"),
            Component(
                name="app.whl", version=None, type=ComponentType.FILE, bom_ref="file:app.whl"
            ),
            Component(name="nopurl", version="1", bom_ref="nopurl"),
        )
    )
    new = Inventory(
        components=(
            lib("up", "1.10.0"),
            lib("down", "1.0.0"),
            lib("new", "3.0.0"),
            lib("lic", "1.0.0", licenses=("Apache-2.0",)),
            lib("go", "v1.10.0"),
            lib("multi", "2.0.0"),
            lib("multi", "3.0.0"),
            lib("weird", "1.0.0-beta.y"),
            Component(name="nopurl", version="2", bom_ref="nopurl2"),
        )
    )
    diff = diff_inventories(old, new)
    assert [(c.name, c.old, c.new) for c in diff.upgraded] == [
        ("go", "v1.2.0", "v1.10.0"),
        ("multi", "1.0.0", "3.0.0"),
        ("nopurl", "1", "2"),
        ("up", "1.9.0", "1.10.0"),
        ("weird", "1.0.0-beta.x", "1.0.0-beta.y"),
    ]
    assert [(c.name, c.old, c.new) for c in diff.downgraded] == [("down", "2.0.0", "1.0.0")]
    assert [(c.name, c.version) for c in diff.added] == [("new", "3.0.0")]
    assert [(c.name, c.version) for c in diff.removed] == [("gone", "1.0.0")]
    assert [(c.name, c.old, c.new) for c in diff.licence_changes] == [
        ("lic", ("MIT",), ("Apache-2.0",))
    ]
    assert not diff.empty
    assert diff_inventories(new, new).empty


def test_merge_inventories(corpus: Path) -> None:
    py = catalog([corpus / "python/poetry"])
    go = catalog([corpus / "go/gocli"])
    merged = merge_inventories([py, go])
    assert merged.root == py.root
    refs = {c.ref for c in merged.components}
    assert go.root is not None and go.root.ref in refs
    assert {c.ref for c in py.components} | {c.ref for c in go.components} <= refs


def test_cli_diff_and_merge(
    corpus: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new, merged = tmp_path / "old.json", tmp_path / "new.json", tmp_path / "m.json"
    assert main(["sbom", str(corpus / "python/poetry"), "-o", f"cyclonedx-json={old}"]) == 0
    assert main(["sbom", str(corpus / "python/pipenv"), "-o", f"cyclonedx-json={new}"]) == 0
    capsys.readouterr()
    assert main(["sbom", "diff", str(old), str(new)]) == 0
    out = capsys.readouterr().out
    assert "^ pydantic 2.13.5 -> 2.14.4\n" in out and "- colorama 0.4.6\n" in out
    assert main(["sbom", "diff", str(old), str(new), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {
        "name": "pydantic",
        "purl": "pkg:pypi/pydantic@2.14.4",
        "old": "2.13.5",
        "new": "2.14.4",
    } in doc["upgraded"]
    assert main(["sbom", "diff", str(old), str(old)]) == 0
    assert capsys.readouterr().out == "no changes\n"
    assert main(["sbom", "merge", str(old), str(new), "-o", f"spdx-json={merged}"]) == 0
    assert main(["sbom", "validate", str(merged)]) == 0
    assert main(["sbom", "diff", str(old)]) == 2
    assert main(["sbom", "merge"]) == 2
    (tmp_path / "l.json").write_text('{"components": [], "dependencies": [], "licenses": []}')
    new_doc = json.loads(new.read_text())
    new_doc["components"][0]["licenses"] = [{"license": {"id": "MIT"}}]
    new.write_text(json.dumps(new_doc))
    assert main(["sbom", "diff", str(new), str(new)]) == 0
