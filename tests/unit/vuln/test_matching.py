"""One test per OSV range rule, each expectation reasoned from OSV schema §affected/§Evaluation."""

from __future__ import annotations

from typing import Any

import pytest

from liturgia.model import Component
from liturgia.vuln import MemoryAdvisoryDatabase, scan
from liturgia.vuln.advisory import parse_osv_record


def _db(*affected: dict[str, Any], ident: str = "TEST-1", **extra: Any) -> MemoryAdvisoryDatabase:
    record = {"id": ident, "modified": "2024-01-01T00:00:00Z", "affected": list(affected), **extra}
    return MemoryAdvisoryDatabase([parse_osv_record(record, source="test")], source="test")


def _pkg(
    ecosystem: str, name: str, *ranges: dict[str, Any], versions: Any = None
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "package": {"ecosystem": ecosystem, "name": name},
        "ranges": list(ranges),
    }
    if versions is not None:
        entry["versions"] = versions
    return entry


def _rng(kind: str, *events: tuple[str, str]) -> dict[str, Any]:
    return {"type": kind, "events": [{key: value} for key, value in events]}


def _hits(db: MemoryAdvisoryDatabase, ecosystem: str, name: str, *versions: str) -> list[bool]:
    components = [Component(name=name, version=v, ecosystem=ecosystem, bom_ref=v) for v in versions]
    found = {f.component_ref for f in scan(components, db).findings}
    return [v in found for v in versions]


def test_introduced_zero_and_fixed_is_exclusive() -> None:
    # "introduced": "0" sorts before every version; "fixed" is the first unaffected version.
    db = _db(_pkg("npm", "p", _rng("SEMVER", ("introduced", "0"), ("fixed", "1.0.2"))))
    assert _hits(db, "npm", "p", "0.0.1", "1.0.1", "1.0.2", "2.0.0") == [True, True, False, False]


def test_last_affected_is_inclusive() -> None:
    db = _db(_pkg("npm", "p", _rng("ECOSYSTEM", ("introduced", "0"), ("last_affected", "2.1.214"))))
    assert _hits(db, "npm", "p", "2.1.214", "2.1.215") == [True, False]


def test_no_upper_bound_affects_every_later_version() -> None:
    db = _db(_pkg("npm", "p", _rng("SEMVER", ("introduced", "1.0.0"))))
    assert _hits(db, "npm", "p", "0.9.9", "1.0.0", "99.0.0") == [False, True, True]


def test_several_introduced_events_make_several_intervals() -> None:
    # Schema example "Multiple range": [1.0.0, 1.0.2) or [3.0.0, 3.2.5).
    db = _db(
        _pkg(
            "npm", "p",
            _rng("SEMVER", ("introduced", "1.0.0"), ("fixed", "1.0.2"),
                 ("introduced", "3.0.0"), ("fixed", "3.2.5")),
        )
    )  # fmt: skip
    versions = ("0.9.0", "1.0.0", "1.0.2", "2.0.0", "3.0.0", "3.2.4", "3.2.5")
    assert _hits(db, "npm", "p", *versions) == [False, True, False, False, True, True, False]


def test_events_in_any_order_are_sorted_first() -> None:
    # Same intervals as above, listed backwards: sorting by version gives the same timeline.
    # A replay in list order would leave 3.1.0 unaffected (fixed 1.0.2 comes last and 3.1.0 >= it).
    db = _db(
        _pkg(
            "npm", "p",
            _rng("SEMVER", ("fixed", "3.2.5"), ("introduced", "3.0.0"),
                 ("fixed", "1.0.2"), ("introduced", "1.0.0")),
        )
    )  # fmt: skip
    assert _hits(db, "npm", "p", "1.0.1", "2.0.0", "3.1.0", "3.2.5") == [True, False, True, False]


def test_limit_bounds_the_range_and_star_is_infinity() -> None:
    # BeforeLimits: with limit events, v must be below at least one limit.
    limited = _db(_pkg("npm", "p", _rng("ECOSYSTEM", ("introduced", "1.0.0"), ("limit", "2.0.0"))))
    assert _hits(limited, "npm", "p", "1.5.0", "2.0.0", "3.0.0") == [True, False, False]
    star = _db(_pkg("npm", "p", _rng("ECOSYSTEM", ("introduced", "1.0.0"), ("limit", "*"))))
    assert _hits(star, "npm", "p", "1.5.0", "9.0.0") == [True, True]


def test_versions_list_uses_ecosystem_equality() -> None:
    # PEP 440: "3.2" == "3.2.0" == "3.2.0.0"; "3.2.1" is a different version.
    db = _db(_pkg("PyPI", "p", versions=["3.2", "3.3rc1"]))
    assert _hits(db, "PyPI", "p", "3.2.0", "3.2.0.0", "3.2.1", "3.3.0rc1") == [
        True,
        True,
        False,
        True,
    ]


def test_git_ranges_are_answered_by_the_versions_list() -> None:
    # GIT events are commit hashes: only the versions list can say which releases carry them.
    db = _db(
        _pkg(
            "PyPI", "p",
            {"type": "GIT", "repo": "https://example.invalid/r",
             "events": [{"introduced": "0"}, {"fixed": "a" * 40}]},
            versions=["1.0", "1.1"],
        )
    )  # fmt: skip
    assert _hits(db, "PyPI", "p", "1.0.0", "1.1", "1.2") == [True, True, False]


def test_git_only_entry_without_versions_is_reported() -> None:
    db = _db(_pkg("PyPI", "p", {"type": "GIT", "repo": "r", "events": [{"introduced": "0"}]}))
    report = scan([Component(name="p", version="1.0", ecosystem="PyPI")], db)
    assert report.findings == ()
    assert any("only GIT ranges" in w for w in report.warnings)


def test_affected_purl_is_honoured() -> None:
    # The entry's name is odd, but its purl names the npm package "@scope/pkg".
    db = _db(
        {
            "package": {
                "ecosystem": "npm",
                "name": "scope-pkg-legacy",
                "purl": "pkg:npm/%40scope/pkg",
            },
            "ranges": [_rng("SEMVER", ("introduced", "0"), ("fixed", "2.0.0"))],
        }
    )
    component = Component(name="@scope/pkg", version="1.0.0", purl="pkg:npm/%40scope/pkg@1.0.0")
    assert [f.id for f in scan([component], db).findings] == ["TEST-1"]


def test_pep440_pre_post_dev_epoch_local() -> None:
    db = _db(_pkg("PyPI", "p", _rng("ECOSYSTEM", ("introduced", "1.0"), ("fixed", "1.1"))))
    versions = ("1.0rc1", "1.0", "1.0.post1", "1.1.dev0", "1.1", "1.0+local", "1!0.5")
    assert _hits(db, "PyPI", "p", *versions) == [False, True, True, True, False, True, False]


@pytest.mark.parametrize(
    ("ecosystem", "name", "advisory_name"),
    [
        ("PyPI", "zope.interface", "Zope_Interface"),
        ("npm", "axios", "Axios"),
        ("crates.io", "serde_json", "serde-json"),
    ],
)
def test_names_normalized_per_ecosystem(ecosystem: str, name: str, advisory_name: str) -> None:
    db = _db(_pkg(ecosystem, advisory_name, _rng("ECOSYSTEM", ("introduced", "0"))))
    assert _hits(db, ecosystem, name, "1.0.0") == [True]


def test_go_names_are_case_sensitive() -> None:
    db = _db(_pkg("Go", "github.com/Sirupsen/logrus", _rng("SEMVER", ("introduced", "0"))))
    assert _hits(db, "Go", "github.com/sirupsen/logrus", "v1.0.0") == [False]
    assert _hits(db, "Go", "github.com/Sirupsen/logrus", "v1.0.0") == [True]
