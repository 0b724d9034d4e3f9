"""Commit messages and their Conventional Commits 1.0.0 reading.

A :class:`Commit` is what git holds (hash and message); :func:`parse_commit` reads its message as
a Conventional Commit (https://www.conventionalcommits.org/en/v1.0.0/#specification) or answers
``None`` when the message does not follow the specification. Git's own revert messages
(``Revert "feat: x"`` with ``This reverts commit <sha>.``) are read as type ``revert`` so that a
revert can cancel the commit it undoes (see :func:`effective_commits`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "BREAKING_TOKENS",
    "Commit",
    "ConventionalCommit",
    "Footer",
    "conventional_commits",
    "effective_commits",
    "expand_commit",
    "parse_commit",
    "parse_message",
]

#: Footer tokens that announce a breaking change (spec items 12 and 16). They MUST be upper case
#: (spec item 15), unlike every other unit of a Conventional Commit.
BREAKING_TOKENS = frozenset({"BREAKING CHANGE", "BREAKING-CHANGE"})

# Spec items 1, 4, 5, 13: ``type(scope)!: description``; the scope is a non-empty noun in
# parentheses, ``!`` sits immediately before the colon, and a space follows the colon.
_HEADER = re.compile(
    r"^(?P<type>[A-Za-z][A-Za-z0-9_-]*)"
    r"(?:\((?P<scope>[^()\r\n]+)\))?"
    r"(?P<bang>!)?"
    r": (?P<description>\S.*)$"
)
# Spec items 8 and 9: a word token (``-`` in place of whitespace, except ``BREAKING CHANGE``)
# followed by ``: `` or `` #`` (git trailer convention).
_FOOTER = re.compile(
    r"^(?P<token>BREAKING CHANGE|[A-Za-z][A-Za-z0-9-]*)(?P<sep>: | #)(?P<value>.*)$"
)
# git revert's default message (builtin/revert.c): ``Revert "<subject>"`` (``Reapply "..."`` when
# reverting a revert, git >= 2.43) then ``This reverts commit <full sha>.`` in the body.
_GIT_REVERT_SUBJECT = re.compile(r'^(?:Revert|Reapply) "(?P<subject>.+)"$')
_CO_AUTHOR = re.compile(r"^Co-authored-by:\s*(?P<name>[^<\n]+?)\s*(?:<[^>\n]*>)?\s*$", re.M | re.I)
# A squash merge's body lists the squashed commits' messages: GitHub writes each as a "* "
# bullet; `git merge --squash` as "commit <sha>" blocks with the message indented four spaces.
_SQUASH_BULLET = re.compile(r"^[*-] (?P<header>\S.*)$")
_SQUASH_GIT_BLOCK = re.compile(r"^commit (?P<sha>[0-9a-f]{7,64})$")
_REVERTS_SHA = re.compile(r"\bThis reverts commit (?P<sha>[0-9a-f]{7,64})\b")


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit:
    """One commit as git records it.

    Attributes:
        sha: full lower-case hexadecimal object name (40 characters for SHA-1 repositories).
        subject: the first line of the message, without its newline.
        body: the rest of the message after the blank line that ends the subject, with
            surrounding blank lines removed; ``""`` when the message is one line.
        author: the author's name as git records it (any script), ``""`` when unknown.
        co_authors: names from ``Co-authored-by:`` trailers of the message's last paragraph.
    """

    sha: str
    subject: str
    body: str
    author: str = ""
    co_authors: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        """The whole message: the subject, a blank line and the body (when there is one)."""
        return f"{self.subject}\n\n{self.body}" if self.body else self.subject

    @classmethod
    def from_message(cls, sha: str, message: str, *, author: str = "") -> Commit:
        """Split a raw commit message (as ``git log --format=%B`` prints it) into a Commit."""
        text = message.replace("\r\n", "\n").strip("\n")
        subject, _, rest = text.partition("\n")
        body = rest.strip("\n").rstrip()
        co_authors: tuple[str, ...] = ()
        if "uthored-by" in body or "UTHORED-BY" in body:  # skip the regex for most commits
            last = body.split("\n\n")[-1]
            co_authors = tuple(
                m["name"].strip() for m in _CO_AUTHOR.finditer(last) if m["name"].strip()
            )
        return cls(
            sha=sha, subject=subject.strip(), body=body, author=author, co_authors=co_authors
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Footer:
    """One footer (git trailer) of a Conventional Commit, spec items 8-10.

    Attributes:
        token: the token as written (``"Refs"``, ``"BREAKING CHANGE"``, ``"Reviewed-by"``).
        separator: ``": "`` or ``" #"``.
        value: the value; may hold newlines when it continues over several lines (item 10).
    """

    token: str
    separator: str
    value: str

    @property
    def is_breaking(self) -> bool:
        """Whether this footer announces a breaking change (items 12, 15, 16)."""
        return self.token in BREAKING_TOKENS and self.separator == ": "


@dataclass(frozen=True, slots=True, kw_only=True)
class ConventionalCommit:
    """A commit message read per Conventional Commits 1.0.0.

    Attributes:
        type: the type, lower-cased (item 15: types are not case sensitive), e.g. ``"feat"``.
        scope: the scope in parentheses, or ``None`` (item 4).
        breaking: ``True`` when the header has ``!`` (item 13) or a ``BREAKING CHANGE:`` /
            ``BREAKING-CHANGE:`` footer is present (items 12, 16).
        description: the text after ``: `` in the header (item 5).
        body: the free-form body between the header and the footers, ``""`` if none (item 6).
        footers: the footers in message order (items 8-10).
        sha: the commit's full object name.
        reverts: for a revert, the object name (possibly abbreviated) of the reverted commit
            when the message names it, else ``None``.
    """

    type: str
    scope: str | None
    breaking: bool
    description: str
    body: str
    footers: tuple[Footer, ...]
    sha: str
    reverts: str | None = None

    @property
    def short_sha(self) -> str:
        """The first seven characters of :attr:`sha`, as ``git log --oneline`` shows it."""
        return self.sha[:7]

    @property
    def breaking_notes(self) -> tuple[str, ...]:
        """Texts of the ``BREAKING CHANGE`` footers; the description when ``!`` stands alone.

        Item 13: with ``!`` and no footer, "the commit description SHALL be used to describe the
        breaking change".
        """
        notes = tuple(f.value for f in self.footers if f.is_breaking)
        if notes or not self.breaking:
            return notes
        return (self.description,)

    def footer_values(self, token: str) -> tuple[str, ...]:
        """Values of every footer whose token equals ``token`` ignoring case (item 15)."""
        wanted = token.casefold()
        return tuple(f.value for f in self.footers if f.token.casefold() == wanted)


def _is_footer_start(line: str) -> bool:
    return _FOOTER.match(line) is not None


def _split_body_and_footers(lines: list[str]) -> tuple[str, tuple[Footer, ...]]:
    """Split the lines after the header into body text and footers.

    Footers are "one blank line after the body" (item 8): only the message's last paragraph can
    hold them, and only when that paragraph starts with a ``token: value`` / ``token #value``
    line — as git's trailers are read (git-interpret-trailers(1)). A ``BREAKING CHANGE:`` line
    inside a body paragraph is body text, not a footer. Inside the footer paragraph, a
    token/separator line starts a new footer and any other line continues the previous value
    (item 10).
    """
    # The last paragraph's first line, found from the end (only that paragraph is read).
    last = len(lines) - 1
    while last >= 0 and not lines[last].strip():
        last -= 1
    first = last
    while first > 0 and lines[first - 1].strip():
        first -= 1
    start = first if last >= 0 and _is_footer_start(lines[first]) else None
    body_lines = lines if start is None else lines[:start]
    body = "\n".join(body_lines).strip("\n").rstrip()
    if start is None:
        return body, ()
    heads: list[tuple[str, str]] = []
    values: list[list[str]] = []
    for line in lines[start:]:
        match = _FOOTER.match(line)
        if match is not None:
            heads.append((match["token"], match["sep"]))
            values.append([match["value"]])
        else:
            values[-1].append(line)
    return body, tuple(
        Footer(token=token, separator=sep, value="\n".join(v).strip())
        for (token, sep), v in zip(heads, values, strict=True)
    )


def parse_message(sha: str, message: str) -> ConventionalCommit | None:
    """Read a raw commit message as a Conventional Commit 1.0.0.

    Args:
        sha: the commit's object name, copied into the result.
        message: the full message (subject, blank line, body, footers).

    Returns:
        The parsed commit, or ``None`` when the header does not match ``type(scope)!: description``
        (item 1) and is not git's ``Revert "..."`` message.
    """
    text = message.replace("\r\n", "\n").strip("\n")
    header, _, rest = text.partition("\n")
    header = header.strip()
    revert = _GIT_REVERT_SUBJECT.match(header)
    match = _HEADER.match(header) if revert is None else None
    if revert is None and match is None:
        return None  # decided by the header alone (item 1); the body is not read
    lines = rest.split("\n") if rest else []
    # Item 6: the body begins one blank line after the description; tolerate its absence.
    while lines and not lines[0].strip():
        lines.pop(0)
    body, footers = _split_body_and_footers(lines)

    if revert is not None:
        found = _REVERTS_SHA.search(rest)
        return ConventionalCommit(
            type="revert",
            scope=None,
            breaking=False,
            description=revert["subject"],
            body=body,
            footers=footers,
            sha=sha,
            reverts=found["sha"] if found else None,
        )

    if match is None:  # unreachable: not a revert subject, so the header matched
        return None
    kind = match["type"].lower()
    scope = match["scope"].strip() if match["scope"] else None
    breaking = match["bang"] is not None or any(f.is_breaking for f in footers)
    reverts: str | None = None
    if kind == "revert":
        # The spec's FAQ suggests ``revert:`` with a ``Refs:`` footer naming the reverted commits.
        found = _REVERTS_SHA.search(rest)
        refs = [v for f in footers if f.token.casefold() == "refs" for v in f.value.split(",")]
        candidates = [found["sha"]] if found else [r.strip() for r in refs]
        hexes = [c for c in candidates if re.fullmatch(r"[0-9a-f]{7,64}", c)]
        reverts = hexes[0] if hexes else None
    return ConventionalCommit(
        type=kind,
        scope=scope or None,
        breaking=breaking,
        description=match["description"].strip(),
        body=body,
        footers=footers,
        sha=sha,
        reverts=reverts,
    )


def parse_commit(commit: Commit) -> ConventionalCommit | None:
    """Read ``commit``'s message per Conventional Commits 1.0.0; ``None`` if it does not conform.

    See :func:`parse_message` for the rules (spec items 1-16).
    """
    return parse_message(commit.sha, commit.message)


def effective_commits(commits: Sequence[ConventionalCommit]) -> tuple[ConventionalCommit, ...]:
    """Drop commits reverted inside the same range, together with the reverts that undo them.

    A revert whose target lies outside ``commits`` (already released) is kept: it changes what
    users get. Reverting a revert restores the original, so pairs are cancelled from the newest
    revert backwards. Object names match by prefix, as abbreviated names do in git.

    Args:
        commits: parsed commits, oldest first.

    Returns:
        The commits that still have an effect, in their original order.
    """
    dropped: set[int] = set()
    for index in range(len(commits) - 1, -1, -1):
        commit = commits[index]
        if index in dropped or commit.reverts is None:
            continue
        for target in range(index - 1, -1, -1):
            if target not in dropped and commits[target].sha.startswith(commit.reverts):
                dropped.update({index, target})
                break
    return tuple(c for i, c in enumerate(commits) if i not in dropped)


def _squashed_messages(subject: str, body: str) -> list[str]:
    """The messages a squash merge's body lists (GitHub bullets or ``git merge --squash``)."""
    lines = body.split("\n")
    messages: list[list[str]] = []
    if subject.strip() == "Squashed commit of the following:":
        current: list[str] | None = None
        in_message = False
        for line in lines:
            if _SQUASH_GIT_BLOCK.match(line):
                current = []
                messages.append(current)
                in_message = False
            elif current is not None and line.startswith("    "):
                in_message = True
                current.append(line[4:])
            elif current is not None and in_message and not line.strip():
                current.append("")
        return ["\n".join(m).strip("\n") for m in messages if any(x.strip() for x in m)]
    for line in lines:
        bullet = _SQUASH_BULLET.match(line)
        if bullet is not None and _HEADER.match(bullet["header"].strip()):
            messages.append([bullet["header"].strip()])
        elif messages and (line.startswith("  ") or not line.strip()):
            messages[-1].append(line[2:] if line.startswith("  ") else "")
        elif messages and line.strip():
            messages.append([])  # a line that belongs to no bullet ends the list
    return ["\n".join(m).strip("\n") for m in messages if m]


def expand_commit(commit: Commit) -> tuple[ConventionalCommit, ...]:
    """Every Conventional Commit one git commit holds, in message order.

    A squash merge lists the squashed commits' messages in its body: GitHub as ``* type: ...``
    bullets (each bullet's indented lines are its body and footers), ``git merge --squash`` as
    ``Squashed commit of the following:`` then ``commit <sha>`` blocks whose message is indented
    four spaces. When such messages are found they stand for the commit (its subject usually
    restates one of them), each with the squash commit's object name; the subject is kept as
    well only when it is itself a breaking change. Otherwise the commit's own message is read
    (:func:`parse_commit`), and a commit that is not a Conventional Commit gives ``()``.
    """
    main = parse_commit(commit)
    body = commit.body
    if not body or not (
        body.startswith(("* ", "- "))
        or "\n* " in body
        or "\n- " in body
        or commit.subject == "Squashed commit of the following:"
    ):
        return () if main is None else (main,)
    subs = [
        parsed
        for parsed in (
            parse_message(commit.sha, text)
            for text in _squashed_messages(commit.subject, commit.body)
        )
        if parsed is not None
    ]
    if not subs:
        return () if main is None else (main,)
    if main is not None and main.breaking:
        return (main, *subs)
    return tuple(subs)


def conventional_commits(commits: Sequence[Commit]) -> tuple[ConventionalCommit, ...]:
    """The Conventional Commits among ``commits``, oldest first, squash merges expanded.

    Commits that are not Conventional Commits are left out (the caller lists them).

    Args:
        commits: commits as git holds them, oldest first.
    """
    return tuple(parsed for commit in commits for parsed in expand_commit(commit))
