"""The few git operations a release needs, through the real ``git`` command.

Every call runs ``git -C <repo> ...`` with a C locale (stable messages) and no prompt. Failures a
user can fix — ``git`` missing, a folder that is not a repository, an unknown ref, a tag that
exists, no committer identity — raise :class:`~liturgia.errors.InputError` naming the folder.
Release tags are ``v`` followed by a SemVer 2.0.0 version (``v1.2.3``), the convention of the
semver.org FAQ and of python-semantic-release.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from liturgia.errors import InputError, NetworkError
from liturgia.release.commits import Commit
from liturgia.release.tags import TagFormat
from liturgia.release.version import Version

__all__ = [
    "commit_exists",
    "commit_paths",
    "create_annotated_tag",
    "current_branch",
    "delete_tag",
    "head_commit",
    "history_problem",
    "is_git_repo",
    "is_top_level",
    "last_release_tag",
    "push_tag",
    "read_commits",
    "read_release_tags",
    "release_tags",
    "remote_tag_commit",
    "remote_url",
    "tag_commit",
    "tag_exists",
    "undo_commit",
    "unread_tags",
    "working_tree_dirty",
]

logger = logging.getLogger(__name__)

_DEFAULT_FORMAT = TagFormat()


def _git_executable() -> str:
    git = shutil.which("git")
    if git is None:
        raise InputError("git: command not found on PATH; install git to read commits and tags")
    return git


def _run(
    repo: Path, *args: str, check: bool = True, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git -C repo args...``; raise InputError naming ``repo`` when it fails and ``check``."""
    env = {**os.environ, "LC_ALL": "C", "LANGUAGE": "C", "GIT_TERMINAL_PROMPT": "0"}
    try:
        done = subprocess.run(
            [_git_executable(), "-C", str(repo), *args],
            input=stdin,
            capture_output=True,
            env=env,
            check=False,
        )
    except OSError as exc:
        raise InputError(f"{repo}: cannot run git: {exc.strerror or exc}") from exc
    if check and done.returncode != 0:
        raise InputError(f"{repo}: git {args[0]} failed: {_first_line(done.stderr)}")
    return done


def _first_line(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    # git prefixes the useful line with "fatal:"; prefer it over hints.
    fatal = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return (fatal or lines or ["no message"])[0]


def is_git_repo(path: Path) -> bool:
    """Whether ``path`` is inside a git work tree.

    Raises:
        InputError: ``git`` is not installed.
    """
    if not path.is_dir():
        return False
    done = _run(path, "rev-parse", "--is-inside-work-tree", check=False)
    if b"dubious ownership" in done.stderr:
        # git >= 2.35.2 refuses repositories owned by another user (CVE-2022-24765); saying
        # "not a git repository" would hide the fix (git config --global --add safe.directory).
        raise InputError(
            f"{path}: git refuses the repository: owned by another user; "
            f"run `git config --global --add safe.directory {path}` if you trust it"
        )
    return done.returncode == 0 and done.stdout.strip() == b"true"


def is_top_level(path: Path) -> bool:
    """Whether ``path`` is the top folder of its git work tree.

    Raises:
        InputError: not a repository or git missing.
    """
    _require_repo(path)
    done = _run(path, "rev-parse", "--show-prefix")
    return done.stdout.strip() == b""


def _require_repo(repo: Path) -> None:
    if not is_git_repo(repo):
        raise InputError(f"{repo}: not a git repository (run `git init` or pass --version)")


def _require_commits(repo: Path) -> None:
    done = _run(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    if done.returncode != 0:
        probe = _run(repo, "log", "-1", "--format=%H", check=False)
        if b"does not have any commits yet" in probe.stderr:
            raise InputError(f"{repo}: the git repository has no commits yet")
        raise InputError(f"{repo}: cannot read HEAD: {_first_line(probe.stderr)}")


def head_commit(repo: Path) -> str:
    """The full object name of ``HEAD``.

    Raises:
        InputError: not a repository, git missing, or no commit yet.
    """
    _require_repo(repo)
    _require_commits(repo)
    return _run(repo, "rev-parse", "HEAD^{commit}").stdout.decode("ascii").strip()


def head_commit_time(repo: Path) -> int:
    """The committer time of ``HEAD``, in seconds since the Unix epoch (``git log -1 %ct``).

    Raises:
        InputError: not a repository, git missing, or no commit yet.
    """
    _require_repo(repo)
    _require_commits(repo)
    return int(_run(repo, "log", "-1", "--format=%ct", "HEAD").stdout.decode("ascii").strip())


def _resolve(repo: Path, ref: str) -> str:
    if not ref or ref.startswith("-"):
        raise InputError(f"{repo}: {ref!r} is not a git revision")
    done = _run(
        repo,
        "rev-parse",
        "--verify",
        "--quiet",
        "--end-of-options",
        f"{ref}^{{commit}}",
        check=False,
    )
    if done.returncode != 0:
        raise InputError(f"{repo}: unknown git revision {ref!r}")
    return done.stdout.decode("ascii").strip()


def read_commits(
    repo: Path, since_ref: str | None, *, paths: Sequence[str] = ()
) -> tuple[Commit, ...]:
    """The commits reachable from ``HEAD`` and not from ``since_ref``, oldest first.

    Merge commits are included, as python-semantic-release and git-cliff read them: git's own
    merge subjects (``Merge branch 'x'``, ``Merge pull request #1 from ...``) are not
    Conventional Commits and parse to ``None``, while a merge whose subject was written as one
    (``feat: add export (#12)``) counts — otherwise a feature merged from a branch of
    non-conventional commits would vanish from the version and the changelog. Records are read
    with ``-z`` (NUL-terminated), which is safe because git refuses NUL in a commit message, so
    multi-line bodies parse exactly.

    Args:
        repo: a folder inside the work tree.
        since_ref: the last release's tag (or any revision), or ``None`` for the whole history.
        paths: only commits touching these pathspecs (relative to ``repo``), e.g. ``["."]``
            for a project living in a sub-folder of a larger repository; all commits when empty.

    Raises:
        InputError: not a repository, git missing, no commit yet, or ``since_ref`` unknown.
    """
    _require_repo(repo)
    _require_commits(repo)
    revision = "HEAD" if since_ref is None else f"{_resolve(repo, since_ref)}..HEAD"
    # --full-history: with a pathspec, git's default history simplification would hide a merge
    # that is TREESAME to one parent, i.e. most merges of a feature branch.
    done = _run(
        repo,
        "log",
        "-z",
        "--reverse",
        "--encoding=UTF-8",
        "--format=%H%n%an%n%B",
        *(("--full-history",) if paths else ()),
        revision,
        "--",
        *paths,
    )
    commits: list[Commit] = []
    for record in done.stdout.decode("utf-8", "replace").split("\0"):
        if not record.strip():
            continue
        sha, _, rest = record.partition("\n")
        author, _, message = rest.partition("\n")
        commits.append(Commit.from_message(sha.strip(), message, author=author.strip()))
    logger.debug("read %d commits from %s since %s", len(commits), repo, since_ref)
    return tuple(commits)


def _tag_names(repo: Path, tag_format: TagFormat) -> list[str]:
    _require_repo(repo)
    done = _run(repo, "rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
    if done.returncode != 0:
        return []
    names = _run(repo, "tag", "--merged", "HEAD", "--list", tag_format.glob)
    return [n.strip() for n in names.stdout.decode("utf-8", "replace").splitlines() if n.strip()]


def read_release_tags(
    repo: Path, *, tag_format: TagFormat = _DEFAULT_FORMAT
) -> tuple[tuple[tuple[str, Version], ...], tuple[str, ...]]:
    """Every release tag reachable from ``HEAD`` (pre-releases included) and the unread ones.

    One ``git tag --merged HEAD`` walk answers both :func:`release_tags` and
    :func:`unread_tags`.

    Returns:
        ``(tags, warnings)``: ``(name, version)`` pairs, lowest to highest SemVer precedence
        (§11; the name breaks ties), and one reason per tag that looks like a release but that
        ``tag_format``'s scheme does not read (``v3.0.0rc1`` under SemVer).

    Raises:
        InputError: not a repository or git missing.
    """
    found: list[tuple[str, Version]] = []
    warnings: list[str] = []
    for name in _tag_names(repo, tag_format):
        version = tag_format.parse(name)
        if version is not None:
            found.append((name, version))
            continue
        reason = tag_format.foreign(name)
        if reason is not None:
            warnings.append(reason)
        logger.debug("ignoring tag %s: not a %s version", name, tag_format.scheme)
    found.sort(key=lambda item: (item[1].precedence_key(), item[0]))
    return tuple(found), tuple(warnings)


def release_tags(
    repo: Path,
    *,
    include_prereleases: bool = False,
    tag_format: TagFormat = _DEFAULT_FORMAT,
) -> tuple[tuple[str, Version], ...]:
    """Release tags reachable from ``HEAD``, lowest to highest SemVer precedence (§11).

    Lightweight and annotated tags count alike (``git tag --merged HEAD``).

    Args:
        repo: a folder inside the work tree.
        include_prereleases: also count pre-release tags (``v1.3.0-rc.1``) and tags with build
            metadata; by default only final versions (``v1.2.3``) are releases.
        tag_format: the tag format and version scheme (default ``v{version}``, SemVer); tags
            it does not read are left out (see :func:`unread_tags`).

    Raises:
        InputError: not a repository or git missing.
    """
    tags, _ = read_release_tags(repo, tag_format=tag_format)
    return tuple(
        (name, version)
        for name, version in tags
        if include_prereleases or not (version.prerelease or version.build)
    )


def unread_tags(repo: Path, *, tag_format: TagFormat = _DEFAULT_FORMAT) -> tuple[str, ...]:
    """Reasons for tags that look like releases but that ``tag_format``'s scheme does not read.

    E.g. ``v3.0.0rc1`` under the SemVer scheme: a warning names it and the setting to change,
    so no release history is skipped in silence.

    Raises:
        InputError: not a repository or git missing.
    """
    return read_release_tags(repo, tag_format=tag_format)[1]


def history_problem(repo: Path, *, have_tags: bool = False) -> str | None:
    """Why the local history cannot be trusted to compute a version, or ``None``.

    A shallow clone (``git clone --depth``, CI checkouts) lacks older commits and tags; a clone
    made with ``--no-tags`` (``remote.<name>.tagOpt = --no-tags``) lacks every tag. Either would
    make the last release invisible and the next version wrong (a "first release" over a
    project at 1.x), so the answer says how to fetch what is missing. With ``have_tags`` (release
    tags were found, e.g. fetched since with ``git fetch --tags``), a ``--no-tags`` clone is
    not a problem.

    Raises:
        InputError: not a repository or git missing.
    """
    _require_repo(repo)
    shallow = _run(repo, "rev-parse", "--is-shallow-repository", check=False)
    if shallow.stdout.strip() == b"true":
        return (
            f"{repo}: shallow clone: the history and tags needed to compute the version are "
            "missing; run `git fetch --unshallow --tags` (in GitHub Actions: "
            "actions/checkout with fetch-depth: 0)"
        )
    if have_tags:
        return None
    options = _run(repo, "config", "--get-regexp", r"^remote\..*\.tagopt$", check=False)
    for line in options.stdout.decode("utf-8", "replace").splitlines():
        key, _, value = line.partition(" ")
        if value.strip() == "--no-tags":
            remote = key.split(".")[1] if key.count(".") >= 2 else "origin"
            return (
                f"{repo}: cloned without tags ({key} = --no-tags): the release tags are "
                f"missing; run `git fetch --tags {remote}`"
            )
    return None


def current_branch(repo: Path) -> str | None:
    """The checked-out branch's short name, or ``None`` on a detached ``HEAD``.

    Raises:
        InputError: not a repository or git missing.
    """
    _require_repo(repo)
    done = _run(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    if done.returncode != 0:
        return None
    return done.stdout.decode("utf-8", "replace").strip() or None


def remote_url(repo: Path, remote: str = "origin") -> str | None:
    """The fetch URL of ``remote`` without user name or password, or ``None`` if there is none.

    Raises:
        InputError: not a repository or git missing.
    """
    _require_repo(repo)
    done = _run(repo, "remote", "get-url", remote, check=False)
    url = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode != 0 or not url:
        return None
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        url = f"{scheme}://{rest.split('@', 1)[1]}"  # credentials never go into a document
    return url


def push_tag(repo: Path, remote: str, tag: str) -> None:
    """Push ``refs/tags/<tag>`` to ``remote`` (``git push --porcelain REMOTE refs/tags/TAG``).

    Only the tag is pushed: no branch, no other tag. The remote refuses to overwrite a tag it
    already has (no ``--force``).

    Raises:
        NetworkError: git cannot push (remote unreachable or refusing); the message quotes git.
        InputError: not a repository, or ``remote`` is not a remote name or URL.
    """
    _require_repo(repo)
    if not remote or remote.startswith("-"):
        raise InputError(f"{repo}: {remote!r} is not a git remote")
    done = _run(repo, "push", "--porcelain", "--no-verify", remote, f"refs/tags/{tag}", check=False)
    if done.returncode != 0:
        said = done.stderr if done.stderr.strip() else done.stdout
        raise NetworkError(f"{repo}: git push of tag {tag} to {remote} failed: {_first_line(said)}")


def delete_tag(repo: Path, tag: str) -> None:
    """Delete the local tag ``tag`` (undoing a release whose push failed).

    Raises:
        InputError: not a repository, or git cannot delete it.
    """
    _require_repo(repo)
    _run(repo, "tag", "--delete", "--end-of-options", tag)


def last_release_tag(
    repo: Path,
    *,
    include_prereleases: bool = False,
    tag_format: TagFormat = _DEFAULT_FORMAT,
) -> tuple[str, Version] | None:
    """The highest-precedence release tag reachable from ``HEAD``, or ``None``.

    Returns:
        ``(tag name, version)``, e.g. ``("v1.4.0", Version(1, 4, 0))``; ``None`` when no tag
        matches (a first release) or the repository has no commit yet.

    Raises:
        InputError: not a repository or git missing.
    """
    tags = release_tags(repo, include_prereleases=include_prereleases, tag_format=tag_format)
    return tags[-1] if tags else None


def create_annotated_tag(repo: Path, tag: str, message: str, *, target: str = "HEAD") -> None:
    """Create the annotated tag ``tag`` on ``target`` with ``message`` (``git tag -a``).

    The tagger is the user's git identity (``user.name``/``user.email``); liturgia does not
    invent one.

    Raises:
        InputError: not a repository, an invalid tag name, the tag already exists, or git
            refuses (e.g. no identity configured; the message quotes git).
    """
    _require_repo(repo)
    _require_commits(repo)
    valid = _run(repo, "check-ref-format", f"refs/tags/{tag}", check=False)
    if valid.returncode != 0 or tag.startswith("-"):
        raise InputError(f"{repo}: {tag!r} is not a valid git tag name")
    if tag_exists(repo, tag):
        raise InputError(f"{repo}: tag {tag} already exists")
    commit = _resolve(repo, target)
    # The message goes through stdin (-F -) so no text of it can be read as an option.
    done = _run(
        repo, "tag", "-a", "-F", "-", tag, commit, check=False, stdin=message.encode("utf-8")
    )
    if done.returncode != 0:
        raise InputError(f"{repo}: git tag failed: {_first_line(done.stderr)}")


def working_tree_dirty(repo: Path, *, include_untracked: bool = False) -> bool:
    """Whether tracked files differ from ``HEAD`` (staged or not).

    Untracked files are ignored by default: build outputs such as ``dist/`` are usually
    untracked, and they do not change what the tag points at.

    Raises:
        InputError: not a repository or git missing.
    """
    _require_repo(repo)
    untracked = "--untracked-files=normal" if include_untracked else "--untracked-files=no"
    done = _run(repo, "status", "--porcelain=v1", "-z", untracked)
    return bool(done.stdout.strip(b"\0"))


def tag_exists(repo: Path, tag: str) -> bool:
    """Whether ``refs/tags/<tag>`` exists (lets a release stop before building, not at the end).

    Raises:
        InputError: not a repository or git missing.
    """
    _require_repo(repo)
    done = _run(repo, "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}", check=False)
    return done.returncode == 0


def commit_exists(repo: Path, commit: str) -> bool:
    """Whether ``commit`` (a full hex object name) is a commit of the repository.

    Raises:
        InputError: not a repository or git missing.
    """
    _require_repo(repo)
    if not commit or commit.startswith("-"):
        return False
    done = _run(repo, "cat-file", "-e", f"{commit}^{{commit}}", check=False)
    return done.returncode == 0


def remote_tag_commit(url: str, tag: str) -> str | None:
    """The commit ``refs/tags/<tag>`` names in the remote repository at ``url``, or ``None``.

    Asks ``git ls-remote`` (an annotated tag's peeled ``^{}`` line wins).

    Raises:
        InputError: git missing, or the remote cannot be read.
    """
    if url.startswith("-") or tag.startswith("-"):
        raise InputError(f"{url}: not a repository URL")
    ref = f"refs/tags/{tag}"
    done = _run(Path(), "ls-remote", "--", url, ref, f"{ref}^{{}}", check=False)
    if done.returncode != 0:
        raise InputError(f"{url}: git ls-remote failed: {_first_line(done.stderr)}")
    found: dict[str, str] = {}
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        commit, _, name = line.partition("\t")
        found[name.strip()] = commit.strip()
    return found.get(f"{ref}^{{}}") or found.get(ref)


def tag_commit(repo: Path, tag: str) -> str:
    """The full object name of the commit ``refs/tags/<tag>`` names (annotated or not).

    Raises:
        InputError: not a repository, git missing, or no such tag.
    """
    return _resolve(repo, f"refs/tags/{tag}")


def commit_paths(repo: Path, paths: Sequence[Path], message: str) -> str:
    """Stage exactly ``paths`` and commit them with ``message`` (e.g. the updated CHANGELOG.md).

    Only these paths are committed (``git commit -- <paths>``), whatever else is staged, so a
    release commits its own files and nothing of the user's work in progress.

    Args:
        repo: a folder inside the work tree.
        paths: files to commit, absolute or relative to ``repo``; they must lie in the work tree.
        message: the commit message, e.g. ``"chore(release): 1.2.0"``.

    Returns:
        The new commit's full object name.

    Raises:
        InputError: not a repository, no path given, a path outside the work tree, nothing
            changed, or git refuses (e.g. no identity; the message quotes git).
    """
    _require_repo(repo)
    if not paths:
        raise InputError(f"{repo}: no file to commit")
    names = [str(p if p.is_absolute() else repo / p) for p in paths]
    _run(repo, "add", "--", *names)
    staged = _run(repo, "diff", "--cached", "--quiet", "--", *names, check=False)
    if staged.returncode == 0:
        raise InputError(f"{repo}: nothing to commit in {', '.join(sorted(names))}")
    done = _run(
        repo, "commit", "--quiet", "-F", "-", "--", *names, check=False, stdin=message.encode()
    )
    if done.returncode != 0:
        raise InputError(f"{repo}: git commit failed: {_first_line(done.stderr)}")
    return head_commit(repo)


def undo_commit(repo: Path, commit: str, paths: Sequence[Path]) -> None:
    """Move the branch back to ``commit`` and unstage ``paths`` (undoing a release commit).

    ``git reset --soft COMMIT`` then ``git reset COMMIT -- PATHS``: the work tree is left alone
    (the caller restores the files it wrote), and nothing else of the index changes.

    Raises:
        InputError: not a repository, or git refuses.
    """
    _require_repo(repo)
    _run(repo, "reset", "--quiet", "--soft", _resolve(repo, commit))
    _run(repo, "reset", "--quiet", commit, "--", *(str(p) for p in paths))


def changed_paths(repo: Path, since_ref: str) -> tuple[str, ...]:
    """The paths under ``repo`` (relative to it, ``/``-separated) that differ between
    ``since_ref`` and the work tree's ``HEAD`` commit, sorted.

    ``repo`` may be a folder inside its repository (a project in a sub-folder): only changes
    under it are listed, named from it (``git diff --relative``).

    Raises:
        InputError: not a repository, git missing, or an unknown ``since_ref``.
    """
    commit = _resolve(repo, since_ref)
    done = _run(
        repo, "diff", "--name-only", "-z", "--no-renames", "--relative", commit, "HEAD", "--"
    )
    return tuple(
        sorted(name for name in done.stdout.decode("utf-8", "replace").split("\0") if name)
    )


def file_at(repo: Path, ref: str, path: str) -> bytes | None:
    """The bytes of ``path`` (relative to ``repo``, which may be a folder inside its
    repository) at ``ref``, or ``None`` when it did not exist there.

    Raises:
        InputError: not a repository, git missing, or an unknown ``ref``.
    """
    commit = _resolve(repo, ref)
    # gitrevisions(7): in <rev>:<path>, a path starting with ./ is relative to the current
    # folder (git runs in ``repo``), not to the top of the repository.
    done = _run(repo, "show", f"{commit}:./{path}", check=False)
    return done.stdout if done.returncode == 0 else None
