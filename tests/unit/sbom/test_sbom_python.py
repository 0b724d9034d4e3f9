"""Python catalogers on hand-made files: every construct of each format, and its bad forms."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.model import ComponentType, Scope
from liturgia.sbom import catalog
from liturgia.sbom.catalogers import (
    PipfileLockCataloger,
    PoetryLockCataloger,
    PyprojectCataloger,
    RequirementsCataloger,
    UvLockCataloger,
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def purls(directory_or_file: Path, **kwargs: bool) -> dict[str, Scope]:
    inventory = catalog([directory_or_file], **kwargs)
    return {c.purl or c.ref: c.scope for c in inventory.components}


def test_requirements_constructs(tmp_path: Path) -> None:
    write(tmp_path / "base.txt", "six==1.16.0\nattrs>=23\n")
    write(tmp_path / "constraints.txt", "attrs==23.2.0\nnot a valid line ===\n")
    write(tmp_path / "lib/pyproject.toml", '[project]\nname = "My_Lib"\n')
    req = write(
        tmp_path / "requirements.txt",
        r"""
        # comment
        -r base.txt
        --requirement=base.txt
        -c constraints.txt
        --index-url https://example.invalid/simple
        Foo.Bar[extra]==1.0 ; python_version >= "3.8"  # trailing comment
        long-name==2.0 \
            --hash=sha256:0000000000000000000000000000000000000000000000000000000000000000 \
            --hash sha512:bad
        pkg @ https://example.invalid/pkg-1.0.tar.gz
        vcs @ git+https://example.invalid/vcs.git@v1
        https://example.invalid/archive.zip#egg=archived
        https://example.invalid/nameless.zip
        -e ./lib
        -e git+https://example.invalid/edit.git#egg=edit
        --editable ./missing#egg=eggname
        -e
        this is not a requirement
        wild==1.*
        """,
    )
    inventory = catalog([req])
    found = {c.purl or c.ref: c for c in inventory.components}
    assert set(found) == {
        "pkg:pypi/six@1.16.0",
        "pkg:pypi/attrs@23.2.0",  # >=23 pinned by the constraints file
        "pkg:pypi/foo-bar@1.0",
        "pkg:pypi/long-name@2.0",
        "pkg:pypi/pkg?download_url=https://example.invalid/pkg-1.0.tar.gz",
        "pkg:pypi/vcs?vcs_url=git%2Bhttps://example.invalid/vcs.git%40v1",
        "pkg:pypi/archived?download_url=https://example.invalid/archive.zip",
        "requirements.txt#editable:./lib",
        "pkg:pypi/edit?vcs_url=git%2Bhttps://example.invalid/edit.git",
        "requirements.txt#editable:./missing",
        "pkg:pypi/wild",
    }
    assert found["requirements.txt#editable:./lib"].name == "my-lib"
    assert found["requirements.txt#editable:./missing"].name == "eggname"
    assert [h.algorithm for h in found["pkg:pypi/long-name@2.0"].hashes] == ["SHA-256"]
    assert found["pkg:pypi/six@1.16.0"].found_in == "base.txt"
    text = "\n".join(inventory.warnings)
    assert "nameless.zip" in text
    assert "-e without a path" in text
    assert "this is not a requirement" in text
    assert "constraints.txt" in text  # its invalid line is reported too


def test_requirements_include_problems(tmp_path: Path) -> None:
    write(tmp_path / "a-requirements.txt", "-r b-requirements.txt\nx==1\n")
    write(tmp_path / "b-requirements.txt", "-r a-requirements.txt\n-r gone.txt\n-r\ny==2\n")
    (tmp_path / "bin.txt").write_bytes(b"\xff\xfe\x00garbage")
    write(tmp_path / "c-requirements.txt", "-r bin.txt\n")
    inventory = catalog([tmp_path])
    assert {(c.name, c.version) for c in inventory.components} == {("x", "1"), ("y", "2")}
    text = "\n".join(inventory.warnings)
    assert "cannot read included gone.txt" in text
    assert "-r without a file name" in text
    assert "bin.txt: not UTF-8" in text


def test_requirements_nesting_limit(tmp_path: Path) -> None:
    for i in range(25):
        write(tmp_path / f"r{i}.txt", f"-r r{i + 1}.txt\npkg{i}==1\n")
    inventory = catalog([tmp_path / "r0.txt"])
    assert "nested deeper than 20" in "\n".join(inventory.warnings)
    assert len(inventory.components) == 21


def test_requirements_claims() -> None:
    cataloger = RequirementsCataloger()
    assert cataloger.claims(Path("requirements.txt"))
    assert cataloger.claims(Path("dev-requirements.txt"))
    assert cataloger.claims(Path("requirements/prod.txt"))
    assert not cataloger.claims(Path("notes.txt"))


def test_explicit_file_names(tmp_path: Path) -> None:
    write(tmp_path / "deps.in", "six==1.16.0\n")
    write(tmp_path / "README.md", "# hi\n")
    assert purls(tmp_path / "deps.in") == {"pkg:pypi/six@1.16.0": Scope.REQUIRED}
    inventory = catalog([tmp_path / "README.md"])
    assert inventory.warnings == ("README.md: no cataloger reads this file",)


def test_pyproject_pep621_pep735_and_poetry(tmp_path: Path) -> None:
    write(
        tmp_path / "pyproject.toml",
        """
        [project]
        name = "Demo_App"
        version = "1.2.3"
        license = "Apache-2.0"
        dependencies = ["requests>=2", "six==1.16.0", "bad requirement ((("]
        [project.optional-dependencies]
        yaml = ["pyyaml==6.0.2"]
        [dependency-groups]
        dev = ["pytest==8.0.0", {include-group = "lint"}]
        lint = ["ruff"]
        [tool.poetry.dependencies]
        python = "^3.11"
        click = "8.1.7"
        attrs = {version = "==23.2.0", optional = true}
        multi = [{version = "1.0", python = "<3.12"}, {version = "^2.0", python = ">=3.12"}]
        [tool.poetry.group.docs.dependencies]
        sphinx = "^7"
        [tool.poetry.dev-dependencies]
        black = "24.1.0"
        """,
    )
    inventory = catalog([tmp_path])
    assert inventory.root is not None
    assert inventory.root.purl == "pkg:pypi/demo-app@1.2.3"
    assert inventory.root.licenses == ("Apache-2.0",)
    assert inventory.root.type is ComponentType.APPLICATION
    scopes = {c.purl: c.scope for c in inventory.components}
    assert scopes == {
        "pkg:pypi/requests": Scope.REQUIRED,
        "pkg:pypi/six@1.16.0": Scope.REQUIRED,
        "pkg:pypi/pyyaml@6.0.2": Scope.OPTIONAL,
        "pkg:pypi/pytest@8.0.0": Scope.EXCLUDED,
        "pkg:pypi/ruff": Scope.EXCLUDED,
        "pkg:pypi/click@8.1.7": Scope.REQUIRED,
        "pkg:pypi/attrs@23.2.0": Scope.OPTIONAL,
        "pkg:pypi/multi@1.0": Scope.REQUIRED,
        "pkg:pypi/sphinx": Scope.EXCLUDED,
        "pkg:pypi/black@24.1.0": Scope.EXCLUDED,
    }
    assert "bad requirement" in "\n".join(inventory.warnings)
    root_edges = next(d for d in inventory.dependencies if d.ref == inventory.root.ref)
    assert len(root_edges.depends_on) == len(inventory.components)


def test_pyproject_licence_forms_and_shapes(tmp_path: Path) -> None:
    cataloger = PyprojectCataloger()
    text = b'[project]\nname = "a"\nlicense = {text = "MIT"}\n'
    result = cataloger.parse(text, path=tmp_path / "pyproject.toml", found_in="pyproject.toml")
    assert result.root is not None and result.root.licenses == ("MIT",)
    text = b'[tool.poetry]\nname = "b"\nversion = "2"\nlicense = "BSD-3-Clause"\n'
    result = cataloger.parse(text, path=tmp_path / "pyproject.toml", found_in="pyproject.toml")
    assert result.root is not None and result.root.purl == "pkg:pypi/b@2"
    assert result.root.licenses == ("BSD-3-Clause",)
    no_name = cataloger.parse(b"[tool.ruff]\nline-length = 1\n", path=tmp_path, found_in="p")
    assert no_name.root is None and no_name.components == ()
    for bad in (
        b"[project]\ndependencies = 'x'\n",
        b"[project]\ndependencies = [1]\n",
        b"project = 3\n",
        b"[project\n",
    ):
        with pytest.raises(InputError, match=r"^p: "):
            cataloger.parse(bad, path=tmp_path, found_in="p")


POETRY_V1 = """
[[package]]
name = "Requests"
version = "2.31.0"
category = "main"
optional = false

[package.dependencies]
idna = ">=2.5"

[[package]]
name = "idna"
version = "3.6"
category = "main"
optional = false

[[package]]
name = "pytest"
version = "8.0.0"
category = "dev"
optional = false

[[package]]
name = "pysocks"
version = "1.7.1"
category = "main"
optional = true

[[package]]
name = "gitdep"
version = "0.1.0"
category = "main"
optional = false

[package.source]
type = "git"
url = "https://example.invalid/gitdep.git"
reference = "main"
resolved_reference = "abc123"

[[package]]
name = "urldep"
version = "0.2.0"
category = "main"
optional = false

[package.source]
type = "url"
url = "https://example.invalid/urldep-0.2.0.tar.gz"

[[package]]
name = "noversion"

[metadata]
lock-version = "1.1"

[metadata.files]
requests = [
    {file = "requests-2.31.0.tar.gz", hash = "sha256:HEX_A"},
]
idna = []
""".replace("HEX_A", "a" * 64)


def test_poetry_lock_v1(tmp_path: Path) -> None:
    lock = write(tmp_path / "poetry.lock", POETRY_V1)
    inventory = catalog([lock])
    found = {c.purl: c for c in inventory.components}
    assert {p: c.scope for p, c in found.items()} == {
        "pkg:pypi/requests@2.31.0": Scope.REQUIRED,
        "pkg:pypi/idna@3.6": Scope.REQUIRED,
        "pkg:pypi/pytest@8.0.0": Scope.EXCLUDED,
        "pkg:pypi/pysocks@1.7.1": Scope.OPTIONAL,
        "pkg:pypi/gitdep@0.1.0?vcs_url=git%2Bhttps://example.invalid/gitdep.git%40abc123": (
            Scope.REQUIRED
        ),
        "pkg:pypi/urldep@0.2.0?download_url=https://example.invalid/urldep-0.2.0.tar.gz": (
            Scope.REQUIRED
        ),
    }
    assert len(found["pkg:pypi/requests@2.31.0"].hashes) == 1
    edges = {d.ref: d.depends_on for d in inventory.dependencies}
    assert edges["pkg:pypi/requests@2.31.0"] == ("pkg:pypi/idna@3.6",)
    assert "package[6] without name or version" in inventory.warnings[0]


def test_poetry_lock_unknown_version(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"unsupported poetry\.lock lock-version 9\.0"):
        PoetryLockCataloger().parse(
            b'[metadata]\nlock-version = "9.0"\n', path=tmp_path, found_in="poetry.lock"
        )


UV_LOCK = """
version = 1
requires-python = ">=3.11"

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }
dependencies = [{ name = "a" }, { name = "ghost" }]

[package.optional-dependencies]
extra = [{ name = "b" }]

[package.dev-dependencies]
dev = [{ name = "c" }]

[[package]]
name = "a"
version = "1.0"
source = { registry = "https://example.invalid/simple" }
dependencies = [{ name = "d", extra = ["x"] }]
sdist = { url = "https://example.invalid/a-1.0.tar.gz", hash = "sha256:HEX_A" }

[[package]]
name = "b"
version = "2.0"
source = { git = "https://example.invalid/b.git?rev=v2#0123456789abcdef" }

[[package]]
name = "c"
version = "3.0"
source = { url = "https://example.invalid/c-3.0.whl" }
wheels = [
    { url = "https://example.invalid/c-3.0.whl", hash = "sha256:HEX_C" },
    { hash = "md5:zz" },
]

[[package]]
name = "d"
version = "4.0"
source = { registry = "https://example.invalid/simple" }

[package.optional-dependencies]
x = [{ name = "e" }]

[[package]]
name = "e"
version = "5.0"
source = { registry = "https://example.invalid/simple" }

[[package]]
name = "member"
version = "0.0.1"
source = { editable = "packages/member" }
""".replace("HEX_A", "a" * 64).replace("HEX_C", "c" * 64)


def test_uv_lock_scopes_extras_sources(tmp_path: Path) -> None:
    inventory = catalog([write(tmp_path / "uv.lock", UV_LOCK)])
    assert inventory.root is not None and inventory.root.purl == "pkg:pypi/app@0.1.0"
    scopes = {c.name: c.scope for c in inventory.components}
    assert scopes == {
        "a": Scope.REQUIRED,
        "b": Scope.OPTIONAL,
        "c": Scope.EXCLUDED,
        "d": Scope.REQUIRED,
        "e": Scope.REQUIRED,  # via d[x]
        "member": Scope.REQUIRED,  # a workspace member nothing reaches
    }
    purls = {c.name: c.purl for c in inventory.components}
    assert purls["b"] == (
        "pkg:pypi/b@2.0?vcs_url=git%2Bhttps://example.invalid/b.git%3Frev%3Dv2%230123456789abcdef"
    )
    assert purls["c"] == "pkg:pypi/c@3.0?download_url=https://example.invalid/c-3.0.whl"
    edges = {d.ref: set(d.depends_on) for d in inventory.dependencies}
    assert edges["pkg:pypi/app@0.1.0"] == {
        "pkg:pypi/a@1.0",
        purls["b"],
        purls["c"],
    }
    assert edges["pkg:pypi/d@4.0"] == {"pkg:pypi/e@5.0"}


def test_uv_lock_without_root_and_bad_shapes(tmp_path: Path) -> None:
    cataloger = UvLockCataloger()
    lock = b'version = 1\n[[package]]\nname = "a"\nversion = "1"\n'
    result = cataloger.parse(lock, path=tmp_path, found_in="uv.lock")
    assert result.root is None and result.components[0].scope is Scope.REQUIRED
    for bad, reason in (
        (b"version = 2\n", "unsupported uv.lock version 2"),
        (b"version = 1\n[[package]]\nversion = '1'\n", "has no name"),
        (b"version = 1\npackage = 3\n", "expected an array"),
    ):
        with pytest.raises(InputError, match=reason):
            cataloger.parse(bad, path=tmp_path, found_in="uv.lock")


def test_pipfile_lock_categories_and_vcs(tmp_path: Path) -> None:
    lock = write(
        tmp_path / "Pipfile.lock",
        """
        {"_meta": {"pipfile-spec": 6},
         "default": {"six": {"version": "==1.16.0", "hashes": ["sha256:bad", "x"]},
                     "both": {"version": "==1.0"},
                     "gitpkg": {"git": "https://example.invalid/g.git", "ref": "abc"}},
         "develop": {"both": {"version": "==1.0"}, "pytest": {"version": "==8.0.0"},
                     "plain": {"git": "git+https://example.invalid/p.git"}},
         "docs": {"sphinx": {"version": "==7.0.0"}}}
        """,
    )
    scopes = purls(lock)
    assert scopes == {
        "pkg:pypi/six@1.16.0": Scope.REQUIRED,
        "pkg:pypi/both@1.0": Scope.REQUIRED,
        "pkg:pypi/gitpkg?vcs_url=git%2Bhttps://example.invalid/g.git%40abc": Scope.REQUIRED,
        "pkg:pypi/pytest@8.0.0": Scope.EXCLUDED,
        "pkg:pypi/plain?vcs_url=git%2Bhttps://example.invalid/p.git": Scope.EXCLUDED,
        "pkg:pypi/sphinx@7.0.0": Scope.OPTIONAL,
    }
    assert purls(lock, exclude_dev=True).keys() == scopes.keys() - {
        "pkg:pypi/pytest@8.0.0",
        "pkg:pypi/plain?vcs_url=git%2Bhttps://example.invalid/p.git",
    }
    with pytest.raises(InputError, match="unsupported pipfile-spec 7"):
        PipfileLockCataloger().parse(b'{"_meta": {"pipfile-spec": 7}}', path=lock, found_in="P")
