"""CountedBody: the chunks of a body and the running count after each, again on a retry;
scaled: a file's share of a larger request."""

from __future__ import annotations

from liturgia._internal.counted import CountedBody
from liturgia.publish.target import scaled


def test_chunks_and_counts_and_a_second_pass() -> None:
    seen: list[int] = []
    body = CountedBody(b"abcdefghij", seen.append, chunk=4)
    assert len(body) == 10
    assert b"".join(body) == b"abcdefghij"
    assert seen == [0, 4, 8, 10]
    seen.clear()
    assert list(body) == [b"abcd", b"efgh", b"ij"]  # a retry sends it all again
    assert seen == [0, 4, 8, 10]


def test_scaled_reports_the_files_share() -> None:
    seen: list[int] = []
    report = scaled(seen.append, 100, 400)
    assert report is not None
    for sent in (0, 200, 399, 400):
        report(sent)
    assert seen == [0, 50, 99, 100]
    assert scaled(None, 100, 400) is None
    empty = scaled(seen.append, 7, 0)
    assert empty is not None
    empty(0)
    assert seen[-1] == 7
