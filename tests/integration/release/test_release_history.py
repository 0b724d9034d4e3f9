"""A dry run predicts the real run; refusals touch nothing; tags are pushed (issue 10 item 7, 14).

Every refusal is tried twice, as a dry run and as a real run, on a real git repository holding a
tiny project whose build writes one file: both must refuse with the same one-line error, exit 2,
and leave the work tree, the tags and the output folder as they were.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from liturgia.cli import main
from tests.integration.release.conftest import commit_all, git

# One OSV record for a PyPI name the project does not use: the database is not empty and
# PyPI is an ecosystem it covers (OSV schema 1.6).
_ADVISORY = {
    "schema_version": "1.6.0",
    "id": "TEST-2024-0001",
    "modified": "2024-01-01T00:00:00Z",
    "summary": "a test advisory for a package nobody uses",
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "nobody-uses-this"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.0"}]}],
        }
    ],
}
_BUILD_SCRIPT = """import pathlib, sys
pathlib.Path(sys.argv[1], f"tiny-{sys.argv[2]}.txt").write_text(f"tiny {sys.argv[2]}")
"""


def _config(tag_format: str | None = None) -> str:
    extra = f'tag_format = "{tag_format}"\n' if tag_format is not None else ""
    return f"""[project]
name = "tiny"
sbom_paths = ["requirements.txt"]
{extra}
[build]
commands = ["{sys.executable} build.py {{build_dir}} {{version}}"]
artifacts = ["{{build_dir}}/*.txt"]

[scan]
osv = ["osv"]
max_age_days = 36500
accept_unchecked = true

[gates]
require_tests = false
"""


@pytest.fixture
def make_tiny(tmp_path: Path) -> Callable[..., Path]:
    """Factory: a tiny project; with ``git=True`` a repository with one commit, no tag."""

    def make(*, use_git: bool = True, tag_format: str | None = None) -> Path:
        project = tmp_path / "tiny"
        project.mkdir()
        (project / "liturgia.toml").write_text(_config(tag_format))
        (project / "requirements.txt").write_text("idna==3.7\n")
        (project / "build.py").write_text(_BUILD_SCRIPT)
        (project / "osv").mkdir()
        (project / "osv" / "TEST-2024-0001.json").write_text(json.dumps(_ADVISORY))
        (project / ".gitignore").write_text("dist/\n")
        if use_git:
            git(project, "init", "-q")
            commit_all(project, "feat: a tiny project")
        return project

    return make


def _state(repo: Path) -> dict[str, str]:
    """What a refused release must leave as it was: HEAD, tags, status, changelog, dist."""
    dist = repo / "dist"
    changelog = repo / "CHANGELOG.md"
    return {
        "head": git(repo, "rev-parse", "HEAD"),
        "tags": git(repo, "tag", "--list"),
        "status": git(repo, "status", "--porcelain", "--untracked-files=all"),
        "changelog": changelog.read_text() if changelog.exists() else "",
        "dist": " ".join(sorted(str(p.relative_to(dist)) for p in dist.rglob("*")))
        if dist.exists()
        else "",
    }


def _release(repo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["release", "--project", str(repo), *args])
    return code, capsys.readouterr().err


def _refused(code: int, err: str, *needles: str) -> str:
    assert code == 2, err
    errors = [line for line in err.splitlines() if line.startswith("liturgia: error:")]
    assert len(errors) == 1, err
    for needle in needles:
        assert needle in errors[0], errors[0]
    assert "Traceback" not in err
    return errors[0]


MODES = [pytest.param(("--dry-run",), id="dry-run"), pytest.param((), id="real")]


@pytest.mark.parametrize("mode", MODES)
def test_an_existing_tag_is_refused_by_both_runs(
    make_tiny: Callable[..., Path],
    signing_env: Path,
    capsys: pytest.CaptureFixture[str],
    mode: tuple[str, ...],
) -> None:
    # Issue 10 item 7: with v1.0.0 present, the dry run said GO while the real run refused.
    repo = make_tiny()
    git(repo, "tag", "-a", "v1.0.0", "-m", "tiny 1.0.0")
    before = _state(repo)
    code, err = _release(repo, capsys, *mode, "--version", "1.0.0")
    _refused(code, err, "tag v1.0.0 already exists")
    assert _state(repo) == before


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("tags", "requested", "latest"),
    [
        (["v1.0.0"], "0.9.0", "1.0.0"),
        (["v1.0.0", "v1.1.0-rc.2"], "1.1.0-rc.1", "1.1.0-rc.2"),
        # §11.4.1: numeric identifiers compare as numbers, so rc.10 ranks above rc.9.
        (["v1.0.0", "v1.1.0-rc.10"], "1.1.0-rc.9", "1.1.0-rc.10"),
        # Tags that are only pre-releases are history too.
        (["v2.0.0-beta.1"], "1.5.0", "2.0.0-beta.1"),
    ],
    ids=["below-final", "below-prerelease", "numeric-identifiers", "prerelease-only"],
)
def test_a_version_at_or_below_the_latest_release_is_refused(
    make_tiny: Callable[..., Path],
    signing_env: Path,
    capsys: pytest.CaptureFixture[str],
    mode: tuple[str, ...],
    tags: list[str],
    requested: str,
    latest: str,
) -> None:
    repo = make_tiny()
    for tag in tags:
        git(repo, "tag", tag)  # lightweight tags count as annotated ones do
    commit_all_empty(repo, "fix: one more fix")
    before = _state(repo)
    code, err = _release(repo, capsys, *mode, "--version", requested)
    _refused(code, err, f"version {requested} is not above the latest release {latest}")
    assert _state(repo) == before


def commit_all_empty(repo: Path, message: str) -> None:
    """Commit a one-line change to notes.txt (a commit that touches the project's files)."""
    with (repo / "notes.txt").open("a", encoding="utf-8") as handle:
        handle.write(message + "\n")
    commit_all(repo, message)


@pytest.mark.parametrize("mode", MODES)
def test_a_dirty_work_tree_is_refused_unless_allowed(
    make_tiny: Callable[..., Path],
    signing_env: Path,
    capsys: pytest.CaptureFixture[str],
    mode: tuple[str, ...],
) -> None:
    repo = make_tiny()
    (repo / "requirements.txt").write_text("idna==3.8\n")
    before = _state(repo)
    code, err = _release(repo, capsys, *mode)
    _refused(code, err, "uncommitted changes", "--allow-dirty")
    assert _state(repo) == before
    if mode:  # the dry run with --allow-dirty goes through
        code, err = _release(repo, capsys, *mode, "--allow-dirty")
        assert code == 0, err


@pytest.mark.parametrize("mode", MODES)
def test_a_detached_head_is_refused(
    make_tiny: Callable[..., Path],
    signing_env: Path,
    capsys: pytest.CaptureFixture[str],
    mode: tuple[str, ...],
) -> None:
    repo = make_tiny()
    commit_all_empty(repo, "fix: a fix")
    git(repo, "checkout", "-q", "--detach", "HEAD")
    before = _state(repo)
    code, err = _release(repo, capsys, *mode)
    _refused(code, err, "HEAD is detached", "git switch")
    assert _state(repo) == before


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("tag_format", "needle"),
    [
        ("release", "{version} exactly once"),
        ("v{version}-{version}", "{version} exactly once"),
        ("v{major}.{version}", "only placeholder"),
        ("bad tag/v{version}", "not a valid git tag name"),
        ("v{version}..x", "not a valid git tag name"),
    ],
)
def test_a_malformed_tag_format_is_refused(
    make_tiny: Callable[..., Path],
    signing_env: Path,
    capsys: pytest.CaptureFixture[str],
    mode: tuple[str, ...],
    tag_format: str,
    needle: str,
) -> None:
    repo = make_tiny(tag_format=tag_format)
    before = _state(repo)
    code, err = _release(repo, capsys, *mode)
    _refused(code, err, "project.tag_format", needle)
    assert _state(repo) == before


def test_a_shallow_clone_is_an_error_saying_how_to_fetch(
    make_tiny: Callable[..., Path],
    signing_env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Without its history, a project at 1.x looked like a first release: 0.1.0, silently.
    repo = make_tiny()
    git(repo, "tag", "-a", "v1.4.0", "-m", "1.4.0")
    commit_all_empty(repo, "feat: more")
    commit_all_empty(repo, "fix: more")
    clone = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth=1", f"file://{repo}", str(clone))
    for mode in (("--dry-run",), ()):
        code, err = _release(clone, capsys, *mode)
        _refused(code, err, "shallow clone", "git fetch --unshallow --tags")
    code = main(["version", "--project", str(clone)])
    _refused(code, capsys.readouterr().err, "shallow clone")


def test_a_clone_without_tags_is_an_error_saying_how_to_fetch(
    make_tiny: Callable[..., Path],
    signing_env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_tiny()
    git(repo, "tag", "-a", "v1.4.0", "-m", "1.4.0")
    commit_all_empty(repo, "feat: more")
    clone = tmp_path / "notags"
    git(tmp_path, "clone", "-q", "--no-tags", str(repo), str(clone))
    code, err = _release(clone, capsys, "--dry-run")
    _refused(code, err, "cloned without tags", "git fetch --tags origin")
    git(clone, "fetch", "-q", "--tags", "origin")
    # Once the tags are fetched, the clone's --no-tags setting no longer hides any history.
    assert main(["version", "--print", "--project", str(clone)]) == 0
    assert capsys.readouterr().out == "1.5.0\n"


def test_a_dry_run_then_the_real_run_of_the_same_version(
    make_tiny: Callable[..., Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny()
    git(repo, "tag", "-a", "v0.1.0", "-m", "0.1.0")
    commit_all_empty(repo, "feat: export")
    before = _state(repo)
    code, err = _release(repo, capsys, "--dry-run")
    assert code == 0, err
    folder = repo / "dist" / "tiny-0.2.0"
    assert (folder / "DRY-RUN").is_file()
    assert "(project file untouched: dry run)" in err
    notes = (folder / "RELEASE_NOTES.md").read_text()
    assert (
        "## Gate\n\nGO (details in gate-report.md)\n\n"
        "- tests: n/a — not applicable: gates.require_tests = false in liturgia.toml\n"
        "- coverage: n/a — not applicable: gates.require_tests = false in liturgia.toml\n"
        "- vulnerabilities: pass — "
    ) in notes
    assert (
        notes.index("## Features") < notes.index("## Vulnerability scan") < notes.index("## Gate")
    )
    # The dry run wrote only its (ignored) output folder.
    after = _state(repo)
    assert after["tags"] == before["tags"]
    assert after["head"] == before["head"]
    assert after["changelog"] == ""
    assert after["status"] == ""
    # The real run replaces the rehearsal's folder, commits the changelog and tags.
    code, err = _release(repo, capsys)
    assert code == 0, err
    assert not (folder / "DRY-RUN").exists()
    assert git(repo, "tag", "--list") == "v0.1.0\nv0.2.0\n"
    assert git(repo, "log", "-1", "--format=%s") == "chore(release): 0.2.0\n"
    assert "## [0.2.0]" in (repo / "CHANGELOG.md").read_text()
    # Now both runs refuse 0.2.0 again, and the signed folder stays as it is.
    sums = (folder / "SHA256SUMS").read_bytes()
    for mode in (("--dry-run",), ()):
        code, err = _release(repo, capsys, *mode, "--version", "0.2.0")
        _refused(code, err, "tag v0.2.0 already exists")
    assert (folder / "SHA256SUMS").read_bytes() == sums


def test_without_git_a_signed_release_folder_is_never_replaced(
    make_tiny: Callable[..., Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Issue 10 item 7: a second real release of 0.1.0 replaced the first signed folder.
    project = make_tiny(use_git=False)
    code, err = _release(project, capsys)
    assert code == 0, err
    assert "no git repository: no version history, no tag" in err
    folder = project / "dist" / "tiny-0.1.0"
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    for mode in ((), ("--dry-run",)):
        code, err = _release(project, capsys, *mode)
        line = _refused(code, err, "tiny-0.1.0", "signed release of this version exists")
        assert "never replaced" in line
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == first
    assert sorted(p.name for p in (project / "dist").iterdir()) == [".gitignore", "tiny-0.1.0"]
    # Another version is released beside it.
    code, err = _release(project, capsys, "--version", "0.1.1")
    assert code == 0, err
    assert (project / "dist" / "tiny-0.1.1" / "SHA256SUMS").is_file()


def test_push_sends_the_tag_to_a_bare_repository(
    make_tiny: Callable[..., Path],
    signing_env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_tiny()
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "-q", "origin", "HEAD:refs/heads/main")
    code, err = _release(repo, capsys, "--push")
    assert code == 0, err
    assert "created v0.1.0, pushed to origin" in err
    local = git(repo, "rev-parse", "refs/tags/v0.1.0^{commit}")
    assert git(bare, "rev-parse", "refs/tags/v0.1.0^{commit}") == local
    # An annotated tag object arrives, not a lightweight copy.
    assert git(bare, "cat-file", "-t", "refs/tags/v0.1.0") == "tag\n"


def test_a_failed_push_leaves_work_tree_and_tags_as_they_were(
    make_tiny: Callable[..., Path],
    signing_env: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    repo = make_tiny()
    git(repo, "tag", "-a", "v0.1.0", "-m", "0.1.0")
    (repo / "CHANGELOG.md").write_text("# Changelog\n\n## [Unreleased]\n\n- hand-written\n")
    commit_all(repo, "feat: export")
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(bare))
    # The remote refuses every push (a pre-receive hook that fails), as a protected remote does.
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\necho 'tags are protected' >&2\nexit 1\n")
    hook.chmod(0o755)
    git(repo, "remote", "add", "origin", str(bare))
    before = _state(repo)
    code, err = _release(repo, capsys, "--push")
    assert code == 3, err
    errors = [line for line in err.splitlines() if line.startswith("liturgia: error:")]
    assert len(errors) == 1, err
    assert "git push of tag v0.2.0 to origin failed" in errors[0]
    assert _state(repo) == before
    assert git(bare, "tag", "--list") == ""
    # Once the remote accepts, the same release goes through.
    hook.unlink()
    code, err = _release(repo, capsys, "--push")
    assert code == 0, err
    assert git(bare, "tag", "--list") == "v0.2.0\n"
    changelog = (repo / "CHANGELOG.md").read_text()
    assert changelog.count("hand-written") == 1


def test_push_is_refused_with_from_tag_and_named_in_a_dry_run(
    make_tiny: Callable[..., Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny()
    git(repo, "tag", "-a", "v0.1.0", "-m", "0.1.0")
    before = _state(repo)
    code, err = _release(repo, capsys, "--from-tag", "v0.1.0", "--push")
    assert code == 2, err
    assert "--push with --from-tag v0.1.0" in err
    assert "git push origin v0.1.0" in err
    assert _state(repo) == before
    (repo / "export.txt").write_text("csv\n")
    commit_all(repo, "feat: export")
    code, err = _release(repo, capsys, "--dry-run", "--push")
    assert code == 0, err
    assert "would tag v0.2.0 and push it to origin" in err
    assert git(repo, "tag", "--list") == "v0.1.0\n"


def test_push_to_an_unknown_remote_is_undone_too(
    make_tiny: Callable[..., Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_tiny()
    before = _state(repo)
    code, err = _release(repo, capsys, "--push", "nowhere")
    assert code == 3, err
    assert "git push of tag v0.1.0 to nowhere failed" in err
    assert _state(repo) == before


def test_subprocess_exit_code_of_a_refusal(
    make_tiny: Callable[..., Path], signing_env: Path
) -> None:
    # The exit code as a shell sees it, through the real entry point.
    repo = make_tiny()
    git(repo, "tag", "v0.1.0")
    done = subprocess.run(
        [sys.executable, "-m", "liturgia", "release", "--dry-run", "--project", str(repo)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "no releasable commits since v0.1.0" in done.stderr


def test_from_tag_builds_the_release_of_an_existing_tag(
    make_tiny: Callable[..., Path], signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # CI on a tag push: HEAD detached at the tag, which exists; nothing new is committed/tagged.
    repo = make_tiny()
    git(repo, "tag", "-a", "v0.3.0", "-m", "0.3.0")
    git(repo, "checkout", "-q", "--detach", "v0.3.0")
    before = _state(repo)
    code, err = _release(repo, capsys, "--from-tag", "v0.3.0")
    assert code == 0, err
    assert "released from the existing tag v0.3.0" in err
    assert (repo / "dist" / "tiny-0.3.0" / "SHA256SUMS").is_file()
    after = _state(repo)
    assert (after["head"], after["tags"], after["changelog"]) == (
        before["head"],
        before["tags"],
        before["changelog"],
    )
    commit_all_empty(repo, "fix: later")
    code, err = _release(repo, capsys, "--from-tag", "v0.3.0")
    _refused(code, err, "tag v0.3.0 does not name HEAD")
    code, err = _release(repo, capsys, "--from-tag", "v0.4.0")
    _refused(code, err, "tag v0.4.0 does not exist")
    code, err = _release(repo, capsys, "--from-tag", "release-7")
    _refused(code, err, "--from-tag release-7: not a release tag of the format 'v{version}'")


def test_several_components_released_from_one_repository(
    tmp_path: Path, signing_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A monorepo: each component a folder with its own liturgia.toml and tag prefix; a
    # component's version and notes move only with its own commits.
    repo = tmp_path / "mono"
    repo.mkdir()
    for name in ("cli", "web"):
        folder = repo / name
        folder.mkdir()
        (folder / "liturgia.toml").write_text(
            _config(tag_format=f"{name}/v{{version}}").replace('name = "tiny"', f'name = "{name}"')
        )
        (folder / "requirements.txt").write_text("idna==3.7\n")
        (folder / "build.py").write_text(_BUILD_SCRIPT)
        (folder / "osv").mkdir()
        (folder / "osv" / "TEST-2024-0001.json").write_text(json.dumps(_ADVISORY))
    (repo / ".gitignore").write_text("dist/\n")
    git(repo, "init", "-q")
    commit_all(repo, "feat: two components")
    git(repo, "tag", "-a", "cli/v1.0.0", "-m", "cli 1.0.0")
    git(repo, "tag", "web/v0.3.0")
    (repo / "cli" / "main.txt").write_text("quoting\n")
    commit_all(repo, "fix(cli): quoting")
    (repo / "web" / "app.txt").write_text("dark\n")
    commit_all(repo, "feat(web): dark mode")
    for name, version in (("cli", "1.0.1"), ("web", "0.4.0")):
        code, err = _release(repo / name, capsys)
        assert code == 0, err
        assert f"created {name}/v{version}" in err
        notes = (repo / name / "dist" / f"{name}-{version}" / "RELEASE_NOTES.md").read_text()
        other = "dark mode" if name == "cli" else "quoting"
        assert other not in notes
    assert git(repo, "tag", "--list") == "cli/v1.0.0\ncli/v1.0.1\nweb/v0.3.0\nweb/v0.4.0\n"
    assert "## [1.0.1]" in (repo / "cli" / "CHANGELOG.md").read_text()
    assert "## [0.4.0]" in (repo / "web" / "CHANGELOG.md").read_text()
    assert git(repo, "status", "--porcelain") == ""
