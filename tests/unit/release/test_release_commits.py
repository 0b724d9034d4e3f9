"""Conventional Commits 1.0.0 parsing, with the specification's own examples."""

from __future__ import annotations

import pytest

from liturgia.release.commits import (
    Commit,
    ConventionalCommit,
    Footer,
    effective_commits,
    parse_commit,
    parse_message,
)

SHA = "1234567890abcdef1234567890abcdef12345678"


def parse(message: str) -> ConventionalCommit:
    parsed = parse_message(SHA, message)
    assert parsed is not None, message
    return parsed


def test_spec_example_breaking_change_footer():
    c = parse(
        "feat: allow provided config object to extend other configs\n\n"
        "BREAKING CHANGE: `extends` key in config file is now used for extending other config files"
    )
    assert c.type == "feat"
    assert c.scope is None
    assert c.breaking
    assert c.description == "allow provided config object to extend other configs"
    assert c.body == ""
    assert c.footers == (
        Footer(
            token="BREAKING CHANGE",
            separator=": ",
            value="`extends` key in config file is now used for extending other config files",
        ),
    )
    assert c.breaking_notes == (
        "`extends` key in config file is now used for extending other config files",
    )


def test_spec_example_bang_without_footer_uses_description():
    c = parse("feat!: send an email to the customer when a product is shipped")
    assert c.breaking
    assert c.footers == ()
    assert c.breaking_notes == ("send an email to the customer when a product is shipped",)


def test_spec_example_scope_and_bang():
    c = parse("feat(api)!: send an email to the customer when a product is shipped")
    assert (c.type, c.scope, c.breaking) == ("feat", "api", True)


def test_spec_example_bang_and_footer():
    c = parse(
        "chore!: drop support for Node 6\n\n"
        "BREAKING CHANGE: use JavaScript features not available in Node 6."
    )
    assert c.type == "chore"
    assert c.breaking
    assert c.breaking_notes == ("use JavaScript features not available in Node 6.",)


def test_spec_example_no_body():
    c = parse("docs: correct spelling of CHANGELOG")
    assert (c.type, c.scope, c.breaking, c.body, c.footers) == ("docs", None, False, "", ())


def test_spec_example_scope():
    c = parse("feat(lang): add Polish language")
    assert (c.type, c.scope, c.description) == ("feat", "lang", "add Polish language")


def test_spec_example_multi_paragraph_body_and_footers():
    c = parse(
        "fix: prevent racing of requests\n\n"
        "Introduce a request id and a reference to latest request. Dismiss\n"
        "incoming responses other than from latest request.\n\n"
        "Remove timeouts which were used to mitigate the racing issue but are\n"
        "obsolete now.\n\n"
        "Reviewed-by: Z\n"
        "Refs: #123\n"
    )
    assert c.type == "fix"
    assert not c.breaking
    assert c.body == (
        "Introduce a request id and a reference to latest request. Dismiss\n"
        "incoming responses other than from latest request.\n\n"
        "Remove timeouts which were used to mitigate the racing issue but are\n"
        "obsolete now."
    )
    assert c.footers == (
        Footer(token="Reviewed-by", separator=": ", value="Z"),
        Footer(token="Refs", separator=": ", value="#123"),
    )
    assert c.footer_values("refs") == ("#123",)
    assert c.footer_values("Reviewed-By") == ("Z",)


def test_hash_separator_footer_and_multiline_value():
    c = parse(
        "fix(parser): handle tabs\n\n"
        "BREAKING-CHANGE: tabs are now\n  significant in\n  indentation\n"
        "Fixes #42\n"
    )
    assert c.breaking
    assert c.footers[0] == Footer(
        token="BREAKING-CHANGE",
        separator=": ",
        value="tabs are now\n  significant in\n  indentation",
    )
    assert c.footers[1] == Footer(token="Fixes", separator=" #", value="42")


def test_lowercase_breaking_change_is_not_breaking():
    # Item 15: BREAKING CHANGE MUST be upper case; "breaking-change:" is an ordinary footer.
    c = parse("fix: x\n\nbreaking-change: not really")
    assert not c.breaking
    assert c.footers == (Footer(token="breaking-change", separator=": ", value="not really"),)
    # "BREAKING CHANGE #1" uses the wrong separator (item 12 requires a colon).
    assert not parse("fix: x\n\nBREAKING CHANGE #1").breaking


def test_body_paragraph_with_colon_is_not_a_footer_when_not_paragraph_start():
    c = parse(
        "feat: x\n\nThis adds support\nNote: not a footer start line\n\nSigned-off-by: A <a@b>"
    )
    assert c.body == "This adds support\nNote: not a footer start line"
    assert c.footers == (Footer(token="Signed-off-by", separator=": ", value="A <a@b>"),)


def test_type_is_case_insensitive_and_scope_trimmed():
    c = parse("Feat( ui ): Add button")
    assert (c.type, c.scope, c.description) == ("feat", "ui", "Add button")


def test_missing_blank_line_after_header_is_tolerated():
    c = parse("fix: x\nbody right away")
    assert c.body == "body right away"


def test_crlf_messages():
    c = parse("feat(a): b\r\n\r\nbody\r\n\r\nRefs: 1\r\n")
    assert (c.scope, c.body, c.footers[0].value) == ("a", "body", "1")


@pytest.mark.parametrize(
    "message",
    [
        "",
        "Update README",
        "feat:no space",
        "feat : space before colon",
        "feat(): empty scope",
        "feat(a)(b): two scopes",
        "feat:  ",
        "feat!!: double bang",
        "feat(scope)! : space",
        "1feat: digit first",
        "Merge branch 'feature/x' into main",
        "Merge pull request #12 from org/feat/x",
        "WIP",
    ],
)
def test_non_conventional_messages_give_none(message):
    assert parse_message(SHA, message) is None


def test_git_revert_message():
    c = parse(f'Revert "feat(ui): add button"\n\nThis reverts commit {"a" * 40}.\n')
    assert c.type == "revert"
    assert c.description == "feat(ui): add button"
    assert c.reverts == "a" * 40
    assert not c.breaking
    reapply = parse(f'Reapply "feat(ui): add button"\n\nThis reverts commit {"b" * 40}.')
    assert reapply.reverts == "b" * 40
    assert parse('Revert "something"').reverts is None


def test_conventional_revert_with_refs_footer():
    c = parse("revert: let us never again speak of the noodle incident\n\nRefs: 676104e, a215868")
    assert c.type == "revert"
    assert c.reverts == "676104e"
    assert parse("revert: x\n\nRefs: #12").reverts is None


def test_parse_commit_uses_subject_and_body():
    commit = Commit.from_message(SHA, "\nfeat(x): y\n\nbody line\n\nRefs: 9\n\n")
    assert commit.subject == "feat(x): y"
    assert commit.body == "body line\n\nRefs: 9"
    assert commit.message == "feat(x): y\n\nbody line\n\nRefs: 9"
    parsed = parse_commit(commit)
    assert parsed is not None
    assert parsed.sha == SHA
    assert parsed.short_sha == "1234567"
    assert parsed.body == "body line"
    one_line = Commit.from_message(SHA, "fix: z\n")
    assert one_line.body == ""
    assert one_line.message == "fix: z"


def _c(sha: str, message: str) -> ConventionalCommit:
    parsed = parse_message(sha, message)
    assert parsed is not None
    return parsed


def test_effective_commits_cancels_pairs_and_reverts_of_reverts():
    a, b, r1, r2 = "a" * 40, "b" * 40, "c" * 40, "d" * 40
    feat = _c(a, "feat: one")
    fix = _c(b, "fix: two")
    revert = _c(r1, f'Revert "feat: one"\n\nThis reverts commit {a}.')
    reapply = _c(r2, f'Revert "Revert "feat: one""\n\nThis reverts commit {r1}.')
    assert effective_commits([feat, fix, revert]) == (fix,)
    assert effective_commits([feat, fix, revert, reapply]) == (feat, fix)
    # A revert of something outside the range stays.
    outside = _c(r1, f'Revert "feat: old"\n\nThis reverts commit {"e" * 40}.')
    assert effective_commits([fix, outside]) == (fix, outside)
    # Abbreviated names match by prefix.
    short = _c(r2, f"revert: one\n\nRefs: {a[:7]}")
    assert effective_commits([feat, short]) == ()


def test_prose_paragraph_starting_like_a_footer_stays_body():
    c = parse("feat: x\n\nNote: this is prose.\n\nMore prose follows.\n\nRefs: 1\nSigned-off-by: A")
    assert c.body == "Note: this is prose.\n\nMore prose follows."
    assert [f.token for f in c.footers] == ["Refs", "Signed-off-by"]


def test_only_the_last_paragraph_holds_footers():
    # Issue 14: a footer is only in the last paragraph (as git-interpret-trailers reads
    # trailers); an earlier paragraph of "token: value" lines is body text.
    c = parse("fix: x\n\nbody\n\nRefs: 1\n\nSigned-off-by: A")
    assert c.body == "body\n\nRefs: 1"
    assert [(f.token, f.value) for f in c.footers] == [("Signed-off-by", "A")]


def test_breaking_change_in_a_body_paragraph_is_not_a_footer():
    # Issue 14: text in a body paragraph is not a footer, even BREAKING CHANGE: (the spec's
    # item 8 puts the footers one blank line after the body, at the end of the message).
    c = parse(
        "feat: x\n\nbody\n\nBREAKING CHANGE: the config moved.\n\n"
        "Rename liturgia.cfg to liturgia.toml.\n\nRefs: 2"
    )
    assert not c.breaking
    assert c.body.endswith("Rename liturgia.cfg to liturgia.toml.")
    assert c.footer_values("refs") == ("2",)
    last = parse("feat: x\n\nbody\n\nRefs: 2\nBREAKING-CHANGE: the config moved\n  to toml.")
    assert last.breaking
    assert last.breaking_notes == ("the config moved\n  to toml.",)


def test_breaking_change_inside_prose_paragraph_is_not_a_footer():
    # Item 8: footers start a paragraph; a mid-paragraph mention is prose.
    c = parse("fix: x\n\nWe avoided a\nBREAKING CHANGE: here by keeping the alias.\n\nMore.")
    assert not c.breaking
    assert c.footers == ()


@pytest.mark.parametrize(
    "message", ["fixup! feat: x", "squash! fix(a): b", "amend! feat: y", "feat! : spaced"]
)
def test_autosquash_markers_are_not_conventional(message):
    assert parse_message(SHA, message) is None
