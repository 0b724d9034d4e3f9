"""`liturgia init` on real projects of each ecosystem: the starter fits them and loads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tests.conftest import EXAMPLE

from liturgia.cli import main
from liturgia.config import load_config
from liturgia.release.starter import Ecosystem, detect_projects, project_name


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _init(project: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    assert main(["init", "--project", str(project), *extra]) == 0
    return capsys.readouterr().err


PACKAGE_JSON = json.dumps(
    {
        "name": "@acme/shop-web",
        "version": "1.4.0",
        "scripts": {"build": "node build.js", "test": "node test.js"},
    }
)
PACKAGE_LOCK = json.dumps(
    {"name": "@acme/shop-web", "version": "1.4.0", "lockfileVersion": 3, "requires": True,
     "packages": {"": {"name": "@acme/shop-web", "version": "1.4.0"}}}
)  # fmt: skip


def test_javascript_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 10 item 9: a JavaScript project got the Python template and its folder's name."""
    project = _write(
        tmp_path / "web", {"package.json": PACKAGE_JSON, "package-lock.json": PACKAGE_LOCK}
    )
    err = _init(project, capsys)
    assert "acme-shop-web (from package.json)" in err
    settings = load_config(project).settings
    assert settings.project.name == "acme-shop-web"
    assert settings.project.sbom_paths == (".",)
    assert settings.build.commands == (
        "npm ci",
        "npm run build",
        "npm pack --pack-destination {build_dir}",
    )
    assert settings.build.artifacts == ("{build_dir}/*.tgz",)
    assert settings.test.commands == ("npm test",)
    assert settings.test.junit == ()  # npm's runner writes none by itself: the starter says so
    assert settings.test.coverage is None
    assert settings.scan.vulndb is True
    assert settings.scan.osv == ()
    text = (project / "liturgia.toml").read_text()
    assert "python -m" not in text
    assert "liturgia vulndb update --ecosystem npm" in text
    assert "jest-junit" in text


def test_go_project(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _write(
        tmp_path / "checkout",
        {"go.mod": "module github.com/acme/tool/v2\n\ngo 1.21\n", "main.go": "package main\n"},
    )
    err = _init(project, capsys)
    assert "tool (from go.mod)" in err
    settings = load_config(project).settings
    assert settings.project.name == "tool"
    assert settings.build.commands == ("go build -trimpath -o {build_dir}/go/ ./...",)
    assert settings.build.artifacts == ("{build_dir}/go/**/*",)
    assert settings.test.commands == ("go test ./...",)
    assert "--ecosystem Go" in (project / "liturgia.toml").read_text()


def test_rust_and_python_projects(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rust = _write(tmp_path / "r", {"Cargo.toml": '[package]\nname = "ferris"\nversion = "0.3.0"\n'})
    _init(rust, capsys)
    settings = load_config(rust).settings
    assert settings.project.name == "ferris"
    assert settings.build.artifacts == ("{build_dir}/cargo/package/*.crate",)
    assert settings.test.commands == ("cargo test",)
    python = _write(
        tmp_path / "p",
        {
            "pyproject.toml": '[project]\nname = "attrs_like"\nversion = "1"\n',
            "requirements.txt": "",
        },
    )
    (python / ".venv" / "bin").mkdir(parents=True)
    (python / ".venv" / "bin" / "python").symlink_to(shutil.which("python3") or "/usr/bin/python3")
    _init(python, capsys)
    settings = load_config(python).settings
    assert settings.project.name == "attrs_like"
    assert settings.build.commands == ("python -m build --outdir {build_dir} .",)
    assert settings.build.python == ".venv/bin/python"  # the project's own environment
    assert settings.test.junit == ("{reports_dir}/junit.xml",)
    assert settings.test.coverage == "{reports_dir}/coverage.xml"


def test_polyglot_repository(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled example without its configuration: three ecosystems in three folders."""
    project = tmp_path / "vertice"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("dist", "liturgia.toml"))
    assert [(p.ecosystem, p.folder) for p in detect_projects(project)] == [
        (Ecosystem.PYTHON, "backend"),
        (Ecosystem.GO, "cli"),
        (Ecosystem.JAVASCRIPT, "frontend"),
    ]
    err = _init(project, capsys)
    assert "vertice (from folder name)" in err
    settings = load_config(project).settings
    assert settings.project.sbom_paths == ("backend", "cli", "frontend")
    assert settings.build.commands == (
        "python -m build --outdir {build_dir} backend",
        "npm --prefix frontend ci",
        "npm --prefix frontend run build",  # its package.json has a build script
        "npm pack ./frontend --pack-destination {build_dir}",
        "go -C cli build -trimpath -o {build_dir}/go/cli/ ./...",
    )
    assert settings.build.artifacts == (
        "{build_dir}/*.whl", "{build_dir}/*.tar.gz", "{build_dir}/*.tgz", "{build_dir}/go/**/*",
    )  # fmt: skip
    # The front end's package.json has no test script: none is invented, the starter says so.
    assert settings.test.commands[1:] == (
        "python -m coverage xml --data-file={reports_dir}/.coverage -o {reports_dir}/coverage.xml",
        "go -C cli test ./...",
    )
    assert (
        "# Note: frontend/package.json has no test script to run."
        in (project / "liturgia.toml").read_text()
    )
    assert settings.build.python is None  # no .venv in the project: commented out
    assert '# python = ".venv/bin/python"' in (project / "liturgia.toml").read_text()
    text = (project / "liturgia.toml").read_text()
    assert "--ecosystem PyPI --ecosystem npm --ecosystem Go" in text


def test_name_option_and_bad_manifests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    project = _write(tmp_path / "x", {"package.json": "{ not json"})
    for extra in ((), ("--name", "chosen")):  # the commands need package.json's scripts too
        assert main(["init", "--project", str(project), *extra]) == 2
        assert f"{project / 'package.json'}: cannot read the manifest" in capsys.readouterr().err
        assert not (project / "liturgia.toml").exists()
    (project / "package.json").write_text(PACKAGE_JSON, encoding="utf-8")
    assert "chosen (from --name)" in _init(project, capsys, "--name", "chosen")
    assert load_config(project).settings.project.name == "chosen"
    assert main(["init", "--project", str(project), "--force", "--name", "bad name!"]) == 2
    assert "--name 'bad name!'" in capsys.readouterr().err
    broken = _write(tmp_path / "y", {"pyproject.toml": "[project\n"})
    assert main(["init", "--project", str(broken)]) == 2
    assert "pyproject.toml: cannot read the manifest" in capsys.readouterr().err


def test_empty_folder_and_names(tmp_path: Path) -> None:
    empty = tmp_path / "My Project"
    empty.mkdir()
    assert project_name(empty).name == "My-Project"
    assert detect_projects(empty) == ()
    node_modules = _write(
        tmp_path / "n", {"node_modules/x/package.json": "{}", ".hidden/go.mod": ""}
    )
    assert detect_projects(node_modules) == ()
