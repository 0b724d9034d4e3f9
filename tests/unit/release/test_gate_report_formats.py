"""gate-report.html (self-contained, escaped) and gate-report.json against its published schema."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest

from liturgia.release.gates import (
    CheckResult,
    EvidenceFile,
    GateReport,
    Status,
    gate_report_json,
    gate_report_schema,
    not_applicable,
    render_gate_html,
)

ROOT = Path(__file__).resolve().parents[3]
HOSTILE = '<script>alert("x")</script> & <img src=x onerror=alert(1)>'

REPORT = GateReport(
    project="vertice <beta>",
    version="1.2.0",
    checks=(
        CheckResult(
            name="tests",
            passed=True,
            summary="3 tests, 0 failures",
            evidence=("junit.xml: 3 tests",),
            files=(EvidenceFile(name="junit.xml", sha256="ab" * 32),),
            figure="3 tests",
            threshold="at least 1 test",
        ),
        not_applicable("coverage", setting="gates.require_tests = false in liturgia.toml"),
        CheckResult(name="vulnerabilities", passed=False, summary=HOSTILE, evidence=(HOSTILE,)),
        CheckResult(name="rollback-plan", status=Status.WAIVED, summary="waived by Ana"),
        CheckResult(name="chaos", passed=False, summary="uptime 98 %", blocking=False),
    ),
)


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_the_html_page_is_self_contained_and_escapes_everything() -> None:
    page = render_gate_html(REPORT)
    assert page == render_gate_html(REPORT)  # same report, same bytes
    parsed = _Collector()
    parsed.feed(page)
    tags = [tag for tag, _ in parsed.tags]
    assert "script" not in tags and "img" not in tags and "link" not in tags
    for _, attrs in parsed.tags:
        for name in ("src", "href"):
            value = attrs.get(name)
            assert value is None or value.startswith("#"), (name, value)
    assert not re.search(r"https?://", page)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &lt;img" in page
    text = " ".join(" ".join(parsed.text).split())
    assert "Release gate: vertice <beta> 1.2.0" in text
    assert "NO-GO" in text
    assert "1 of 4 checks passed, 1 waived, 1 not applicable" in text
    assert "not applicable: gates.require_tests = false in liturgia.toml" in text
    assert "sha256:" + "ab" * 32 in text
    assert "advisory" in text


def test_every_report_validates_against_the_published_schema() -> None:
    schema = json.loads(gate_report_schema())
    jsonschema.Draft202012Validator.check_schema(schema)
    assert (ROOT / "docs" / "gate-report.schema.json").read_bytes() == gate_report_schema()
    document = json.loads(gate_report_json(REPORT))
    jsonschema.validate(document, schema)
    assert [c["status"] for c in document["checks"]] == [
        "pass", "not-applicable", "fail", "waived", "fail",
    ]  # fmt: skip
    for broken in (
        {**document, "decision": "MAYBE"},
        {**document, "checks": [{**document["checks"][2], "passed": True}]},
        {**document, "checks": [{**document["checks"][0], "status": "skipped"}]},
        {**document, "extra": 1},
    ):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(broken, schema)
