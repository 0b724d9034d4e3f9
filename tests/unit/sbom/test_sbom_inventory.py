"""The scan and the merge: walking, bad inputs as warnings, one dev/duplicate policy."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.model import Component, ComponentType, Dependency, Hash, Scope
from liturgia.sbom import CatalogResult, catalog
from liturgia.sbom.cataloger import MAX_FILE_BYTES
from liturgia.sbom.catalogers import GoModCataloger
from liturgia.sbom.inventory import merge


def lib(name: str, version: str | None, **kw: object) -> Component:
    purl = f"pkg:pypi/{name}" + (f"@{version}" if version else "")
    return Component(name=name, version=version, purl=purl, bom_ref=purl, ecosystem="PyPI", **kw)  # type: ignore[arg-type]


def test_merge_rules() -> None:
    root = lib("app", "1.0", type=ComponentType.APPLICATION)
    a = CatalogResult(
        root=root,
        components=(lib("x", None), lib("y", "1", scope=Scope.EXCLUDED)),
        dependencies=(Dependency(ref=root.ref, depends_on=("pkg:pypi/x", "pkg:pypi/y@1")),),
    )
    b = CatalogResult(
        root=lib("app", "1.0", licenses=("MIT",)),
        components=(
            lib("x", "2", hashes=(Hash(algorithm="SHA-256", value="a" * 64),)),
            lib("x", "3"),
            lib("y", "1", scope=Scope.REQUIRED, licenses=("MIT",)),
            lib(
                "y", "1", scope=Scope.OPTIONAL, hashes=(Hash(algorithm="SHA-256", value="b" * 64),)
            ),
        ),
        dependencies=(
            Dependency(ref="pkg:pypi/x@2", depends_on=("pkg:pypi/x@2", "pkg:pypi/gone")),
        ),
    )
    nested = CatalogResult(
        root=Component(
            name="front",
            version="1",
            purl="pkg:npm/front@1",
            bom_ref="pkg:npm/front@1",
            ecosystem="npm",
        )
    )
    inventory = merge([(0, a), (0, b), (2, nested)], warnings=("w",))
    assert inventory.root is not None
    assert inventory.root.licenses == ("MIT",) and inventory.root.type is ComponentType.APPLICATION
    refs = [c.ref for c in inventory.components]
    assert refs == ["pkg:npm/front@1", "pkg:pypi/x@2", "pkg:pypi/x@3", "pkg:pypi/y@1"]
    y = inventory.components[-1]
    assert y.scope is Scope.REQUIRED and y.licenses == ("MIT",) and len(y.hashes) == 1
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    # the version-less x is re-pointed at both pinned x's; the sub-project hangs off the root
    assert edges[root.ref] == ("pkg:npm/front@1", "pkg:pypi/x@2", "pkg:pypi/x@3", "pkg:pypi/y@1")
    assert edges["pkg:pypi/x@2"] == ()
    assert inventory.warnings == ("w",)


def test_walk_skips_folders_and_finds_nested(tmp_path: Path) -> None:
    (tmp_path / "node_modules/a").mkdir(parents=True)
    (tmp_path / "node_modules/a/requirements.txt").write_text("hidden==1\n")
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv/requirements.txt").write_text("hidden==2\n")
    (tmp_path / "svc/deep").mkdir(parents=True)
    (tmp_path / "svc/deep/requirements.txt").write_text("seen==1\n")
    inventory = catalog([tmp_path])
    assert [(c.name, c.found_in) for c in inventory.components] == [
        ("seen", "svc/deep/requirements.txt")
    ]


def test_polyglot_root_is_the_shallowest_project(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "backend"\nversion = "2.0"\n')
    (tmp_path / "web").mkdir()
    (tmp_path / "web/package-lock.json").write_text(
        json.dumps({"lockfileVersion": 3, "packages": {"": {"name": "web", "version": "1.0.0"}}})
    )
    (tmp_path / "cmd").mkdir()
    (tmp_path / "cmd/go.mod").write_text("module example.com/cmd\n")
    inventory = catalog([tmp_path])
    assert inventory.root is not None and inventory.root.purl == "pkg:pypi/backend@2.0"
    assert {c.purl: c.type for c in inventory.components} == {
        "pkg:golang/example.com/cmd": ComponentType.APPLICATION,
        "pkg:npm/web@1.0.0": ComponentType.APPLICATION,
    }
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert set(edges[inventory.root.ref]) == {"pkg:golang/example.com/cmd", "pkg:npm/web@1.0.0"}


def test_bad_inputs_are_warnings(tmp_path: Path) -> None:
    (tmp_path / "package-lock.json").write_bytes(os.urandom(64) + b"\x00\xff")
    (tmp_path / "poetry.lock").write_text('[[package]]\nname = "x"\nversion = ')  # truncated
    (tmp_path / "uv.lock").write_text("version = 99\n")
    (tmp_path / "loop").mkdir()
    (tmp_path / "loop/self").symlink_to(tmp_path / "loop")  # a symlink loop: not followed
    (tmp_path / "Pipfile.lock").symlink_to(tmp_path / "missing-target")
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "requirements.txt").write_text("secret==1\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub/requirements.txt").symlink_to(outside / "requirements.txt")
    (tmp_path / "linked-out").symlink_to(outside, target_is_directory=True)
    big = tmp_path / "go.mod"
    with big.open("wb") as handle:
        handle.truncate(1 << 30)  # a 1 GiB file, sparse: no disk used
    (tmp_path / "requirements.txt").write_text("fine==1.0\n")
    inventory = catalog([tmp_path, tmp_path / "nope.lock"], root=tmp_path)
    assert [c.purl for c in inventory.components] == ["pkg:pypi/fine@1.0"]
    text = "\n".join(inventory.warnings)
    assert "package-lock.json: not valid JSON" in text
    assert "poetry.lock: not valid TOML" in text
    assert "uv.lock: unsupported uv.lock version 99" in text
    assert "Pipfile.lock: broken or looping symlink" in text
    assert "sub/requirements.txt: symlink to" in text and "outside the scan root" in text
    assert f"go.mod: {1 << 30} bytes, larger than the {MAX_FILE_BYTES}-byte limit" in text
    assert "nope.lock: not found" in text
    assert "linked-out: symlink to" in text and "outside the scan root, not followed" in text
    assert len(inventory.warnings) == 8
    with pytest.raises(InputError, match=r"\(and 7 more warnings\)"):
        catalog([tmp_path, tmp_path / "nope.lock"], root=tmp_path, strict=True)


def test_strict_single_warning(tmp_path: Path) -> None:
    (tmp_path / "uv.lock").write_text("version = 99\n")
    with pytest.raises(InputError, match=r"^uv\.lock: unsupported uv\.lock version 99$"):
        catalog([tmp_path], strict=True)


def test_unreadable_file() -> None:
    # Tests run as root, who reads any mode; /proc/self/mem refuses reads at offset 0 (EIO).
    with pytest.raises(InputError, match=r"^go\.mod: cannot read: "):
        GoModCataloger().catalog(Path("/proc/self/mem"), found_in="go.mod")


def test_shape_errors_name_the_cataloger(tmp_path: Path) -> None:
    # JSON of the right type in the wrong place surfaces as a malformed-file warning.
    (tmp_path / "Pipfile.lock").write_text('{"default": {"six": {"version": 3, "hashes": 5}}}')
    inventory = catalog([tmp_path])
    assert inventory.warnings == (
        "Pipfile.lock: malformed python-pipfile-lock: TypeError(\"'int' object is not iterable\")",
    )


def test_empty_and_relative_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert catalog([]).components == ()
    (tmp_path / "requirements.txt").write_text("a==1\n")
    monkeypatch.chdir(tmp_path)
    inventory = catalog([Path()])
    assert [c.found_in for c in inventory.components] == ["requirements.txt"]


def test_every_warning_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "pnpm-lock.yaml").write_text("lockfileVersion: '9.0'\npackages: [\n  a: b\n")
    (tmp_path / "yarn.lock").write_text("__metadata:\n  version: [\n")
    (tmp_path / "requirements.txt").write_text("ünïcode==1\n")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\ndependencies = ["((("]\n')
    inventory = catalog([tmp_path])
    assert len(inventory.warnings) == 4
    assert all("\n" not in w for w in inventory.warnings)
