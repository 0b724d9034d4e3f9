"""Each artifact cataloged from what it is: a real Go binary, a wheel, an npm lockfile."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from tests.conftest import EXAMPLE

from liturgia import sbom
from liturgia.config import load_config
from liturgia.errors import InputError
from liturgia.model import ComponentType, Dependency, Inventory
from liturgia.release import stages
from liturgia.release.artifact_sboms import (
    artifact_contents,
    release_inventory,
    render_artifact_sbom,
)
from liturgia.release.builds import Built
from liturgia.release.version import Version


@pytest.fixture(scope="module")
def go_binary(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real Go executable of a module with no dependency (standard library only)."""
    go = shutil.which("go")
    assert go, "golang-go is not installed: run scripts/test.sh"
    source = tmp_path_factory.mktemp("hello")
    (source / "go.mod").write_text("module example.test/hello\n\ngo 1.19\n")
    (source / "main.go").write_text('package main\n\nfunc main() { println("hello") }\n')
    out = source / "hello-linux-amd64"
    subprocess.run(
        [go, "build", "-trimpath", "-o", str(out), "."],
        cwd=source,
        env={"PATH": "/usr/bin:/bin", "HOME": str(Path.home()), "GOOS": "linux",
             "GOARCH": "amd64", "CGO_ENABLED": "0", "GOFLAGS": "-buildvcs=false",
             "GOPROXY": "off"},
        check=True,
        capture_output=True,
    )  # fmt: skip
    return out


def test_a_go_binary_contains_its_main_module_and_the_standard_library(go_binary: Path) -> None:
    contents = artifact_contents(
        Built(path=go_binary, build="cli", ecosystem="go"), version="1.4.0"
    )
    assert contents.file.name == "hello-linux-amd64"
    assert contents.file.type is ComponentType.FILE
    names = [(c.name, c.version) for c in contents.contents]
    go_version = subprocess.run(
        ["go", "env", "GOVERSION"], capture_output=True, text=True, check=True
    ).stdout.strip()
    # The main module is (devel) in the binary: the release's version is stamped on it.
    assert names == [("example.test/hello", "1.4.0"), ("stdlib", go_version.removeprefix("go"))]
    assert contents.dependencies[0] == Dependency(
        ref="file:hello-linux-amd64", depends_on=("pkg:golang/example.test/hello@1.4.0",)
    )
    data = render_artifact_sbom(contents)
    sbom.validate_cyclonedx_json(data, source="hello.cdx.json")
    document = json.loads(data)
    assert document["metadata"]["component"]["bom-ref"] == "file:hello-linux-amd64"
    # The classic [build] finds the same from the file's first bytes.
    auto = artifact_contents(
        Built(path=go_binary, build="build", ecosystem="auto"), version="1.4.0"
    )
    assert auto == contents


def test_a_go_build_artifact_without_build_information_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "vcli-linux-amd64"
    fake.write_bytes(b"\x7fELF" + bytes(200))
    with pytest.raises(InputError, match="vcli-linux-amd64: no Go build information"):
        artifact_contents(Built(path=fake, build="cli", ecosystem="go"), version="1.0.0")


def test_an_npm_bundle_contains_the_production_part_of_its_lockfile(tmp_path: Path) -> None:
    bundle = tmp_path / "web-1.0.0.tgz"
    bundle.write_bytes(b"not read: the lockfile says what is inside")
    lockfile = EXAMPLE / "frontend" / "package-lock.json"
    contents = artifact_contents(
        Built(path=bundle, build="web", ecosystem="npm", lockfile=lockfile), version="1.0.0"
    )
    names = {c.name for c in contents.contents}
    assert {"vertice-frontend", "react", "express", "lodash"} <= names
    assert not {"typescript", "eslint", "@types/node"} & names
    assert all(c.found_in == "package-lock.json" for c in contents.contents)
    with pytest.raises(InputError, match=r"builds\[web\]\.lockfile"):
        artifact_contents(Built(path=bundle, build="web", ecosystem="npm"), version="1.0.0")


def test_a_wheel_contains_its_requirements(tmp_path: Path) -> None:
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(
            "demo-1.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: requests==2.32.3\n",
        )
    contents = artifact_contents(Built(path=wheel, build="py", ecosystem="python"), version="1.0")
    assert [(c.name, c.version) for c in contents.contents] == [
        ("demo", "1.0"),
        ("requests", "2.32.3"),
    ]
    generic = artifact_contents(Built(path=wheel, build="py", ecosystem="generic"), version="1")
    assert generic.contents == ()
    assert generic.dependencies == ()


def test_release_inventory_merges_by_ref_and_unites_edges(go_binary: Path) -> None:
    contents = artifact_contents(
        Built(path=go_binary, build="cli", ecosystem="go"), version="1.4.0"
    )
    main = contents.contents[0]
    project = Inventory(
        components=(main,),
        dependencies=(Dependency(ref=main.ref, depends_on=("pkg:golang/other@v1.0.0",)),),
    )
    merged = release_inventory(project, [contents])
    assert [c.name for c in merged.components] == ["example.test/hello", "stdlib"]
    edges = {d.ref: d.depends_on for d in merged.dependencies}
    assert edges["file:hello-linux-amd64"] == (main.ref,)
    assert set(edges[main.ref]) == {"pkg:golang/other@v1.0.0", contents.contents[1].ref}


def test_the_scan_checks_the_standard_library_the_binary_was_linked_with(
    go_binary: Path, tmp_path: Path
) -> None:
    project = tmp_path / "project"
    (project / "cli").mkdir(parents=True)
    (project / "cli" / "go.mod").write_text("module example.test/hello\n\ngo 1.17\n")
    (project / "liturgia.toml").write_text('[project]\nname = "demo"\nsbom_paths = ["cli"]\n')
    staging = tmp_path / "staging"
    staging.mkdir()
    shutil.copy2(go_binary, staging / go_binary.name)
    built = Built(path=staging / go_binary.name, build="cli", ecosystem="go")
    outcome = stages.write_sbom(load_config(project), staging, [built], Version.parse("1.4.0"))
    go_version = subprocess.run(
        ["go", "env", "GOVERSION"], capture_output=True, text=True, check=True
    ).stdout.strip()
    stdlib = sorted(c.version or "" for c in outcome.scanned.components if c.name == "stdlib")
    # go.mod's `go 1.17` line, and the toolchain that really built the binary.
    assert stdlib == sorted(["1.17.0", go_version.removeprefix("go")])
    assert outcome.artifact_sboms == ("hello-linux-amd64.cdx.json",)
    assert (staging / "hello-linux-amd64.cdx.json").is_file()
    edges = {d.ref: d.depends_on for d in outcome.document.dependencies}
    assert edges["file:hello-linux-amd64"] == ("pkg:golang/example.test/hello@1.4.0",)
