"""NuGet packages.lock.json, Maven pom.xml, Gradle lockfiles and pdm.lock."""

from __future__ import annotations

import base64
import hashlib
import json
import textwrap
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.model import ComponentType, Scope
from liturgia.sbom import catalog
from liturgia.sbom.catalogers import (
    GradleLockCataloger,
    MavenPomCataloger,
    NugetLockCataloger,
    PdmLockCataloger,
)

CONTENT_HASH = base64.b64encode(hashlib.sha512(b"nupkg").digest()).decode()

NUGET = {
    "version": 1,
    "dependencies": {
        "net6.0": {
            "Newtonsoft.Json": {
                "type": "Direct",
                "requested": "[13.0.1, )",
                "resolved": "13.0.1",
                "contentHash": CONTENT_HASH,
            },
            "Serilog": {
                "type": "Direct",
                "resolved": "3.1.1",
                "contentHash": "!!",
                "dependencies": {"Newtonsoft.Json": "13.0.1", "Gone": "1.0"},
            },
            "MyLib": {"type": "Project", "dependencies": {"Serilog": "3.1.1"}},
        },
        "net8.0": {"Newtonsoft.Json": {"type": "Transitive", "resolved": "13.0.1"}},
    },
}

POM = """<?xml version="1.0"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <parent><groupId>org.example</groupId><artifactId>parent</artifactId><version>2.0</version></parent>
  <artifactId>app</artifactId>
  <properties><jackson.version>2.17.0</jackson.version></properties>
  <dependencies>
    <dependency><groupId>com.fasterxml.jackson.core</groupId><artifactId>jackson-databind</artifactId>
      <version>${jackson.version}</version></dependency>
    <dependency><groupId>org.example</groupId><artifactId>sibling</artifactId>
      <version>${project.version}</version><optional>true</optional></dependency>
    <dependency><groupId>junit</groupId><artifactId>junit</artifactId><version>4.13.2</version>
      <scope>test</scope></dependency>
    <dependency><groupId>org.managed</groupId><artifactId>bom-managed</artifactId></dependency>
    <dependency><groupId>x</groupId><artifactId>y</artifactId><version>${unknown}</version></dependency>
    <dependency><artifactId>nogroup</artifactId></dependency>
    <!-- a comment -->
  </dependencies>
</project>
"""


def test_nuget(tmp_path: Path) -> None:
    (tmp_path / "packages.lock.json").write_text(json.dumps(NUGET))
    inventory = catalog([tmp_path])
    found = {c.purl: c for c in inventory.components}
    assert set(found) == {"pkg:nuget/Newtonsoft.Json@13.0.1", "pkg:nuget/Serilog@3.1.1"}
    assert found["pkg:nuget/Newtonsoft.Json@13.0.1"].hashes[0].value == (
        hashlib.sha512(b"nupkg").hexdigest()
    )
    assert found["pkg:nuget/Serilog@3.1.1"].hashes == ()
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert edges["pkg:nuget/Serilog@3.1.1"] == ("pkg:nuget/Newtonsoft.Json@13.0.1",)
    with pytest.raises(InputError, match=r"unsupported packages\.lock\.json version"):
        NugetLockCataloger().parse(b'{"version": 3}', path=tmp_path, found_in="p")


def test_maven_pom(tmp_path: Path) -> None:
    (tmp_path / "pom.xml").write_text(POM)
    inventory = catalog([tmp_path])
    assert inventory.root is not None
    assert inventory.root.purl == "pkg:maven/org.example/app@2.0"
    assert inventory.root.type is ComponentType.APPLICATION
    assert {c.purl: c.scope for c in inventory.components} == {
        "pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.17.0": Scope.REQUIRED,
        "pkg:maven/org.example/sibling@2.0": Scope.OPTIONAL,
        "pkg:maven/junit/junit@4.13.2": Scope.EXCLUDED,
        "pkg:maven/org.managed/bom-managed": Scope.REQUIRED,
        "pkg:maven/x/y": Scope.REQUIRED,
    }
    assert inventory.warnings == ("pom.xml: a dependency without groupId or artifactId",)
    cataloger = MavenPomCataloger()
    with pytest.raises(InputError, match="not well-formed XML"):
        cataloger.parse(b"<project>", path=tmp_path, found_in="pom.xml")
    with pytest.raises(InputError, match="not <project>"):
        cataloger.parse(b"<settings/>", path=tmp_path, found_in="pom.xml")
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY a{i} "{"&a;" * 10 if i == 0 else f"&a{i - 1};" * 10}">'.encode()
            for i in range(9)
        )
        + b"]><project>&a8;</project>"
    )
    with pytest.raises(InputError, match="not well-formed XML"):
        cataloger.parse(bomb, path=tmp_path, found_in="pom.xml")


def test_gradle_lockfile(tmp_path: Path) -> None:
    (tmp_path / "gradle.lockfile").write_text(
        textwrap.dedent("""\
        # This is a Gradle generated file for dependency locking.
        com.google.guava:guava:33.0.0-jre=compileClasspath,runtimeClasspath
        junit:junit:4.13.2=testCompileClasspath,testRuntimeClasspath
        broken-line=compileClasspath
        empty=annotationProcessor
        """)
    )
    inventory = catalog([tmp_path])
    assert {c.purl: c.scope for c in inventory.components} == {
        "pkg:maven/com.google.guava/guava@33.0.0-jre": Scope.REQUIRED,
        "pkg:maven/junit/junit@4.13.2": Scope.EXCLUDED,
    }
    assert inventory.warnings == ("gradle.lockfile:4: not group:artifact:version",)
    assert GradleLockCataloger().claims(Path("gradle/dependency-locks/compile.lockfile"))


def test_pdm_lock(tmp_path: Path) -> None:
    sha = "a" * 64
    (tmp_path / "pdm.lock").write_text(
        textwrap.dedent(f"""\
        [metadata]
        groups = ["default", "dev"]
        lock_version = "4.4"

        [[package]]
        name = "Requests"
        version = "2.31.0"
        groups = ["default"]
        dependencies = ["idna<4,>=2.5", "not valid ((("]
        files = [{{file = "requests-2.31.0.tar.gz", hash = "sha256:{sha}"}}]

        [[package]]
        name = "idna"
        version = "3.6"
        groups = ["default", "dev"]

        [[package]]
        name = "pytest"
        version = "8.0.0"
        groups = ["dev"]

        [[package]]
        name = "nameless"
        """)
    )
    inventory = catalog([tmp_path])
    assert {c.purl: c.scope for c in inventory.components} == {
        "pkg:pypi/requests@2.31.0": Scope.REQUIRED,
        "pkg:pypi/idna@3.6": Scope.REQUIRED,
        "pkg:pypi/pytest@8.0.0": Scope.EXCLUDED,
    }
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert edges["pkg:pypi/requests@2.31.0"] == ("pkg:pypi/idna@3.6",)
    assert len(inventory.warnings) == 2
    with pytest.raises(InputError, match=r"unsupported pdm\.lock lock_version 3"):
        PdmLockCataloger().parse(b'[metadata]\nlock_version = "3"\n', path=tmp_path, found_in="p")
