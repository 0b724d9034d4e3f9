"""Versions and notes of real git histories, beside python-semantic-release, commitizen, git-cliff.

Each history is built as a real git repository. Where a peer applies, it runs on the same
repository (its configuration committed in pyproject.toml) and its answer is asserted beside
liturgia's: equal where they agree; where a peer disagrees with another or with the specs
(SemVer 2.0.0, Conventional Commits 1.0.0), the test follows the spec and says so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.unit.release.conftest import GitRepo

from liturgia.cli import main

_BIN = Path(sys.executable).parent
_PEER_CONFIG = """[project]
name = "p"
version = "0.0.0"

[tool.liturgia.project]
name = "p"

[tool.commitizen]
name = "cz_conventional_commits"
version_provider = "scm"
version_scheme = "semver2"
tag_format = "v$version"

[tool.semantic_release]
version_toml = []
allow_zero_version = true
major_on_zero = false
tag_format = "v{version}"
"""


def _peer(repo: GitRepo, *args: str) -> str:
    """Run a peer's command in ``repo``; its last line of output (the version)."""
    done = subprocess.run(
        args, cwd=repo.path, capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.strip().splitlines()[-1].strip()


def psr(repo: GitRepo, *extra: str) -> str:
    """python-semantic-release's next version (``semantic-release --noop version --print``)."""
    return _peer(repo, str(_BIN / "semantic-release"), "--noop", "version", "--print", *extra)


def cz(repo: GitRepo, *extra: str) -> str:
    """commitizen's next version (``cz bump --get-next``)."""
    return _peer(repo, str(_BIN / "cz"), "bump", "--get-next", "--yes", *extra)


def cliff(repo: GitRepo, *extra: str) -> str:
    """git-cliff's next version (``git-cliff --bumped-version``), default configuration."""
    return _peer(repo, str(_BIN / "git-cliff"), "--bumped-version", *extra)


def cliff_component(repo: GitRepo, name: str) -> str:
    """git-cliff's next version of monorepo component ``name`` (its folder and tag prefix)."""
    return cliff(repo, "--include-path", f"{name}/**", "--tag-pattern", f"^{name}/v")


@pytest.fixture
def history(make_repo: Callable[..., GitRepo]) -> GitRepo:
    """A repository whose pyproject.toml configures liturgia and the peers; origin is set."""
    repo = make_repo()
    (repo.path / "pyproject.toml").write_text(_PEER_CONFIG)
    repo.git("add", "pyproject.toml")
    repo.git("commit", "-q", "-m", "chore: configure")
    # python-semantic-release reads the remote's URL (it is never contacted with --noop).
    repo.git("remote", "add", "origin", "https://github.com/example/p.git")
    return repo


def liturgia(repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """``liturgia version --print`` in ``repo``."""
    code = main(["version", "--print", "--project", str(repo.path), *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out.strip()


def refused(repo: GitRepo, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["version", "--print", "--project", str(repo.path), *args])
    out = capsys.readouterr()
    assert code == 2, out.out
    assert out.out == ""
    return out.err


@pytest.fixture
def peers() -> None:
    """The peers are in the test extra, so a missing one fails the test (never skips it)."""
    missing = [n for n in ("semantic-release", "cz", "git-cliff") if not (_BIN / n).exists()]
    if missing:
        pytest.fail(f"peers missing from {_BIN}: {missing}; run pip install -e '.[test]'")


needs_peers = pytest.mark.usefixtures("peers")


@needs_peers
def test_feat_and_fix_after_a_release_all_agree(
    history: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    history.tag("v1.2.0", annotated=True)
    history.commit("feat: export to CSV")
    history.commit("fix: crash on empty input")
    assert liturgia(history, capsys) == "1.3.0"
    assert psr(history) == "1.3.0"
    assert cz(history) == "1.3.0"
    assert cliff(history) == "v1.3.0"


@needs_peers
def test_prerelease_channel_counts_up_then_graduates(
    history: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    history.tag("v1.2.0")  # lightweight tags count as annotated ones do
    history.commit("feat: export")
    assert liturgia(history, capsys, "--pre", "rc") == "1.3.0-rc.1"
    assert psr(history, "--as-prerelease", "--prerelease-token", "rc") == "1.3.0-rc.1"
    history.tag("v1.3.0-rc.1", annotated=True)
    history.commit("fix: a bug found in rc.1")
    assert liturgia(history, capsys, "--pre", "rc") == "1.3.0-rc.2"
    assert psr(history, "--as-prerelease", "--prerelease-token", "rc") == "1.3.0-rc.2"
    assert cz(history, "--prerelease", "rc") == "1.3.0-rc.2"
    # The final release: every change since v1.2.0 (a feat) makes 1.3.0, above its rc's.
    assert liturgia(history, capsys) == "1.3.0"
    assert psr(history) == "1.3.0"
    assert cz(history) == "1.3.0"
    # git-cliff's default --bumped-version stays in the channel (v1.3.0-rc.2): a choice of its
    # own; SemVer §11 allows either, and liturgia gives the final unless --pre is asked.
    assert cliff(history) == "v1.3.0-rc.2"


def test_prerelease_counters_compare_numerically_and_restart_on_a_new_token(
    history: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    history.tag("v1.2.0")
    history.commit("feat: export")
    history.tag("v1.3.0-rc.9")
    history.commit("fix: one")
    history.tag("v1.3.0-rc.10")
    history.commit("fix: two")
    # SemVer §11.4.1: rc.10 > rc.9 (numbers), so the next is rc.11, not rc.10 again.
    assert liturgia(history, capsys, "--pre", "rc") == "1.3.0-rc.11"
    # A token that sorts after "rc" starts a new counter; one that sorts before is refused.
    assert liturgia(history, capsys, "--pre", "zeta") == "1.3.0-zeta.1"
    err = refused(history, capsys, "--pre", "beta")
    assert "1.3.0-beta.1 would not rank above the latest release 1.3.0-rc.10" in err
    # A breaking change moves the version: the counter restarts at 1.
    history.commit("feat!: drop the old API")
    assert liturgia(history, capsys, "--pre", "rc") == "2.0.0-rc.1"


def test_prerelease_only_tags_are_history(
    history: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    history.tag("v2.0.0-beta.1")
    history.commit("fix: one")
    # Not the initial 0.1.0: the project is at 2.0.0-beta.1.
    assert liturgia(history, capsys) == "2.0.0"
    assert liturgia(history, capsys, "--pre", "beta") == "2.0.0-beta.2"


def test_pep440_tags_are_read_under_the_pep440_scheme_or_named_in_a_warning(
    history: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    history.tag("v2.1.0")
    history.commit("feat: big")
    history.tag("v3.0.0rc1")
    history.commit("fix: small")
    # Under SemVer the PEP 440 tag is not read, but never skipped in silence.
    code = main(["version", "--print", "--project", str(history.path)])
    out = capsys.readouterr()
    assert code == 0
    assert out.out == "2.2.0\n"
    assert "tag v3.0.0rc1 is spelled in PEP 440" in out.err
    assert "project.version_scheme = 'pep440'" in out.err
    pyproject = history.path / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace(
            '[tool.liturgia.project]\nname = "p"',
            '[tool.liturgia.project]\nname = "p"\nversion_scheme = "pep440"',
        )
    )
    assert liturgia(history, capsys, "--pre", "rc") == "3.0.0-rc.2"
    code = main(["version", "--format", "json", "--project", str(history.path), "--pre", "rc"])
    assert code == 0
    assert '"tag": "v3.0.0rc2"' in capsys.readouterr().out
    assert liturgia(history, capsys) == "3.0.0"


@needs_peers
def test_monorepo_components_move_only_with_their_own_commits(
    make_repo: Callable[..., GitRepo], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo()
    for name in ("cli", "web"):
        (repo.path / name).mkdir()
        (repo.path / name / "liturgia.toml").write_text(
            f'[project]\nname = "{name}"\ntag_format = "{name}/v{{version}}"\n'
        )
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "chore: two components")
    repo.tag("cli/v1.2.3", annotated=True)
    repo.tag("web/v0.4.0")
    repo.tag("v9.0.0")  # the repository's own tags are not a component's history
    repo.commit("fix(cli): quoting", filename="cli/main.txt")
    repo.commit("feat(web): dark mode", filename="web/app.txt")
    repo.commit("feat!: root-level change", filename="README.txt")
    assert main(["version", "--print", "--project", str(repo.path / "cli")]) == 0
    assert capsys.readouterr().out == "1.2.4\n"
    # git-cliff, told each component's folder and tag prefix, agrees on both components.
    assert cliff_component(repo, "cli") == "cli/v1.2.4"
    assert cliff_component(repo, "web") == "web/v0.5.0"
    assert main(["version", "--format", "json", "--project", str(repo.path / "web")]) == 0
    out = capsys.readouterr().out
    assert '"version": "0.5.0"' in out
    assert '"tag": "web/v0.5.0"' in out
    assert '"since": "web/v0.4.0"' in out
    # A merge commit written as a Conventional Commit counts for the component it touches,
    # although its branch's own commits are not conventional.
    repo.git("switch", "-q", "-c", "topic")
    repo.commit("wip", filename="cli/more.txt")
    repo.git("switch", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "-m", "feat(cli): completion (#7)", "topic")
    assert main(["version", "--print", "--project", str(repo.path / "cli")]) == 0
    assert capsys.readouterr().out == "1.3.0\n"
    assert cliff_component(repo, "cli") == "cli/v1.3.0"


def test_squash_merge_bodies_reverts_and_footers(
    make_repo: Callable[..., GitRepo], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo()
    (repo.path / "liturgia.toml").write_text('[project]\nname = "sq"\n')
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "chore: init")
    repo.tag("v1.0.0")
    # GitHub's squash merge: the PR title, then each squashed commit as a "* " bullet.
    repo.commit(
        "Add exports (#12)\n\n* feat(export): CSV\n\n* fix(export): quote commas\n\n"
        "* feat(export)!: JSON lines replace JSON\n\n"
        "  BREAKING CHANGE: export.json is now export.jsonl\n"
    )
    shipped = repo.commit("feat: experimental cache")
    repo.commit(f"revert: feat: experimental cache\n\nRefs: {shipped[:10]}")
    # In a body paragraph, BREAKING CHANGE: is prose, not a footer (Conventional Commits
    # item 8: footers follow the body); this commit is a minor change.
    repo.commit(
        "feat: retries\n\nBREAKING CHANGE: nothing breaks, this paragraph is prose.\n\n"
        "Reviewed-by: Zoë"
    )
    repo.commit("Update README", filename="README.md")
    # git's `git merge --squash` message.
    repo.commit(
        "Squashed commit of the following:\n\ncommit " + "a" * 40 + "\n"
        "Author: Ann <ann@example.invalid>\nDate:   Mon Jan 1 00:00:00 2024 +0000\n\n"
        "    perf: faster index\n"
    )
    code = main(["version", "--format", "json", "--project", str(repo.path)])
    out = capsys.readouterr().out
    assert code == 0
    assert '"version": "2.0.0"' in out
    assert '"not_conventional": [' in out
    assert "Update README" in out
    assert main(["notes", "--project", str(repo.path)]) == 0
    notes = capsys.readouterr().out
    # The breaking change first, with its migration note, and listed only there.
    assert notes.index("## Breaking changes") < notes.index("## Features")
    assert "- **export:** JSON lines replace JSON — export.jsonl" not in notes
    assert "JSON lines replace JSON — export.json is now export.jsonl" in notes
    assert notes.count("JSON lines replace JSON") == 1
    assert "- **export:** CSV (" in notes
    assert "- **export:** quote commas (" in notes
    assert "- faster index (" in notes
    # The revert and what it reverts cancel out: neither is listed.
    assert "experimental cache" not in notes
    assert "- retries (" in notes
    assert "## Commits that are not Conventional Commits\n\n- Update README (" in notes


def test_notes_non_ascii_contributors_and_unreleased_notes_move(
    make_repo: Callable[..., GitRepo], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo()
    (repo.path / "liturgia.toml").write_text('[project]\nname = "intl"\n')
    (repo.path / "CHANGELOG.md").write_text(
        "# Changelog\n\n## [Unreleased]\n\n### Security\n\n- Rotated the signing key.\n\n"
        "## [1.0.0] - 2024-01-01\n\n### Added\n\n- first (hand-edited)\n"
    )
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "chore: init")
    repo.tag("v1.0.0")
    (repo.path / "i18n.txt").write_text("¡hola!\n")
    repo.git("add", "i18n.txt")
    subprocess.run(
        ["git", "-C", str(repo.path), "commit", "-q", "-F", "-"],
        input="FEAT(i18n): añadir exportación 🚀\n\nCo-authored-by: 李雷 <li@example.invalid>",
        text=True,
        check=True,
        env={**os.environ, "GIT_AUTHOR_NAME": "Zoë Ångström"},
    )
    assert main(["notes", "--changelog", "--project", str(repo.path)]) == 0
    notes = capsys.readouterr().out
    assert "- **i18n:** añadir exportación 🚀 (" in notes
    assert "## Contributors\n\n- Zoë Ångström\n- 李雷\n" in notes
    assert "## Notes\n\n- Rotated the signing key.\n" in notes
    changelog = (repo.path / "CHANGELOG.md").read_text()
    assert changelog.index("## [Unreleased]") < changelog.index("## [1.1.0]")
    assert changelog.index("## [1.1.0]") < changelog.index("- Rotated the signing key.")
    assert changelog.index("- Rotated the signing key.") < changelog.index("## [1.0.0]")
    assert "- first (hand-edited)" in changelog
    # Twice adds nothing twice.
    assert main(["notes", "--changelog", "--project", str(repo.path)]) == 0
    capsys.readouterr()
    assert (repo.path / "CHANGELOG.md").read_text() == changelog


def test_prerelease_sections_fold_into_the_final_release(
    make_repo: Callable[..., GitRepo], capsys: pytest.CaptureFixture[str]
) -> None:
    repo = make_repo()
    (repo.path / "liturgia.toml").write_text('[project]\nname = "f"\n')
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "chore: init")
    repo.tag("v1.0.0")
    repo.commit("feat: one")
    assert main(["notes", "--changelog", "--pre", "rc", "--project", str(repo.path)]) == 0
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "chore(release): 1.1.0-rc.1")
    repo.tag("v1.1.0-rc.1")
    repo.commit("fix: two")
    assert main(["notes", "--changelog", "--project", str(repo.path)]) == 0
    capsys.readouterr()
    changelog = (repo.path / "CHANGELOG.md").read_text()
    assert "## [1.1.0-rc.1]" not in changelog
    assert changelog.count("- one (") == 1
    assert "- two (" in changelog
    # With prerelease_changelog = "keep" the rc section stays.
    repo.git("checkout", "-q", "--", ".")
    (repo.path / "liturgia.toml").write_text(
        '[project]\nname = "f"\nprerelease_changelog = "keep"\n'
    )
    assert main(["notes", "--changelog", "--project", str(repo.path)]) == 0
    capsys.readouterr()
    kept = (repo.path / "CHANGELOG.md").read_text()
    assert "## [1.1.0-rc.1]" in kept
    assert kept.index("## [1.1.0]") < kept.index("## [1.1.0-rc.1]")


def test_no_git_says_there_is_no_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "liturgia.toml").write_text('[project]\nname = "n"\ninitial_version = "0.3.0"\n')
    assert main(["version", "--project", str(tmp_path)]) == 0
    out = capsys.readouterr()
    assert out.out.startswith("0.3.0  tag v0.3.0\n")
    assert "no git repository: no version history, no tag" in out.out + out.err


def test_peers_are_in_the_test_extra() -> None:
    text = (Path(__file__).parents[3] / "pyproject.toml").read_text()
    for name in ("python-semantic-release", "commitizen", "git-cliff"):
        assert f'"{name}' in text, name
    assert shutil.which("git") is not None


@needs_peers
def test_breaking_change_in_a_body_paragraph_peers_disagree_with_the_spec(
    history: GitRepo, capsys: pytest.CaptureFixture[str]
) -> None:
    history.tag("v1.3.0")
    history.commit(
        "feat: retries\n\nBREAKING CHANGE: nothing breaks, this paragraph is prose.\n\n"
        "Reviewed-by: Zoë"
    )
    # Conventional Commits 1.0.0 item 8 puts footers one blank line after the body, and
    # issue 14 reads them (as git-interpret-trailers does) in the last paragraph only: this
    # BREAKING CHANGE: line is body text, so a feat gives 1.4.0. python-semantic-release,
    # commitizen and git-cliff all scan every line and answer 2.0.0; we follow the spec.
    assert liturgia(history, capsys) == "1.4.0"
    assert psr(history) == "2.0.0"
    assert cz(history) == "2.0.0"
    assert cliff(history) == "v2.0.0"
    # In the last paragraph, among other footers, BREAKING-CHANGE: is breaking for everyone.
    history.tag("v1.4.0")
    history.commit("fix: x\n\nRefs: #1\nBREAKING-CHANGE: the retry option is gone")
    assert liturgia(history, capsys) == "2.0.0"
    assert psr(history) == "2.0.0"
    assert cz(history) == "2.0.0"
    assert cliff(history) == "v2.0.0"
