"""The gate's "inputs" check: every file the SBOM stage could not read fails it, unless waived."""

from __future__ import annotations

from liturgia.config import Waiver
from liturgia.release.gates import Status, check_inputs

LOCK = "web/package-lock.json: not valid JSON: Expecting ',' delimiter: line 9 column 38"
LINE = "requirements.txt:3: invalid requirement 'weird==': Expected end"


def test_nothing_unread_passes() -> None:
    check = check_inputs([])
    assert (check.name, check.passed, check.summary) == ("inputs", True, "every input was read")
    assert check.evidence == ("every file the SBOM stage found was read (no liturgia:warning)",)


def test_each_unread_input_fails_unless_a_waiver_names_its_file() -> None:
    waivers = [
        Waiver(check="inputs", file="requirements.txt", reason="the legacy line is documented"),
        Waiver(check="inputs", file="web", reason="a folder is not a file: matches nothing"),
    ]
    check = check_inputs([LOCK, LINE], waivers)
    assert not check.passed
    assert check.summary == f"1 inputs could not be read (1 waived); first: {LOCK}"
    assert check.evidence == (
        f"not read: {LOCK}",
        f"not read: {LINE} (waived: the legacy line is documented)",
        "waiver for web matched no input problem",
    )
    assert check.figure == "2 unreadable, 1 waived"


def test_every_unread_input_waived_passes() -> None:
    check = check_inputs(
        [LOCK], [Waiver(check="inputs", file="web/package-lock.json", reason="not shipped")]
    )
    assert (check.passed, check.status) == (True, Status.WAIVED)
    assert check.summary == "1 inputs could not be read, every one waived"
