"""GitHub-reviewed advisories (npm, PyPI, Go, crates.io) and Go's vulndb, from the real corpus.

The GHSA expectations are the table in ``ghsa/README.md`` (computed there from the ranges with
OSV rules), with one deliberate difference explained in ``test_npm_names_fold_case``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from liturgia.model import Component
from liturgia.vuln import AdvisoryDatabase, Severity, scan

GHSA_TABLE = {
    ("npm", "lodash", "4.17.15"): {
        "GHSA-29mw-wpgm-hmr9", "GHSA-35jh-r3h4-6jhm", "GHSA-p6mc-m468-83gw",
    },
    ("npm", "minimist", "1.2.0"): {"GHSA-vh95-rmgr-6w4m", "GHSA-xvch-5gv4-984h"},
    ("npm", "axios", "0.21.0"): {"GHSA-4w2v-q235-vp99", "GHSA-wf5p-g6vw-rhxx"},
    ("npm", "follow-redirects", "1.16.3"): set(),
    ("npm", "node-fetch", "2.6.0"): {"GHSA-r683-j2x4-v87g", "GHSA-w7rc-rwvf-8q5r"},
    ("npm", "express", "4.16.0"): {"GHSA-qw6h-vgh9-j6wx", "GHSA-rv95-896h-c2vc"},
    ("npm", "body-parser", "1.18.2"): {"GHSA-qwcr-r2fm-qrc7"},
    ("npm", "qs", "6.5.1"): {"GHSA-hrpp-h998-j3pp"},
    ("npm", "cookie", "0.3.1"): {"GHSA-pxg6-pf52-xh8x"},
    ("npm", "path-to-regexp", "0.1.7"): {"GHSA-9wv6-86v2-598j"},
    ("npm", "send", "0.16.0"): {"GHSA-m6fv-jmcg-4jfg"},
    ("npm", "serve-static", "1.13.0"): {"GHSA-cm22-4g7w-348p"},
    ("npm", "debug", "2.6.9"): set(),
    ("npm", "ms", "2.0.0"): set(),
    ("npm", "fresh", "0.5.2"): set(),
    ("npm", "mime", "1.4.1"): set(),
    ("npm", "follow-redirects", "1.14.7"): {
        "GHSA-74fj-2j2h-c42q", "GHSA-cxjh-pqwp-8mfp", "GHSA-jchw-25xp-jwwc", "GHSA-pw2r-vq6v-hr8c",
    },
    ("npm", "follow-redirects", "1.15.5"): {"GHSA-cxjh-pqwp-8mfp"},
    ("npm", "debug", "3.2.6"): {"GHSA-gxpj-cx7g-858c"},
    ("npm", "node-fetch", "3.0.0-beta.8"): {"GHSA-r683-j2x4-v87g", "GHSA-w7rc-rwvf-8q5r"},
    ("npm", "express", "5.0.0-beta.1"): {"GHSA-qw6h-vgh9-j6wx", "GHSA-rv95-896h-c2vc"},
    ("npm", "lodash.trim", "4.5.1"): {"GHSA-29mw-wpgm-hmr9"},
    ("PyPI", "requests", "2.31.0"): {"GHSA-9wx4-h78v-vm56"},
    ("PyPI", "requests", "2.32.3"): set(),
    ("PyPI", "jinja2", "3.1.2"): {"GHSA-h5c8-rqwp-cp95", "GHSA-h75v-3vvj-5mfj"},
    ("PyPI", "Jinja2", "3.1.3"): {"GHSA-h75v-3vvj-5mfj"},
    ("PyPI", "jinja2", "3.1.4"): set(),
    ("PyPI", "urllib3", "1.26.18"): {"GHSA-34jh-p97f-mpxf"},
    ("PyPI", "urllib3", "1.26.19"): set(),
    ("PyPI", "urllib3", "2.2.1"): {"GHSA-34jh-p97f-mpxf"},
    ("PyPI", "urllib3", "2.2.2"): set(),
    ("PyPI", "cryptography", "36.0.0"): {"GHSA-3ww4-gg4f-jr7f", "GHSA-9v9h-cgj8-h64p"},
    ("PyPI", "cryptography", "41.0.7"): {
        "GHSA-3ww4-gg4f-jr7f", "GHSA-6vqw-3v5j-54x4", "GHSA-9v9h-cgj8-h64p", "GHSA-h4gh-qq45-vh27",
    },
    ("PyPI", "cryptography", "42.0.2"): {"GHSA-6vqw-3v5j-54x4", "GHSA-h4gh-qq45-vh27"},
    ("PyPI", "cryptography", "43.0.1"): set(),
    ("PyPI", "pillow", "10.1.0"): {"GHSA-3f63-hfp8-52jq", "GHSA-44wm-f244-xhp3"},
    ("PyPI", "Pillow", "10.2.0"): {"GHSA-44wm-f244-xhp3"},
    ("PyPI", "pillow", "10.3.0"): set(),
    ("Go", "github.com/dgrijalva/jwt-go", "3.2.0"): {"GHSA-w73w-5m7g-f7qc"},
    ("Go", "github.com/dgrijalva/jwt-go/v4", "4.0.0-preview1"): set(),
    ("Go", "google.golang.org/grpc", "1.56.2"): {"GHSA-m425-mq94-257g"},
    ("Go", "google.golang.org/grpc", "1.57.0"): {"GHSA-m425-mq94-257g"},
    ("Go", "google.golang.org/grpc", "1.57.1"): set(),
    ("Go", "google.golang.org/grpc", "1.58.2"): {"GHSA-m425-mq94-257g"},
    ("Go", "google.golang.org/grpc", "1.59.0"): set(),
    ("Go", "github.com/opencontainers/runc", "1.0.0-rc92"): set(),
    ("Go", "github.com/opencontainers/runc", "1.1.11"): {"GHSA-xr7r-f8xq-vfvv"},
    ("Go", "github.com/opencontainers/runc", "1.1.12"): set(),
    ("crates.io", "tokio", "1.8.3"): {"GHSA-fg7r-2g4j-5cgr"},
    ("crates.io", "tokio", "1.8.4"): set(),
    ("crates.io", "tokio", "1.13.0"): {"GHSA-fg7r-2g4j-5cgr"},
    ("crates.io", "tokio", "1.13.1"): set(),
    # Strict OSV: the first range of GHSA-wcg3-cvx6-7396 is open (introduced 0.1, nothing after),
    # so every later version matches although its database_specific says "< 0.2". We follow the
    # schema (the evaluation ignores database_specific), as the README's table does.
    ("crates.io", "time", "0.1.45"): {"GHSA-wcg3-cvx6-7396"},
    ("crates.io", "time", "0.2.22"): {"GHSA-wcg3-cvx6-7396"},
    ("crates.io", "time", "0.2.23"): {"GHSA-wcg3-cvx6-7396"},
    ("crates.io", "time", "0.3.36"): {"GHSA-wcg3-cvx6-7396"},
}  # fmt: skip


@pytest.mark.parametrize(("ecosystem", "name", "version"), sorted(GHSA_TABLE))
def test_ghsa_table(ghsa_db: AdvisoryDatabase, ecosystem: str, name: str, version: str) -> None:
    report = scan([Component(name=name, version=version, ecosystem=ecosystem)], ghsa_db)
    assert {f.id for f in report.findings} == GHSA_TABLE[(ecosystem, name, version)]
    assert report.unchecked == ()


def test_npm_names_fold_case(ghsa_db: AdvisoryDatabase) -> None:
    # GHSA-8hc4-vh64-cxmj names the package "Axios" (range [1.3.2, 1.7.4)). npm package names are
    # lower case and the registry package is "axios", so we match it; the README's table compares
    # npm names exactly and lists axios@1.7.3 as "none" -- a false negative we refuse.
    report = scan([Component(name="axios", version="1.7.3", purl="pkg:npm/axios@1.7.3")], ghsa_db)
    assert [f.id for f in report.findings] == ["GHSA-8hc4-vh64-cxmj"]
    # GHSA-8hc4-vh64-cxmj has "severity": [] and database_specific.severity "HIGH".
    assert report.findings[0].severity is Severity.HIGH
    assert report.findings[0].severity_source == "database_specific.severity HIGH"


def test_ghsa_boundaries_and_last_affected(ghsa_db: AdvisoryDatabase) -> None:
    def ids(name: str, version: str) -> set[str]:
        report = scan([Component(name=name, version=version, ecosystem="npm")], ghsa_db)
        return {f.id for f in report.findings}

    # GHSA-29mw-wpgm-hmr9: lodash.trim introduced 0, last_affected 4.5.1 (inclusive).
    assert ids("lodash.trim", "4.5.1") == {"GHSA-29mw-wpgm-hmr9"}
    assert ids("lodash.trim", "4.5.2") == set()
    # GHSA-jf85-cpcp-j695: lodash [0, 4.17.12); lodash-es [0, 4.17.14): fixed is exclusive.
    assert "GHSA-jf85-cpcp-j695" in ids("lodash", "4.17.11")
    assert "GHSA-jf85-cpcp-j695" not in ids("lodash", "4.17.12")
    assert "GHSA-jf85-cpcp-j695" in ids("lodash-es", "4.17.13")


def test_go_module_versions_with_v_prefix_and_purl(ghsa_db: AdvisoryDatabase) -> None:
    component = Component(
        name="github.com/opencontainers/runc",
        version="v1.1.11",
        purl="pkg:golang/github.com/opencontainers/runc@v1.1.11",
    )
    report = scan([component], ghsa_db)
    assert [f.id for f in report.findings] == ["GHSA-xr7r-f8xq-vfvv"]
    assert report.findings[0].ecosystem == "Go"
    assert report.upgrades[0].upgrade_to == "1.1.12"


def test_go_vulndb_stdlib_and_incompatible(
    subset_db: Callable[..., AdvisoryDatabase],
) -> None:
    db = subset_db(
        "go/data/osv/GO-2021-0067.json",  # stdlib [1.16.0-0, 1.16.1)
        "go/data/osv/GO-2021-0072.json",  # docker/distribution [0, 2.7.0-rc.0+incompatible)
    )
    stdlib = [
        Component(name="stdlib", version="go1.16", ecosystem="Go", bom_ref="a"),
        Component(name="stdlib", version="1.16.1", ecosystem="Go", bom_ref="b"),
        Component(name="stdlib", version="1.15.9", ecosystem="Go", bom_ref="c"),
    ]
    report = scan(stdlib, db)
    assert [(f.component_ref, f.id) for f in report.findings] == [("a", "GO-2021-0067")]
    # Go's vulndb states no severity: UNKNOWN, which fails the default HIGH gate.
    assert report.findings[0].severity is Severity.UNKNOWN
    assert report.blocking(Severity.HIGH) == report.findings

    docker = "github.com/docker/distribution"
    report = scan(
        [
            Component(name=docker, version="v2.6.2+incompatible", ecosystem="Go", bom_ref="old"),
            Component(name=docker, version="v2.7.0+incompatible", ecosystem="Go", bom_ref="new"),
        ],
        db,
    )
    assert [(f.component_ref, f.id) for f in report.findings] == [("old", "GO-2021-0072")]


def test_pseudo_version_and_alias_merge(subset_db: Callable[..., AdvisoryDatabase]) -> None:
    # GO-2020-0017 (introduced at pseudo-version 0.0.0-20150717181359-44718f8a89b0, no fix) and
    # GHSA-w73w-5m7g-f7qc are aliases of each other: one finding, merged ids.
    db = subset_db("go/data/osv/GO-2020-0017.json", "ghsa/go/GHSA-w73w-5m7g-f7qc.json")
    component = Component(
        name="github.com/dgrijalva/jwt-go", version="v3.2.0+incompatible", ecosystem="Go"
    )
    report = scan([component], db)
    (finding,) = report.findings
    assert finding.id == "GHSA-w73w-5m7g-f7qc"
    assert set(finding.aliases) == {"GO-2020-0017", "CVE-2020-26160"}
    assert len(finding.records) == 2
    # The GHSA record carries a CVSS vector; the Go record none: the known rating wins.
    assert finding.severity is Severity.HIGH
    before = Component(
        name="github.com/dgrijalva/jwt-go",
        version="v0.0.0-20150101000000-aaaaaaaaaaaa",
        ecosystem="Go",
    )
    assert scan([before], db).findings == ()
