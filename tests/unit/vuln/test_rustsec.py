"""RustSec Markdown+TOML advisories: Cargo requirements, conversion to OSV ranges, matching."""

from __future__ import annotations

import pytest

from liturgia.model import Component
from liturgia.vuln import MemoryAdvisoryDatabase, Severity, scan
from liturgia.vuln.rustsec import Bound, parse_rustsec_advisory, requirement_interval

from .conftest import CORPUS


def _read(relative: str):  # type: ignore[no-untyped-def]
    path = CORPUS / "rustsec" / relative
    return parse_rustsec_advisory(path.read_text(), source=str(path))


@pytest.mark.parametrize(
    ("requirement", "low", "high"),
    [
        # Cargo reference "Specifying dependencies": caret, tilde, wildcard, comparison.
        ("^1.2.3", ("1.2.3", True), ("2.0.0", False)),
        ("1.2.3", ("1.2.3", True), ("2.0.0", False)),
        ("^0.2.3", ("0.2.3", True), ("0.3.0", False)),
        ("^0.0.3", ("0.0.3", True), ("0.0.4", False)),
        ("^0.0", ("0.0.0", True), ("0.1.0", False)),
        ("^0", ("0.0.0", True), ("1.0.0", False)),
        ("~1.2.3", ("1.2.3", True), ("1.3.0", False)),
        ("~1", ("1.0.0", True), ("2.0.0", False)),
        ("1.2.*", ("1.2.0", True), ("1.3.0", False)),
        ("=1.2.3", ("1.2.3", True), ("1.2.3", True)),
        ("=1.2", ("1.2.0", True), ("1.3.0", False)),
        (">1.2", ("1.3.0", True), None),
        (">1.2.3", ("1.2.3", False), None),
        ("<=1.2", None, ("1.3.0", False)),
        ("<=1.2.3", None, ("1.2.3", True)),
        ("<0.15.0", None, ("0.15.0", False)),
        (">= 1.5.1, < 1.6.0", ("1.5.1", True), ("1.6.0", False)),
        (">= 1.0.0-alpha.1", ("1.0.0-alpha.1", True), None),
        ("*", None, None),
    ],
)
def test_cargo_requirements(
    requirement: str, low: tuple[str, bool] | None, high: tuple[str, bool] | None
) -> None:
    expected = (Bound(*low) if low else None, Bound(*high) if high else None)
    assert requirement_interval(requirement) == expected


@pytest.mark.parametrize("requirement", ["", ">= 1.0,", "1.0 || 2.0", "abc"])
def test_invalid_requirements(requirement: str) -> None:
    with pytest.raises(ValueError, match="invalid version requirement"):
        requirement_interval(requirement)


def test_tokio_advisory_converts_to_the_complement() -> None:
    # patched [">= 1.8.4, < 1.9.0", ">= 1.13.1"], unaffected ["< 0.1.14"]:
    # affected = [0.1.14, 1.8.4) + [1.9.0, 1.13.1).
    advisory = _read("crates/tokio/RUSTSEC-2021-0124.md")
    assert advisory.id == "RUSTSEC-2021-0124"
    assert advisory.aliases == ("CVE-2021-45710", "GHSA-fg7r-2g4j-5cgr")
    (affected,) = advisory.affected
    assert (affected.ecosystem, affected.name, affected.purl) == (
        "crates.io",
        "tokio",
        "pkg:cargo/tokio",
    )
    events = [[(e.kind, e.version) for e in r.events] for r in affected.ranges]
    assert events == [
        [("introduced", "0.1.14"), ("fixed", "1.8.4")],
        [("introduced", "1.9.0"), ("fixed", "1.13.1")],
    ]
    assert advisory.summary.startswith("Data race when sending and receiving after closing")


def test_time_exclusive_bound_and_real_fix() -> None:
    # patched [">= 0.2.23"], unaffected =0.2.0 ... =0.2.6: affected [0, 0.2.0) + (0.2.6, 0.2.23).
    # The exclusive start 0.2.6 becomes "introduced 0.2.7-0", the next SemVer version.
    advisory = _read("crates/time/RUSTSEC-2020-0071.md")
    db = MemoryAdvisoryDatabase([advisory], source="rustsec")
    versions = {"0.1.45": True, "0.2.0": False, "0.2.6": False, "0.2.7": True, "0.2.22": True,
                "0.2.23": False, "0.3.36": False}  # fmt: skip
    components = [
        Component(name="time", version=v, ecosystem="crates.io", bom_ref=v) for v in versions
    ]
    report = scan(components, db)
    assert {v: v in {f.component_ref for f in report.findings} for v in versions} == versions
    assert report.findings[0].severity is Severity.MEDIUM  # CVSS 3.1 .../A:H = 6.2
    assert report.findings[0].score == 6.2


def test_informational_and_withdrawn() -> None:
    unmaintained = _read("crates/badge/RUSTSEC-2022-0057.md")  # patched = [] : every version
    db = MemoryAdvisoryDatabase([unmaintained], source="rustsec")
    report = scan([Component(name="badge", version="0.3.0", ecosystem="crates.io")], db)
    (finding,) = report.findings
    assert finding.severity is Severity.NONE
    assert report.blocking(Severity.LOW) == ()
    assert _read("crates/markdown/RUSTSEC-2022-0044.md").withdrawn == "2025-04-28"


#: The 13 withdrawn advisories of the RustSec snapshot (all kept in the committed subset).
WITHDRAWN = {
    "RUSTSEC-2019-0031", "RUSTSEC-2020-0053", "RUSTSEC-2020-0054", "RUSTSEC-2020-0055",
    "RUSTSEC-2021-0135", "RUSTSEC-2021-0147", "RUSTSEC-2022-0044", "RUSTSEC-2022-0048",
    "RUSTSEC-2023-0002", "RUSTSEC-2025-0007", "RUSTSEC-2025-0014", "RUSTSEC-2025-0120",
    "RUSTSEC-2026-0132",
}  # fmt: skip


def test_every_corpus_advisory_parses() -> None:
    # tests/fixtures/osv/rustsec holds 209 of the snapshot's 1,225 advisories (NOTICE.md says
    # which): every withdrawn, GHSA-imported, rust/ and "notice" one, and every eighth other file.
    files = sorted((CORPUS / "rustsec").rglob("*.md"))
    parsed = [parse_rustsec_advisory(p.read_text(), source=str(p)) for p in files]
    assert len(parsed) == 209
    assert {a.id for a in parsed if a.withdrawn} == WITHDRAWN
    assert {a.id for a in parsed} == {p.stem for p in files}  # each file's id is its name
    assert all(a.affected[0].ecosystem == "crates.io" for a in parsed)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# no front matter\n", "no ```toml front matter"),
        ("```toml\n[advisory\n```\n", "invalid TOML front matter"),
        ("```toml\nx = 1\n```\n", r"missing \[advisory\] table"),
        ("```toml\n[advisory]\nid = 1\n```\n", "needs string 'id' and 'package'"),
        ('```toml\nversions = 3\n[advisory]\nid = "X"\npackage = "p"\n```\n', "must be a table"),
        (
            '```toml\n[advisory]\nid = "X"\npackage = "p"\n[versions]\npatched = [1]\n```\n',
            "versions.patched: expected a list of strings",
        ),
    ],
)
def test_malformed_rustsec(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rustsec_advisory(text, source="x.md")
