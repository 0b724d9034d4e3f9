"""`liturgia deploy STAGE` of [publish.STAGE] targets: staging before production, smoke tests,
evidence for the gate's deploy checks (two real pypiservers on loopback)."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from liturgia.cli import main
from liturgia.publish import record_path
from tests.integration.publish.conftest import Project, PypiServer, Release, make_project

WHEEL = "vertice_backend-0.2.0-py3-none-any.whl"
SDIST = "vertice_backend-0.2.0.tar.gz"
PYTHON = shlex.quote(sys.executable)
#: Installs the published backend from the stage's index into a folder and runs it.
SMOKE = (
    f"{PYTHON} -m pip install --isolated --disable-pip-version-check --quiet --no-deps "
    "--no-cache-dir --target {project}/smoke-{version} --index-url {index_url} "
    "vertice-backend=={version}",
    f"{PYTHON} -c \"import sys; sys.path.insert(0, 'smoke-{{version}}'); "
    "from vertice_backend import Graph, handle; g = Graph(); g.add_edge('a', 'b', 1.0); "
    "print(handle(g, '/vertices'))\"",
)


def stages(staging: PypiServer, production: PypiServer, smoke: tuple[str, ...]) -> str:
    listed = json.dumps(list(smoke))
    return (
        f'[publish.staging]\nkind = "pypi"\nurl = "{staging.url}"\nsmoke = {listed}\n\n'
        f'[publish.production]\nkind = "pypi"\nurl = "{production.url}"\nafter = "staging"\n'
        f"smoke = {listed}\n\n"
        '[[gates.checks]]\nkind = "deploy"\nname = "staging-deployment"\nstage = "staging"\n'
        'report = "reports/staging.json"\n\n'
        '[[gates.checks]]\nkind = "deploy"\nname = "production-deployment"\n'
        'stage = "production"\nreport = "reports/production.json"\n'
    )


@pytest.fixture
def servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[PypiServer, PypiServer]:
    staging = PypiServer(tmp_path / "staging-index")
    production = PypiServer(tmp_path / "production-index")
    for name, server in (("STAGING", staging), ("PRODUCTION", production)):
        monkeypatch.setenv(f"LITURGIA_PUBLISH_{name}_USERNAME", server.username)
        monkeypatch.setenv(f"LITURGIA_PUBLISH_{name}_PASSWORD", server.password)
    yield staging, production
    staging.kill()
    production.kill()


def deploy(project: Project, stage: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(
        [
            "deploy",
            stage,
            "--version",
            "0.2.0",
            "--project",
            str(project.root),
            "--key",
            str(project.public_key),
        ]
    )
    return code, capsys.readouterr().err


def test_staging_then_production_with_smoke_tests_and_evidence(
    tmp_path: Path,
    vertice_release: Release,
    servers: tuple[PypiServer, PypiServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    staging, production = servers
    project = make_project(tmp_path / "project", vertice_release, stages(*servers, SMOKE))

    code, err = deploy(project, "production", capsys)
    assert code == 1, err
    assert "is not deployed to production: no publish record" in err
    assert production.files() == {}

    code, err = deploy(project, "staging", capsys)
    assert code == 0, err
    assert set(staging.files()) == {WHEEL, SDIST}
    report = json.loads((project.root / "reports" / "staging.json").read_text())
    assert (report["stage"], report["version"], report["exit_status"]) == ("staging", "0.2.0", 0)
    assert report["files"] == {
        name: json.loads(record_path(project.release).read_text())["targets"]["staging"]["files"][
            name
        ]["sha256"]
        for name in (WHEEL, SDIST)
    }
    assert '{"vertices": ["a", "b"]}' in report["output"]
    smoke = json.loads(record_path(project.release).read_text())["targets"]["staging"]["smoke"]
    assert smoke["passed"] is True
    assert [c["exit_status"] for c in smoke["commands"]] == [0, 0]

    code, err = deploy(project, "production", capsys)
    assert code == 0, err
    assert production.files() == staging.files()
    report = json.loads((project.root / "reports" / "production.json").read_text())
    assert report["exit_status"] == 0
    assert report["target"] == production.url


def test_failed_smoke_test_fails_the_stage_and_blocks_production(
    tmp_path: Path,
    vertice_release: Release,
    servers: tuple[PypiServer, PypiServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    failing = (f"{PYTHON} -c \"print('smoke: no answer'); raise SystemExit(3)\"",)
    project = make_project(tmp_path / "project", vertice_release, stages(*servers, failing))
    code, err = deploy(project, "staging", capsys)
    assert code == 1, err
    assert "exited 3" in err
    report = json.loads((project.root / "reports" / "staging.json").read_text())
    assert report["exit_status"] == 3
    assert "smoke: no answer" in report["output"]
    code, err = deploy(project, "production", capsys)
    assert code == 1, err
    assert "its smoke tests on staging did not pass" in err
    assert servers[1].files() == {}


def test_deploy_format_json_gives_the_publication_and_the_smoke_tests(
    tmp_path: Path,
    vertice_release: Release,
    servers: tuple[PypiServer, PypiServer],
    capsys: pytest.CaptureFixture[str],
) -> None:
    staging, _production = servers
    project = make_project(tmp_path / "project", vertice_release, stages(*servers, SMOKE))
    code = main(
        ["deploy", "staging", "--version", "0.2.0", "--project", str(project.root), "--key",
         str(project.public_key), "--format", "json"],
    )  # fmt: skip
    out = capsys.readouterr()
    assert code == 0, out.err
    document = json.loads(out.out)
    record = json.loads(record_path(project.release).read_text())["targets"]["staging"]
    assert (document["stage"], document["version"]) == ("staging", "0.2.0")
    assert document["passed"] is True
    assert document["report"] == str(project.root / "reports" / "staging.json")
    published = document["published"]
    assert (published["target"], published["kind"], published["location"]) == (
        "staging", "pypi", staging.url,
    )  # fmt: skip
    assert (published["uploaded"], published["present"]) == (2, 0)
    assert {f["name"]: f["sha256"] for f in published["files"]} == {
        name: entry["sha256"] for name, entry in record["files"].items()
    }
    assert [(s["command"], s["exit_status"]) for s in document["smoke"]] == [
        (c["command"], c["exit_status"]) for c in record["smoke"]["commands"]
    ]
    assert [s["exit_status"] for s in document["smoke"]] == [0, 0]
    assert '{"vertices": ["a", "b"]}' in document["smoke"][1]["output"]
    assert "kB" not in out.err  # json: no bars, lines on stderr
