"""The commands `liturgia init` writes run, with the real npm and go (scripts/test.sh installs
them), through the runner a release uses, and leave the artifacts its globs collect."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.config import load_config
from liturgia.release.build import collect_artifacts, expand, run_command
from liturgia.release.stages import interpreter


def _run_starter(project: Path, tmp_path: Path) -> tuple[Path, ...]:
    """Run the written starter's build and test commands; return the collected artifacts."""
    assert main(["init", "--project", str(project)]) == 0
    config = load_config(project)
    values = {
        "build_dir": str(tmp_path / "build"),
        "reports_dir": str(tmp_path / "reports"),
        "version": "1.4.0",
        "project": str(project),
    }
    (tmp_path / "build").mkdir()
    (tmp_path / "reports").mkdir()
    settings = config.settings
    for section, commands in (("build", settings.build.commands), ("test", settings.test.commands)):
        for index, template in enumerate(commands):
            where = f"{section}.commands[{index}]"
            run_command(
                expand(template, values, where=where),
                cwd=project,
                version="1.4.0",
                check=True,
                where=where,
                python=interpreter(config),
            )
    patterns = [expand(p, values, where="build.artifacts") for p in settings.build.artifacts]
    return collect_artifacts(patterns, base=project)


def test_a_javascript_sub_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # No registry round trips for a project without dependencies.
    for name in ("npm_config_audit", "npm_config_fund", "npm_config_update_notifier"):
        monkeypatch.setenv(name, "false")
    web = tmp_path / "shop" / "web"
    web.mkdir(parents=True)
    package = {
        "name": "@acme/shop-web",
        "version": "1.4.0",
        "scripts": {
            "build": "node -e \"require('fs').writeFileSync('built.txt', 'ok')\"",
            "test": 'node -e "process.exit(0)"',
        },
    }
    (web / "package.json").write_text(json.dumps(package))
    lock = {
        "name": "@acme/shop-web",
        "version": "1.4.0",
        "lockfileVersion": 3,
        "requires": True,
        "packages": {"": {"name": "@acme/shop-web", "version": "1.4.0"}},
    }
    (web / "package-lock.json").write_text(json.dumps(lock))
    artifacts = _run_starter(tmp_path / "shop", tmp_path)
    assert [a.name for a in artifacts] == ["acme-shop-web-1.4.0.tgz"]
    assert (web / "built.txt").read_text() == "ok"  # the package's own build script ran
    assert "JavaScript in web" in capsys.readouterr().err


def test_a_go_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GOCACHE", str(tmp_path / "gocache"))
    monkeypatch.setenv("GOFLAGS", "-mod=mod")
    monkeypatch.setenv("GOPROXY", "off")
    project = tmp_path / "tool"
    project.mkdir()
    (project / "go.mod").write_text("module example.test/tool/v2\n\ngo 1.19\n")
    (project / "main.go").write_text('package main\n\nfunc main() { println("tool") }\n')
    (project / "main_test.go").write_text(
        'package main\n\nimport "testing"\n\nfunc TestNothing(t *testing.T) {}\n'
    )
    artifacts = _run_starter(project, tmp_path)
    assert [a.name for a in artifacts] == ["tool"]
    assert "tool (from go.mod)" in capsys.readouterr().err
