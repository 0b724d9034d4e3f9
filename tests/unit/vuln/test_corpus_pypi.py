"""Exact advisory sets for known-vulnerable PyPI pins, against the real PyPA records.

How the expected sets were reasoned (a sample; the rest follow the same rules, and were
cross-checked by replaying OSV schema §Evaluation literally over every record of each folder):

* django 3.2.0, PYSEC-2021-98 (CVE-2021-33203): ECOSYSTEM events introduced 0, fixed 2.2.24,
  introduced 3.0, fixed 3.1.12, introduced 3.2, fixed 3.2.4. Sorted, 3.2.0 lies in
  [3.2, 3.2.4) -> affected. Its ``versions`` list spells ``'3.2'`` (== 3.2.0 under PEP 440).
* django 3.2.0, PYSEC-2021-439 (CVE-2021-44420): introduced 2.2, fixed 2.2.25, introduced 3.1,
  fixed 3.1.14, introduced 3.2, fixed 3.2.10 -> in [3.2, 3.2.10), affected. PYSEC-2020-35
  (CVE-2020-7471: [1.11, 1.11.28), [2.2, 2.2.10), [3.0, 3.0.3)) is absent: 3.2.0 is past every
  interval.
* requests 2.19.0: PYSEC-2018-28 (CVE-2018-18074, introduced 0, fixed 2.20.0) and
  PYSEC-2023-74 (CVE-2023-32681, introduced 2.3.0, fixed 2.31.0). PYSEC-2014-13 and
  PYSEC-2014-14 are fixed in 2.3.0 -> not affected.
* pyyaml 5.3: PYSEC-2020-96 (introduced 5.1, fixed 5.3.1) and PYSEC-2021-142 (CVE-2020-14343,
  introduced 0, fixed 5.4). PYSEC-2020-176 is [5.1, 5.2b1) and PYSEC-2018-49 is [0, 5.1):
  5.3 is above both -> not affected.
* jinja2 2.10: PYSEC-2019-217 (CVE-2019-10906, fixed 2.10.1) and PYSEC-2021-66 (CVE-2020-28493,
  fixed 2.11.3); PYSEC-2019-220 (CVE-2016-10745) is [0, 2.8.1) -> not affected.
* urllib3 1.24.1: PYSEC-2019-132 [0, 1.24.3), PYSEC-2019-133 and PYSEC-2023-207 [0, 1.24.2),
  PYSEC-2020-148 [0, 1.25.9), PYSEC-2021-108 [0, 1.26.5); PYSEC-2023-192 lists its events out of
  order (introduced 2.0.0, fixed 2.0.6, introduced 0, fixed 1.26.17): sorted, 1.24.1 lies in
  [0, 1.26.17) -> affected; PYSEC-2023-212 likewise [0, 1.26.18).
"""

from __future__ import annotations

import pytest

from liturgia.model import Component
from liturgia.vuln import AdvisoryDatabase, Severity, scan

EXPECTED = {
    ("django", "3.2.0"): {
        "PYSEC-2021-109", "PYSEC-2021-439", "PYSEC-2021-7", "PYSEC-2021-8", "PYSEC-2021-98",
        "PYSEC-2021-99", "PYSEC-2022-1", "PYSEC-2022-19", "PYSEC-2022-190", "PYSEC-2022-191",
        "PYSEC-2022-2", "PYSEC-2022-20", "PYSEC-2022-213", "PYSEC-2022-245", "PYSEC-2022-3",
        "PYSEC-2022-304", "PYSEC-2023-100", "PYSEC-2023-12", "PYSEC-2023-13", "PYSEC-2023-222",
        "PYSEC-2023-225", "PYSEC-2023-226", "PYSEC-2023-61", "PYSEC-2024-28", "PYSEC-2024-47",
    },
    ("requests", "2.19.0"): {"PYSEC-2018-28", "PYSEC-2023-74"},
    ("pyyaml", "5.3"): {"PYSEC-2020-96", "PYSEC-2021-142"},
    ("jinja2", "2.10"): {"PYSEC-2019-217", "PYSEC-2021-66"},
    ("urllib3", "1.24.1"): {
        "PYSEC-2019-132", "PYSEC-2019-133", "PYSEC-2020-148", "PYSEC-2021-108",
        "PYSEC-2023-192", "PYSEC-2023-207", "PYSEC-2023-212",
    },
    ("flask", "0.12"): {"PYSEC-2018-66", "PYSEC-2019-179", "PYSEC-2023-62"},
    ("cryptography", "3.2"): {"PYSEC-2021-62", "PYSEC-2021-63", "PYSEC-2023-11", "PYSEC-2023-254"},
    ("pillow", "8.0.0"): {
        "PYSEC-2021-137", "PYSEC-2021-138", "PYSEC-2021-139", "PYSEC-2021-317", "PYSEC-2021-331",
        "PYSEC-2021-35", "PYSEC-2021-36", "PYSEC-2021-37", "PYSEC-2021-38", "PYSEC-2021-39",
        "PYSEC-2021-40", "PYSEC-2021-41", "PYSEC-2021-42", "PYSEC-2021-69", "PYSEC-2021-70",
        "PYSEC-2021-71", "PYSEC-2021-92", "PYSEC-2021-93", "PYSEC-2021-94", "PYSEC-2022-10",
        "PYSEC-2022-168", "PYSEC-2022-42979", "PYSEC-2022-8", "PYSEC-2022-9", "PYSEC-2023-175",
        "PYSEC-2023-227",
    },
}  # fmt: skip


@pytest.mark.parametrize(("name", "version"), sorted(EXPECTED))
def test_pinned_package_gets_exactly_the_corpus_advisories(
    pypi_db: AdvisoryDatabase, name: str, version: str
) -> None:
    component = Component(name=name, version=version, purl=f"pkg:pypi/{name}@{version}")
    report = scan([component], pypi_db)
    assert {f.id for f in report.findings} == EXPECTED[(name, version)]
    assert report.unchecked == ()


def test_fixed_versions_and_smallest_upgrade(pypi_db: AdvisoryDatabase) -> None:
    report = scan([Component(name="PyYAML", version="5.3", ecosystem="PyPI")], pypi_db)
    by_id = {f.id: f for f in report.findings}
    assert by_id["PYSEC-2020-96"].fixed_versions == ("5.3.1",)
    assert by_id["PYSEC-2021-142"].fixed_versions == ("5.4",)
    (advice,) = report.upgrades
    # 5.3.1 still carries PYSEC-2021-142 (fixed 5.4); 5.4 clears both.
    assert advice.upgrade_to == "5.4"
    assert set(advice.clears) == {"PYSEC-2020-96", "PYSEC-2021-142"}


def test_django_upgrade_clears_every_advisory(pypi_db: AdvisoryDatabase) -> None:
    report = scan([Component(name="Django", version="3.2.0", ecosystem="PyPI")], pypi_db)
    (advice,) = report.upgrades
    assert advice.upgrade_to is not None
    after = scan([Component(name="django", version=advice.upgrade_to, ecosystem="PyPI")], pypi_db)
    assert after.findings == ()


def test_records_without_severity_are_unknown_and_fail_the_high_gate(
    pypi_db: AdvisoryDatabase,
) -> None:
    report = scan([Component(name="requests", version="2.19.0", ecosystem="PyPI")], pypi_db)
    finding = {f.id: f for f in report.findings}["PYSEC-2018-28"]
    assert finding.severity is Severity.UNKNOWN
    assert finding.severity_source.startswith("no severity stated: looked in PYSEC-2018-28 (")
    assert finding in report.blocking(Severity.HIGH)
    assert finding not in report.blocking(Severity.CRITICAL)
    assert finding not in report.blocking(Severity.HIGH, unknown_as=Severity.LOW)


def test_cvss_vector_gives_severity(pypi_db: AdvisoryDatabase) -> None:
    report = scan([Component(name="urllib3", version="1.24.1", ecosystem="PyPI")], pypi_db)
    finding = {f.id: f for f in report.findings}["PYSEC-2023-192"]
    # CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N (CVE-2023-43804) scores 8.1 -> HIGH.
    assert finding.severity is Severity.HIGH
    assert finding.score == 8.1
    assert finding.severity_source.startswith("CVSS_V3 CVSS:3.1/")
