"""The git wrapper against real repositories built in temporary folders."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from liturgia.errors import InputError
from liturgia.release.commits import parse_commit
from liturgia.release.git import (
    commit_paths,
    create_annotated_tag,
    head_commit,
    is_git_repo,
    last_release_tag,
    read_commits,
    release_tags,
    tag_exists,
    working_tree_dirty,
)
from liturgia.release.version import Version


def test_read_commits_oldest_first_with_multiline_bodies(make_repo):
    repo = make_repo()
    first = repo.commit("chore: init")
    body = (
        "feat(api)!: new endpoint\n\nParagraph one\nwith two lines.\n\n"
        "Paragraph two has\ttabs and unicode: é ✓.\n\nBREAKING CHANGE: old endpoint removed\n"
    )
    second = repo.commit(body)
    third = repo.commit("fix: a bug")
    commits = read_commits(repo.path, None)
    assert [c.sha for c in commits] == [first, second, third]
    assert commits[1].subject == "feat(api)!: new endpoint"
    assert commits[1].body == (
        "Paragraph one\nwith two lines.\n\nParagraph two has\ttabs and unicode: é ✓.\n\n"
        "BREAKING CHANGE: old endpoint removed"
    )
    parsed = parse_commit(commits[1])
    assert parsed is not None
    assert parsed.breaking
    assert parsed.breaking_notes == ("old endpoint removed",)
    assert commits[0].body == ""
    assert head_commit(repo.path) == third
    assert len(third) == 40


def test_read_commits_since_a_tag(make_repo):
    repo = make_repo()
    repo.commit("feat: one")
    repo.tag("v0.1.0", annotated=True)
    two = repo.commit("fix: two")
    three = repo.commit("docs: three")
    assert [c.sha for c in read_commits(repo.path, "v0.1.0")] == [two, three]
    assert read_commits(repo.path, "HEAD") == ()


def test_read_commits_merges_parse_only_when_conventional(make_repo):
    repo = make_repo()
    repo.commit("chore: init")
    repo.git("checkout", "-q", "-b", "topic")
    topic = repo.commit("wip", filename="topic.txt")
    repo.git("checkout", "-q", "main")
    mainline = repo.commit("fix: on main", filename="main.txt")
    repo.git("merge", "-q", "--no-ff", "-m", "feat(export): CSV export (#12)", "topic")
    merge = repo.git("rev-parse", "HEAD")
    repo.git("checkout", "-q", "-b", "other", "HEAD~1")
    repo.commit("docs: other", filename="other.txt")
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--no-ff", "--no-edit", "other")
    commits = read_commits(repo.path, None)
    shas = [c.sha for c in commits]
    assert {topic, mainline, merge} <= set(shas)
    assert len(shas) == 6
    parsed = {c.sha: parse_commit(c) for c in commits}
    assert parsed[topic] is None
    merged = parsed[merge]
    assert merged is not None
    assert (merged.type, merged.scope, merged.description) == ("feat", "export", "CSV export (#12)")
    assert commits[-1].subject == "Merge branch 'other'"
    assert parsed[shas[-1]] is None


def test_read_commits_empty_message_and_encoding(make_repo):
    repo = make_repo()
    repo.commit("placeholder")
    repo.git("commit", "-q", "--amend", "--allow-empty-message", "-m", "")
    empty = repo.git("rev-parse", "HEAD")
    repo.git("config", "i18n.commitEncoding", "ISO-8859-1")
    (repo.path / "l.txt").write_text("x", encoding="utf-8")
    repo.git("add", "l.txt")
    subprocess.run(
        ["git", "-C", str(repo.path), "commit", "-q", "-F", "-"],
        input="feat: café latin-1".encode("latin-1"),
        check=True,
    )
    commits = read_commits(repo.path, None)
    assert commits[0].sha == empty
    assert commits[0].subject == ""
    assert parse_commit(commits[0]) is None
    assert commits[1].subject == "feat: café latin-1"


def test_read_commits_in_a_subfolder_of_the_work_tree(make_repo):
    repo = make_repo()
    sha = repo.commit("feat: x")
    sub = repo.path / "examples" / "app"
    sub.mkdir(parents=True)
    assert is_git_repo(sub)
    assert [c.sha for c in read_commits(sub, None)] == [sha]


def test_unknown_or_option_like_since_ref(make_repo):
    repo = make_repo()
    repo.commit("feat: x")
    with pytest.raises(InputError, match=r"unknown git revision 'v9\.9\.9'"):
        read_commits(repo.path, "v9.9.9")
    with pytest.raises(InputError, match="is not a git revision"):
        read_commits(repo.path, "--all")


def test_not_a_repository_names_the_folder(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    assert not is_git_repo(plain)
    assert not is_git_repo(tmp_path / "missing")
    for call in (
        lambda: read_commits(plain, None),
        lambda: head_commit(plain),
        lambda: last_release_tag(plain),
        lambda: working_tree_dirty(plain),
        lambda: create_annotated_tag(plain, "v1.0.0", "m"),
    ):
        with pytest.raises(InputError, match=rf"{plain}: not a git repository"):
            call()


def test_repository_without_commits(make_repo):
    repo = make_repo()
    assert is_git_repo(repo.path)
    assert last_release_tag(repo.path) is None
    with pytest.raises(InputError, match="has no commits yet"):
        read_commits(repo.path, None)
    with pytest.raises(InputError, match="has no commits yet"):
        head_commit(repo.path)


def test_git_missing_from_path(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(InputError, match="git: command not found"):
        is_git_repo(tmp_path)


def test_last_release_tag_picks_highest_semver_reachable(make_repo):
    repo = make_repo()
    repo.commit("feat: a")
    repo.tag("v0.9.0")
    repo.commit("feat: b")
    repo.tag("v0.10.0", annotated=True)  # numerically above 0.9.0, below it as text
    repo.tag("release-7")
    repo.tag("v1.0.0-rc.1")
    repo.tag("v01.0.0")
    repo.tag("version-2")
    repo.commit("fix: c")
    # A higher tag on another branch is not reachable from HEAD.
    repo.git("checkout", "-q", "-b", "other")
    repo.commit("feat: elsewhere", filename="other.txt")
    repo.tag("v5.0.0")
    repo.git("checkout", "-q", "main")
    assert last_release_tag(repo.path) == ("v0.10.0", Version.parse("0.10.0"))
    assert last_release_tag(repo.path, include_prereleases=True) == (
        "v1.0.0-rc.1",
        Version.parse("1.0.0-rc.1"),
    )
    assert [t for t, _ in release_tags(repo.path)] == ["v0.9.0", "v0.10.0"]


def test_prerelease_tags_order_below_their_release(make_repo):
    repo = make_repo()
    repo.commit("feat: a")
    for name in ("v1.0.0-rc.2", "v1.0.0-rc.10", "v1.0.0", "v1.0.0-beta", "v1.0.0+build.5"):
        repo.tag(name)
    names = [t for t, _ in release_tags(repo.path, include_prereleases=True)]
    assert names == ["v1.0.0-beta", "v1.0.0-rc.2", "v1.0.0-rc.10", "v1.0.0", "v1.0.0+build.5"]
    assert last_release_tag(repo.path) == ("v1.0.0", Version.parse("1.0.0"))


def test_no_release_tags(make_repo):
    repo = make_repo()
    repo.commit("feat: a")
    repo.tag("nightly")
    assert last_release_tag(repo.path) is None


def test_create_annotated_tag(make_repo):
    repo = make_repo()
    sha = repo.commit("feat: a")
    create_annotated_tag(repo.path, "v0.1.0", "demo 0.1.0\n\n--not an option")
    assert repo.git("cat-file", "-t", "v0.1.0") == "tag"
    assert repo.git("rev-parse", "v0.1.0^{commit}") == sha
    assert (
        repo.git("tag", "-l", "--format=%(contents)", "v0.1.0") == "demo 0.1.0\n\n--not an option"
    )
    assert last_release_tag(repo.path) == ("v0.1.0", Version.parse("0.1.0"))
    with pytest.raises(InputError, match=r"tag v0\.1\.0 already exists"):
        create_annotated_tag(repo.path, "v0.1.0", "again")
    with pytest.raises(InputError, match="'bad tag' is not a valid git tag name"):
        create_annotated_tag(repo.path, "bad tag", "m")
    with pytest.raises(InputError, match="is not a valid git tag name"):
        create_annotated_tag(repo.path, "-v1", "m")


def test_create_annotated_tag_on_another_target(make_repo):
    repo = make_repo()
    first = repo.commit("feat: a")
    repo.commit("fix: b")
    create_annotated_tag(repo.path, "v0.1.0", "m", target=first)
    assert repo.git("rev-parse", "v0.1.0^{commit}") == first


def test_create_annotated_tag_without_identity_quotes_git(make_repo, monkeypatch):
    repo = make_repo()
    repo.commit("feat: a")
    repo.git("config", "--unset", "user.name")
    repo.git("config", "--unset", "user.email")
    repo.git("config", "user.useConfigOnly", "true")
    for key in ("GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("EMAIL", raising=False)
    with pytest.raises(InputError, match=r"git tag failed: fatal: .*"):
        create_annotated_tag(repo.path, "v0.1.0", "m")
    assert repo.git("tag", "-l") == ""


def test_working_tree_dirty(make_repo):
    repo = make_repo()
    repo.commit("feat: a", filename="a.txt")
    assert not working_tree_dirty(repo.path)
    (repo.path / "untracked.txt").write_text("new\n", encoding="utf-8")
    assert not working_tree_dirty(repo.path)
    assert working_tree_dirty(repo.path, include_untracked=True)
    (repo.path / "a.txt").write_text("changed\n", encoding="utf-8")
    assert working_tree_dirty(repo.path)
    repo.git("add", "a.txt")
    assert working_tree_dirty(repo.path)  # staged counts too


def test_git_failure_message_is_one_line(make_repo, tmp_path):
    # A corrupt HEAD makes git itself fail; the error quotes git's fatal line.
    repo = make_repo()
    repo.commit("feat: a")
    (repo.path / ".git" / "refs" / "heads" / "main").write_text("nonsense\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        head_commit(repo.path)
    assert "\n" not in str(info.value)
    assert (
        str(info.value)
        == f"{repo.path}: cannot read HEAD: fatal: your current branch appears to be broken"
    )


def test_works_with_repository_created_by_plain_git(tmp_path):
    # No fixture: make sure nothing depends on the conftest environment beyond an identity.
    path = tmp_path / "plain-git"
    path.mkdir()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "A",
        "GIT_AUTHOR_EMAIL": "a@example.invalid",
        "GIT_COMMITTER_NAME": "A",
        "GIT_COMMITTER_EMAIL": "a@example.invalid",
    }
    subprocess.run(["git", "init", "-q", str(path)], check=True, env=env)
    (path / "f").write_text("x", encoding="utf-8")
    subprocess.run(["git", "-C", str(path), "add", "f"], check=True, env=env)
    subprocess.run(
        ["git", "-C", str(path), "commit", "-q", "-m", "feat: first"], check=True, env=env
    )
    commits = read_commits(Path(path), None)
    assert [c.subject for c in commits] == ["feat: first"]


def test_read_commits_limited_to_paths(make_repo):
    repo = make_repo()
    (repo.path / "app").mkdir()
    inside = repo.commit("feat: app change", filename="app/x.txt")
    repo.commit("docs: top-level readme", filename="README.md")
    assert [c.sha for c in read_commits(repo.path, None, paths=["app"])] == [inside]
    assert [c.sha for c in read_commits(repo.path / "app", None, paths=["."])] == [inside]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to chown to another user")
def test_repository_owned_by_another_user_says_so(make_repo):
    repo = make_repo()
    repo.commit("feat: a")
    for path in [repo.path, *repo.path.rglob("*")]:
        os.lchown(path, 12345, 12345)
    with pytest.raises(InputError, match=r"owned by another user; run `git config --global"):
        is_git_repo(repo.path)


def test_tag_exists(make_repo):
    repo = make_repo()
    repo.commit("feat: a")
    assert not tag_exists(repo.path, "v0.1.0")
    repo.tag("v0.1.0")
    assert tag_exists(repo.path, "v0.1.0")
    assert not tag_exists(repo.path, "v0.1")


def test_commit_paths_commits_only_the_given_files(make_repo):
    repo = make_repo()
    repo.commit("feat: a", filename="a.txt")
    (repo.path / "a.txt").write_text("user work in progress\n", encoding="utf-8")
    repo.git("add", "a.txt")
    (repo.path / "CHANGELOG.md").write_text("# Changelog\n", encoding="utf-8")
    sha = commit_paths(repo.path, [Path("CHANGELOG.md")], "chore(release): 0.1.0")
    assert sha == repo.git("rev-parse", "HEAD")
    assert repo.git("show", "--format=%s", "--name-only", "HEAD").split("\n") == [
        "chore(release): 0.1.0",
        "",
        "CHANGELOG.md",
    ]
    # The user's staged change is still staged, not committed.
    assert repo.git("diff", "--cached", "--name-only") == "a.txt"
    (repo.path / "CHANGELOG.md").write_text("# Changelog\n\n## [0.1.0]\n", encoding="utf-8")
    second = commit_paths(repo.path, [repo.path / "CHANGELOG.md"], "chore(release): again")
    assert second != sha


def test_commit_paths_errors(make_repo, tmp_path):
    repo = make_repo()
    repo.commit("feat: a", filename="a.txt")
    with pytest.raises(InputError, match="no file to commit"):
        commit_paths(repo.path, [], "m")
    with pytest.raises(InputError, match=r"nothing to commit in .*a\.txt"):
        commit_paths(repo.path, [Path("a.txt")], "m")
    outside = tmp_path / "outside.txt"
    outside.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=r"git add failed: fatal: .*outside repository"):
        commit_paths(repo.path, [outside], "m")


def test_commit_paths_without_identity(make_repo, monkeypatch):
    repo = make_repo()
    repo.commit("feat: a", filename="a.txt")
    repo.git("config", "--unset", "user.name")
    repo.git("config", "--unset", "user.email")
    repo.git("config", "user.useConfigOnly", "true")
    for key in ("GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"):
        monkeypatch.delenv(key, raising=False)
    (repo.path / "a.txt").write_text("changed\n", encoding="utf-8")
    with pytest.raises(InputError, match="git commit failed: "):
        commit_paths(repo.path, [Path("a.txt")], "m")
