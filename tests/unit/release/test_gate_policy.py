"""The golden rule as policy: [[gates.checks]] kinds over real evidence files, waivers, severity."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from collections.abc import Callable
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from liturgia.config import LoadedConfig, load_config
from liturgia.errors import ConfigError
from liturgia.release import chaos
from liturgia.release.gates import GateContext, Status, evaluate_gates
from liturgia.release.gates._policy import kinds, load_policy
from liturgia.release.version import Version

HEAD = '[project]\nname = "demo"\n'

JUNIT_OK = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" tests="2">
<testcase classname="t" name="a"/><testcase classname="t" name="b"/>
</testsuite></testsuites>
"""
JUNIT_FAILED = """<?xml version="1.0" encoding="utf-8"?>
<testsuite name="e2e" tests="1"><testcase classname="e2e" name="login">
<failure message="expected 200, got 500"/></testcase></testsuite>
"""


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., LoadedConfig]:
    """Factory: a project folder with liturgia.toml (HEAD + ``policy``) and ``files``."""

    def make(policy: str, files: dict[str, str | bytes] | None = None) -> LoadedConfig:
        root = tmp_path / "demo"
        root.mkdir(exist_ok=True)
        (root / "liturgia.toml").write_text(HEAD + policy, encoding="utf-8")
        for name, content in (files or {}).items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return load_config(root)

    return make


def _gate(config: LoadedConfig, **fields: object) -> dict[str, dict[str, object]]:
    release = config.project_dir / "release"
    release.mkdir(exist_ok=True)
    context = GateContext(
        config=config,
        release=release,
        version=fields.pop("version", Version.parse("1.2.0")),  # type: ignore[arg-type]
        today=date(2026, 1, 15),
        labels={str(config.project_dir): ""},
        **fields,  # type: ignore[arg-type]
    )
    report = evaluate_gates(context)
    return {check.name: _row(check) for check in report.checks} | {
        "_report": {"go": report.go, "failed": [c.name for c in report.failed]}
    }


def _row(check: object) -> dict[str, object]:
    return {
        name: getattr(check, name)
        for name in ("status", "summary", "evidence", "figure", "threshold", "blocking", "files")
    }


def test_every_golden_rule_kind_is_registered() -> None:
    assert set(kinds()) >= {
        "tests", "coverage", "vulnerabilities", "sbom", "inputs", "signatures", "changelog",
        "artifact-version", "rollback-plan", "migration-guide", "chaos", "load", "approvals",
        "docs-updated", "contracts", "metrics", "deploy",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ('[[gates.checks]]\nkind = "smoke"\n', "gates.checks[0].kind: unknown check kind 'smoke'"),
        (
            '[[gates.checks]]\nkind = "coverage"\nreport = "c.xml"\nminimun = 80\n',
            "gates.checks[0].minimun: unknown key",
        ),
        (
            '[[gates.checks]]\nkind = "coverage"\nreport = "c.xml"\nminimum = 80\n'
            'format = "clover"\n',
            "gates.checks[0].format: Input should be",
        ),
        (
            '[[gates.checks]]\nkind = "rollback-plan"\n[[gates.checks]]\nkind = "rollback-plan"\n',
            "gates.checks[1].name: 'rollback-plan' is the name of an earlier check",
        ),
        (
            '[[gates.checks]]\nkind = "chaos"\n[[gates.waivers]]\ncheck = "load"\nreason = "r"\n'
            'by = "ops"\nexpires = 2026-02-01\n',
            "gates.waivers[0].check: 'load' names no check of the policy (chaos)",
        ),
        (
            '[[gates.checks]]\nkind = "migration-guide"\npath = "docs/{majr}.md"\n',
            "gates.checks[0].path: 'docs/{majr}.md': unknown placeholder",
        ),
        (
            '[[gates.checks]]\nkind = "load"\nformat = "k6"\np95_ms = 300\nmax_error_rate = 1\n',
            "gates.checks[0].report: a load check names its summary file",
        ),
    ],
)
def test_a_bad_policy_is_one_line_naming_file_and_field(
    project: Callable[..., LoadedConfig], policy: str, message: str
) -> None:
    config = project(policy)
    with pytest.raises(ConfigError) as raised:
        load_policy(config)
    text = str(raised.value)
    assert "\n" not in text
    assert text.startswith(f"{config.path}: ")
    assert message in text


def test_a_waiver_of_a_whole_check_says_who_and_until_when(
    project: Callable[..., LoadedConfig],
) -> None:
    with pytest.raises(ConfigError, match=r"gates\.waivers\.0: .*needs 'by'.*and 'expires'"):
        project('[[gates.waivers]]\ncheck = "chaos"\nreason = "later"\n')


def test_tests_per_suite_each_judged_alone(project: Callable[..., LoadedConfig]) -> None:
    config = project(
        '[[gates.checks]]\nkind = "tests"\nname = "suites"\n'
        'suites = { unit = "reports/unit.xml", e2e = "reports/e2e.xml", '
        'load = "reports/no.xml" }\n',
        {"reports/unit.xml": JUNIT_OK, "reports/e2e.xml": JUNIT_FAILED},
    )
    row = _gate(config)["suites"]
    assert row["status"] is Status.FAIL
    assert row["summary"] == "2 of 3 suites failed: e2e, load"
    evidence = row["evidence"]
    assert "e2e: reports/e2e.xml: 1 tests, 1 failures, 0 errors, 0 skipped" in evidence
    assert "e2e: failed: e2e::login: expected 200, got 500" in evidence
    assert "load: reports/no.xml: JUnit report not found" in evidence
    assert "unit: reports/unit.xml: 2 tests, 0 failures, 0 errors, 0 skipped" in evidence
    (config.project_dir / "reports" / "e2e.xml").write_text(JUNIT_OK)
    (config.project_dir / "reports" / "no.xml").write_text(JUNIT_OK)
    assert _gate(config)["suites"]["summary"] == "3 suites passed: e2e, load, unit"


def test_a_junit_file_that_is_not_junit_fails_naming_it(
    project: Callable[..., LoadedConfig],
) -> None:
    config = project(
        '[[gates.checks]]\nkind = "tests"\nsuites = { unit = "unit.xml" }\n',
        {"unit.xml": '<?xml version="1.0"?><coverage line-rate="1"/>'},
    )
    row = _gate(config)["tests"]
    assert row["status"] is Status.FAIL
    assert row["evidence"] == (
        "unit: unit.xml: not a JUnit report (root element <coverage>, expected <testsuites> "
        "or <testsuite>)",
    )


@pytest.fixture(scope="module")
def coverage_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real coverage.py reports of one small measured run: Cobertura XML, JSON and LCOV."""
    work = tmp_path_factory.mktemp("cov")
    (work / "lib.py").write_text(
        "def f(n):\n    if n > 0:\n        return 1\n    return 2\n\n\ndef g():\n    return 3\n"
    )
    (work / "run.py").write_text("import lib\nlib.f(1)\n")
    env = {**os.environ, "COVERAGE_FILE": str(work / ".coverage")}
    python = [sys.executable, "-m", "coverage"]
    subprocess.run(
        [*python, "run", "--branch", "--source=.", "run.py"], cwd=work, env=env, check=True
    )
    reports = {"cobertura": "c.xml", "coverage-json": "c.json", "lcov": "c.lcov"}
    for kind, command in (("cobertura", "xml"), ("coverage-json", "json"), ("lcov", "lcov")):
        subprocess.run(
            [*python, command, "--include=lib.py", "-o", reports[kind]], cwd=work, env=env,
            check=True, capture_output=True,
        )  # fmt: skip
    return {kind: work / name for kind, name in reports.items()}


GO_PROFILE = """mode: set
example.com/app/main.go:5.13,7.2 2 1
example.com/app/main.go:9.14,11.2 1 0
example.com/app/util.go:3.20,4.10 3 1
example.com/app/util.go:3.20,4.10 3 0
"""


@pytest.mark.parametrize("report_format", ["cobertura", "coverage-json", "lcov"])
def test_coverage_in_each_format_gives_the_same_figure(
    project: Callable[..., LoadedConfig], coverage_reports: dict[str, Path], report_format: str
) -> None:
    report = coverage_reports[report_format]
    config = project(
        f'[[gates.checks]]\nkind = "coverage"\nreport = "{report.name}"\nformat = '
        f'"{report_format}"\nminimum = 60\n',
        {report.name: report.read_bytes()},
    )
    row = _gate(config)["coverage"]
    # lib.py: 6 statements, 4 run; 2 branches, 1 taken (coverage.py's total: 5/8).
    assert row["summary"] == "62.50% >= 60% minimum (line+branch coverage)", row
    assert row["status"] is Status.PASS


def test_go_cover_profile_counts_statements_once_per_block(
    project: Callable[..., LoadedConfig],
) -> None:
    config = project(
        '[[gates.checks]]\nkind = "coverage"\nreport = "cover.out"\nformat = "go"\nminimum = 90\n',
        {"cover.out": GO_PROFILE},
    )
    row = _gate(config)["coverage"]
    assert row["status"] is Status.FAIL
    assert row["summary"] == "83.33% < 90% minimum (statement coverage)"
    assert row["evidence"] == ("cover.out: statement coverage (5/6 statements): 83.33%",)


def test_coverage_of_another_format_than_declared_names_both(
    project: Callable[..., LoadedConfig], coverage_reports: dict[str, Path]
) -> None:
    config = project(
        '[[gates.checks]]\nkind = "coverage"\nreport = "c.lcov"\nformat = "cobertura"\n'
        "minimum = 60\n",
        {"c.lcov": coverage_reports["lcov"].read_bytes()},
    )
    row = _gate(config)["coverage"]
    assert row["status"] is Status.FAIL
    assert row["evidence"] == (
        "c.lcov: not a Cobertura report (format = 'cobertura'): it looks like a LCOV "
        "tracefile; set the check's format to the report's",
    )


def _wheel(path: Path, version: str) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            f"demo-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.3\nName: demo\nVersion: {version}\n",
        )


def _sdist(path: Path, version: str) -> None:
    source = path.parent / f"demo-{version}"
    source.mkdir()
    (source / "PKG-INFO").write_text(f"Metadata-Version: 2.3\nName: demo\nVersion: {version}\n")
    with tarfile.open(path, "w:gz") as archive:
        archive.add(source, arcname=source.name)
    shutil.rmtree(source)


@pytest.fixture(scope="module")
def go_binaries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Real Go binaries (Debian golang-go, scripts/test.sh): the version set with -X, once
    recorded in the build information (-ldflags) and once only as a string (-trimpath)."""
    go = shutil.which("go")
    assert go is not None, "go is missing: scripts/test.sh installs golang-go"
    work = tmp_path_factory.mktemp("go")
    (work / "go.mod").write_text("module example.com/hello\n\ngo 1.19\n")
    (work / "main.go").write_text(
        'package main\n\nimport "fmt"\n\nvar version = "dev"\n\n'
        "func main() { fmt.Println(version) }\n"
    )
    # The user's build cache (GOCACHE unset) is kept between runs: a cold one costs ~20 s.
    env = {**os.environ, "GOPATH": str(work / "gopath"), "GOPROXY": "off", "GOFLAGS": "-mod=mod"}
    built = {}
    for name, flags in (("recorded", []), ("trimmed", ["-trimpath"])):
        subprocess.run(
            [go, "build", *flags, "-ldflags", "-X main.version=1.2.0", "-o", name, "."],
            cwd=work, env=env, check=True,
        )  # fmt: skip
        built[name] = work / name
    return built


def test_every_artifact_carries_the_release_version(
    project: Callable[..., LoadedConfig], go_binaries: dict[str, Path], tmp_path: Path
) -> None:
    config = project('[[gates.checks]]\nkind = "artifact-version"\n')
    release = config.project_dir / "release"
    release.mkdir()
    _wheel(release / "demo-1.2.0-py3-none-any.whl", "1.2.0")
    _sdist(release / "demo-1.2.0.tar.gz", "1.2.0")
    npm = tmp_path / "npm"
    npm.mkdir()
    (npm / "package.json").write_text(json.dumps({"name": "demo", "version": "1.2.0"}))
    npm_env = {**os.environ, "npm_config_cache": str(npm / ".c")}
    pack = ["npm", "pack", "--pack-destination", str(release)]
    subprocess.run(pack, cwd=npm, check=True, capture_output=True, env=npm_env)
    shutil.copy(go_binaries["recorded"], release / "hello")
    shutil.copy(go_binaries["trimmed"], release / "hello-trimmed")
    names = tuple(sorted(p.name for p in release.iterdir()))
    row = _gate(config, artifacts=names)["artifact-version"]
    assert row["status"] is Status.PASS, row
    assert row["evidence"] == (
        "demo-1.2.0-py3-none-any.whl: demo-1.2.0.dist-info/METADATA says 1.2.0",
        "demo-1.2.0.tar.gz: demo-1.2.0/PKG-INFO says 1.2.0",
        "demo-1.2.0.tgz: package/package.json says 1.2.0",
        "hello: build -ldflags -X says 1.2.0",
        "hello-trimmed: a version string in its data says 1.2.0",
    )
    assert len(row["files"]) == 5  # type: ignore[arg-type]

    # The field case: a release 0.1.0 whose build took its version from elsewhere.
    (release / "demo-1.2.0-py3-none-any.whl").unlink()
    _wheel(release / "attrs-26.1.0-py3-none-any.whl", "26.1.0")
    (release / "notes.txt").write_text("not a package")
    names = tuple(sorted(p.name for p in release.iterdir()))
    row = _gate(config, artifacts=names)["artifact-version"]
    assert row["status"] is Status.FAIL
    assert (
        "attrs-26.1.0-py3-none-any.whl: demo-26.1.0.dist-info/METADATA says 26.1.0, "
        "the release is 1.2.0"
    ) in row["evidence"]  # type: ignore[operator]
    assert "hello: go version says" not in str(row["evidence"])
    assert row["figure"] == "4 of 6 artifacts carry 1.2.0"
    row = _gate(config, artifacts=names, version=Version.parse("1.2.1"))["artifact-version"]
    assert (
        "hello-trimmed: version unreadable: a Go binary that does not embed 1.2.1: its module "
        "version is (devel), no -ldflags '-X main.version=...' is recorded and the text is "
        "nowhere in it"
    ) in row["evidence"]  # type: ignore[operator]


def test_rollback_plan_and_migration_guide(project: Callable[..., LoadedConfig]) -> None:
    config = project(
        '[[gates.checks]]\nkind = "rollback-plan"\n'
        '[[gates.checks]]\nkind = "migration-guide"\npath = "docs/upgrading-to-{major}.md"\n',
        {"docs/rollback.md": "# Rollback\n\nTo leave 1.2.0 go back to 1.1.9:\n"},
    )
    rows = _gate(config, previous=Version.parse("1.1.9"))
    assert rows["rollback-plan"]["status"] is Status.PASS
    assert rows["rollback-plan"]["evidence"] == ("docs/rollback.md:3: names 1.2.0",)
    assert rows["migration-guide"]["status"] is Status.NOT_APPLICABLE
    assert rows["migration-guide"]["summary"] == (
        "not applicable: 1.1.9 to 1.2.0 keeps major version 1"
    )
    rows = _gate(config, version=Version.parse("2.0.0"), previous=Version.parse("1.2.0"))
    assert rows["rollback-plan"]["summary"] == (
        "docs/rollback.md does not name 2.0.0; say how to roll 2.0.0 back"
    )
    assert rows["migration-guide"]["status"] is Status.FAIL
    assert rows["migration-guide"]["summary"] == (
        "1.2.0 to 2.0.0 is a major bump and docs/upgrading-to-2.md is missing"
    )
    # 2.0.0 is not found inside 2.0.01 or 12.0.0.
    (config.project_dir / "docs" / "rollback.md").write_text("12.0.0 and 2.0.01 only\n")
    rows = _gate(config, version=Version.parse("2.0.0"), previous=Version.parse("1.2.0"))
    assert rows["rollback-plan"]["status"] is Status.FAIL


def _chaos_twin(availability: float, lost: int) -> str:
    rows = [
        chaos.ExperimentResult(
            source=f"{name}.json", experiment=name, fault="SIGKILL", duration_s=10.0, load="16",
            availability=share, time_to_recover_s=0.4, acknowledged=100, lost=gone,
        )
        for name, share, gone in (("kill9", availability, lost), ("disk-full", 1.0, 0))
    ]  # fmt: skip
    return chaos.render_json(chaos.summarise(rows))


def test_chaos_report_from_liturgia_chaos_report(project: Callable[..., LoadedConfig]) -> None:
    config = project(
        '[[gates.checks]]\nkind = "chaos"\nmin_uptime = 99.5\n',
        {"docs/chaos/report.json": _chaos_twin(0.995, 0)},
    )
    row = _gate(config)["chaos"]
    assert row["status"] is Status.PASS
    assert row["figure"] == "uptime 99.75 %, 0 lost, 2 experiments"
    assert row["evidence"] == (
        "docs/chaos/report.json: disk-full: availability 100.00 %, 0 lost",
        "docs/chaos/report.json: kill9: availability 99.50 %, 0 lost",
    )
    (config.project_dir / "docs/chaos/report.json").write_text(_chaos_twin(0.98, 2))
    row = _gate(config)["chaos"]
    assert row["summary"] == "uptime 99.00 % < 99.5 %; 2 acknowledged entries lost > 0"
    (config.project_dir / "docs/chaos/report.json").write_text('{"experiments": []}')
    assert _gate(config)["chaos"]["evidence"] == (
        "docs/chaos/report.json: no experiment in the chaos report (experiments is empty)",
    )


K6_SUMMARY = {
    "metrics": {
        "http_req_duration": {"avg": 80.1, "med": 70.0, "p(90)": 150.2, "p(95)": 210.5},
        "http_req_failed": {"passes": 3, "fails": 997, "value": 0.003},
        "http_reqs": {"count": 1000, "rate": 99.9},
    }
}


LOCUST_CSV = """
import sys
from locust.env import Environment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter

environment = Environment()
for index in range(200):
    environment.stats.log_request("GET", "/x", 900 if index < 8 else 12, 0)
for _ in range(2):
    environment.stats.log_error("GET", "/x", "HTTP 503")
writer = StatsCSVFileWriter(environment, PERCENTILES_TO_REPORT, sys.argv[1])
writer.requests_csv_writer.writerow(writer.requests_csv_columns)
writer._requests_data_rows(writer.requests_csv_writer)  # one snapshot of the statistics
writer.close_files()
"""


def test_load_results_from_k6_and_locust(
    project: Callable[..., LoadedConfig], tmp_path: Path
) -> None:
    config = project(
        '[[gates.checks]]\nkind = "load"\nname = "load-k6"\nreport = "k6.json"\nformat = "k6"\n'
        "p95_ms = 200\nmax_error_rate = 1\n"
        '[[gates.checks]]\nkind = "load"\nname = "load-locust"\nreport = "locust_stats.csv"\n'
        'format = "locust-csv"\np95_ms = 500\nmax_error_rate = 1\nseverity = "advisory"\n',
        {"k6.json": json.dumps(K6_SUMMARY)},
    )
    # Locust's own statistics and CSV writer (as `locust --csv` writes *_stats.csv): 200
    # requests, 8 of them slow, 2 failed. In a process of its own: Locust patches with gevent.
    subprocess.run(
        [sys.executable, "-c", LOCUST_CSV, str(config.project_dir / "locust")], check=True
    )
    rows = _gate(config)
    assert rows["load-k6"]["status"] is Status.FAIL
    assert rows["load-k6"]["summary"] == "p95 210.5 ms > 200 ms"
    assert rows["load-k6"]["figure"] == "p95 210.5 ms, error rate 0.30 %, 1000 requests"
    locust_row = rows["load-locust"]
    assert locust_row["status"] is Status.PASS, locust_row
    assert locust_row["figure"] == "p95 12 ms, error rate 1.00 %, 200 requests"
    assert locust_row["blocking"] is False
    assert rows["_report"] == {"go": False, "failed": ["load-k6"]}


LOCUSTFILE = """
from locust import HttpUser, constant, task


class Reader(HttpUser):
    wait_time = constant(0.01)

    @task(9)
    def ok(self):
        self.client.get("/ok")

    @task(1)
    def busy(self):
        self.client.get("/busy")
"""


class _Answers(BaseHTTPRequestHandler):
    """200 after 2-40 ms (a spread for the percentiles), 503 on /busy."""

    def do_GET(self) -> None:
        time.sleep(random.uniform(0.002, 0.040))  # noqa: S311 - a spread, not a secret
        status = 503 if self.path == "/busy" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


def test_a_real_locust_run_read_as_json_and_as_csv_gives_the_same_figures(
    project: Callable[..., LoadedConfig], tmp_path: Path
) -> None:
    """The `locust` command itself (headless, 3 s, 4 users against a local server answering
    10 % 503s) writes --json-file (Locust adds .json) and --csv. The gate reads the JSON to
    Locust's own figures: its request and failure counts, and the p95 Locust's own
    calculate_response_time_percentile gives on the merged histogram (what its Aggregated row
    says); and the CSV to its Aggregated row (written by Locust at an interval, so it may hold
    fewer requests than the JSON written at the end)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = project(
        '[[gates.checks]]\nkind = "load"\nname = "json"\nreport = "out/locust.json"\n'
        'format = "locust-json"\np95_ms = 500\nmax_error_rate = 20\n'
        '[[gates.checks]]\nkind = "load"\nname = "csv"\nreport = "out/locust_stats.csv"\n'
        'format = "locust-csv"\np95_ms = 500\nmax_error_rate = 5\n'
        '[[gates.checks]]\nkind = "load"\nname = "edge"\nreport = "edge.json"\n'
        'format = "locust-json"\np95_ms = 500\nmax_error_rate = 1\n',
        {"locustfile.py": LOCUSTFILE, "edge.json": json.dumps(EDGE)},
    )
    out = config.project_dir / "out"
    out.mkdir()
    try:
        run = subprocess.run(
            [str(Path(sys.executable).with_name("locust")), "-f", "locustfile.py",
             "--headless", "--only-summary", "--skip-log", "-u", "4", "-r", "4", "-t", "3s",
             "-H", f"http://127.0.0.1:{server.server_address[1]}",
             "--json-file", "out/locust", "--csv", "out/locust"],
            cwd=config.project_dir, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()
    assert run.returncode in (0, 1), run.stderr[-2000:]  # 1: Locust saw failures (the 503s)
    rows = _gate(config)
    entries = json.loads((out / "locust.json").read_text())
    requests = sum(entry["num_requests"] for entry in entries)
    failures = sum(entry["num_failures"] for entry in entries)
    assert requests > 100 and 0 < failures < requests
    locust_p95 = subprocess.run(  # Locust's own function, in a process of its own (gevent)
        [sys.executable, "-c", LOCUST_P95, str(out / "locust.json")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    rate = 100 * failures / requests
    assert rows["json"]["figure"] == (
        f"p95 {float(locust_p95):g} ms, error rate {rate:.2f} %, {requests} requests"
    )
    assert rows["json"]["status"] is Status.PASS  # a 20 % ceiling
    total = next(
        row
        for row in csv.DictReader((out / "locust_stats.csv").read_text().splitlines())
        if row["Name"] == "Aggregated"
    )
    csv_requests, csv_failures = int(total["Request Count"]), int(total["Failure Count"])
    csv_rate = 100 * csv_failures / csv_requests
    assert rows["csv"]["figure"] == (
        f"p95 {float(total['95%']):g} ms, error rate {csv_rate:.2f} %, {csv_requests} requests"
    )
    assert rows["csv"]["status"] is Status.FAIL  # a 5 % ceiling: about 10 % are 503s
    assert rows["csv"]["summary"] == f"error rate {csv_rate:.2f} % > 5 %"
    # Exactly 95 % at 10 ms: Locust's p95 is the next bucket, 20 ms (a reader that took the
    # first bucket reaching 95 % said 10).
    edge = subprocess.run(
        [sys.executable, "-c", LOCUST_P95, str(config.project_dir / "edge.json")],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert edge == "20"
    assert rows["edge"]["figure"] == "p95 20 ms, error rate 0.00 %, 100 requests"


EDGE = [
    {"name": "/x", "method": "GET", "num_requests": 100, "num_failures": 0,
     "response_times": {"10": 95, "20": 5}},
]  # fmt: skip


LOCUST_P95 = """
import json, sys
from locust.stats import calculate_response_time_percentile

entries = json.load(open(sys.argv[1]))
merged = {}
for entry in entries:
    for bucket, count in entry["response_times"].items():
        merged[int(bucket)] = merged.get(int(bucket), 0) + count
print(calculate_response_time_percentile(merged, sum(e["num_requests"] for e in entries), 0.95))
"""


def test_waivers_expire_and_advisory_checks_never_block(
    project: Callable[..., LoadedConfig],
) -> None:
    policy = (
        '[[gates.checks]]\nkind = "rollback-plan"\n'
        '[[gates.checks]]\nkind = "chaos"\nseverity = "advisory"\n'
        '[[gates.waivers]]\ncheck = "rollback-plan"\nby = "Ana (release manager)"\n'
        'reason = "plan under review"\nexpires = {expires}\n'
    )
    config = project(policy.replace("{expires}", "2026-01-15"))
    rows = _gate(config)
    assert rows["rollback-plan"]["status"] is Status.WAIVED
    assert rows["rollback-plan"]["evidence"][0] == (  # type: ignore[index]
        "liturgia.toml: gates.waivers[0] by Ana (release manager) until 2026-01-15: "
        "plan under review"
    )
    assert rows["chaos"]["status"] is Status.FAIL
    assert rows["_report"] == {"go": True, "failed": []}

    config = project(policy.replace("{expires}", "2026-01-14"))
    rows = _gate(config)
    assert rows["rollback-plan"]["status"] is Status.FAIL
    assert str(rows["rollback-plan"]["summary"]).startswith(
        "waiver expired on 2026-01-14 (by Ana (release manager)); "
    )
    assert rows["_report"] == {"go": False, "failed": ["rollback-plan"]}
    # An expired waiver fails its check even when the check passes: renew it or remove it.
    (config.project_dir / "docs").mkdir()
    (config.project_dir / "docs" / "rollback.md").write_text("Roll 1.2.0 back with ...\n")
    assert _gate(config)["rollback-plan"]["status"] is Status.FAIL


def test_approvals_are_signed_by_the_keys_the_policy_names_per_role(
    project: Callable[..., LoadedConfig], monkeypatch: pytest.MonkeyPatch
) -> None:
    from liturgia.cli import main  # noqa: PLC0415 - the real `liturgia approve`
    from liturgia.sign import generate_key_pair  # noqa: PLC0415

    config = project(
        '[[gates.checks]]\nkind = "approvals"\n'
        '[gates.checks.roles.security]\nkeys = ["keys/alice.pub"]\n'
        '[gates.checks.roles.product]\nkeys = ["keys/bob.pub", "keys/carol.pub"]\nrequired = 2\n'
    )
    keys = config.project_dir / "keys"
    keys.mkdir()
    monkeypatch.setenv("LITURGIA_PASSWORD", "approver")
    for person in ("alice", "bob", "carol", "mallory"):
        generate_key_pair(keys / f"{person}.key", keys / f"{person}.pub", password=b"approver")

    def approve(person: str, role: str, version: str = "1.2.0") -> None:
        argv = ["approve", version, "--role", role, "--name", person.title()]
        argv += ["--key", str(keys / f"{person}.key"), "--project", str(config.project_dir)]
        assert main(argv) == 0

    approve("alice", "security")
    approve("bob", "product")
    row = _gate(config)["approvals"]
    assert (row["status"], row["summary"]) == (
        Status.FAIL,
        "missing approvals: product needs 1 more",
    )
    assert row["figure"] == "product 1/2, security 1/1"
    approve("carol", "product")
    approve("alice", "security", "1.1.0")  # another version's folder is not read
    row = _gate(config)["approvals"]
    assert (row["status"], row["summary"]) == (Status.PASS, "approved: product 2/2, security 1/1")
    assert len(row["files"]) == 3  # type: ignore[arg-type]
    assert any("security approved by Alice (key " in item for item in row["evidence"])  # type: ignore[attr-defined]

    approve("mallory", "security")
    approve("bob", "security")
    row = _gate(config)["approvals"]
    assert row["status"] is Status.FAIL
    problems = [item for item in row["evidence"] if "approved by" not in item]  # type: ignore[attr-defined]
    assert len(problems) == 2, problems
    assert any(p.endswith("signed by no key of the policy") for p in problems)
    assert any(
        "approves as 'security' with key " in p and "which is not a key of that role (product)" in p
        for p in problems
    )


def test_the_sbom_lists_every_artifact_digest(project: Callable[..., LoadedConfig]) -> None:
    from liturgia import sbom  # noqa: PLC0415

    config = project('[[gates.checks]]\nkind = "sbom"\n', {"requirements.txt": "pyyaml==6.0.1\n"})
    release = config.project_dir / "release"
    release.mkdir()
    (release / "app-1.2.0.tar.gz").write_bytes(b"the app")
    (release / "app-1.2.0.whl").write_bytes(b"the wheel")
    inventory = sbom.catalog([config.project_dir / "requirements.txt"], root=config.project_dir)
    listed = [sbom.artifact_component(release / "app-1.2.0.tar.gz")]
    document = sbom.to_cyclonedx_json(inventory, artifacts=listed)
    (release / "sbom.cdx.json").write_bytes(document)
    row = _gate(config, artifacts=("app-1.2.0.tar.gz",))["sbom"]
    assert row["status"] is Status.PASS
    assert row["figure"] == (
        "valid CycloneDX 1.6 JSON, 2 components, 1 of 1 artifacts' digests listed"
    )
    row = _gate(config, artifacts=("app-1.2.0.tar.gz", "app-1.2.0.whl"))["sbom"]
    assert row["status"] is Status.FAIL
    digest = hashlib.sha256(b"the wheel").hexdigest()
    assert row["evidence"] == (
        f"app-1.2.0.whl: sha256:{digest} is not the SHA-256 of any file component",
    )


def _git(repo: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com"}  # fmt: skip
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env)


OPENAPI = '{"openapi": "3.1.0", "info": {"title": "api", "version": "%s"}, "paths": {%s}}'


def _tagged(repo: Path, version: str) -> Version:
    """A new repository in ``repo`` holding what is there, tagged ``v<version>``."""
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "feat: first")
    _git(repo, "tag", f"v{version}")
    return Version.parse(version)


HISTORY_POLICY = (
    '[[gates.checks]]\nkind = "docs-updated"\n'
    '[[gates.checks]]\nkind = "contracts"\nfiles = ["api/openapi.json"]\n'
)
HISTORY_FILES: dict[str, str | bytes] = {
    "src/app.py": "x = 1\n",
    "docs/guide.md": "# Guide\n",
    "api/openapi.json": OPENAPI % ("1.0.0", ""),
}


def test_docs_and_contracts_since_the_previous_tag(project: Callable[..., LoadedConfig]) -> None:
    config = project(HISTORY_POLICY, HISTORY_FILES)
    repo = config.project_dir
    previous = _tagged(repo, "1.1.9")
    rows = _gate(config, previous=previous)
    assert rows["docs-updated"]["summary"] == "no source changed since v1.1.9"
    assert rows["contracts"]["status"] is Status.PASS
    assert _gate(config)["docs-updated"]["status"] is Status.NOT_APPLICABLE  # a first release

    (repo / "src" / "app.py").write_text("x = 2\n")
    (repo / "api" / "openapi.json").write_text(OPENAPI % ("1.0.0", '"/x": {}'))
    _git(repo, "commit", "-q", "-am", "feat: x")
    rows = _gate(config, previous=previous)
    assert rows["docs-updated"]["status"] is Status.FAIL
    assert rows["docs-updated"]["summary"] == (
        "1 source files changed since v1.1.9 and no documentation did"
    )
    assert rows["docs-updated"]["evidence"] == ("source changed: src/app.py",)
    assert rows["contracts"]["evidence"] == (
        "api/openapi.json: changed since v1.1.9 but info.version is still 1.0.0",
    )
    (repo / "docs" / "guide.md").write_text("# Guide\n\nx is 2.\n")
    (repo / "api" / "openapi.json").write_text(OPENAPI % ("1.1.0", '"/x": {}'))
    _git(repo, "commit", "-q", "-am", "docs: x")
    rows = _gate(config, previous=previous)
    assert rows["docs-updated"]["status"] is Status.PASS
    assert rows["contracts"]["evidence"] == (
        "api/openapi.json: changed, info.version 1.0.0 -> 1.1.0",
    )


def test_docs_and_contracts_of_a_project_in_a_sub_folder_of_its_repository(
    project: Callable[..., LoadedConfig],
) -> None:
    """The project is ``demo/`` of a real repository: paths are the project's, and a change
    beside it (another project's source, the repository's own docs) is not the project's."""
    config = project(HISTORY_POLICY, HISTORY_FILES)
    repo = config.project_dir.parent
    for name in ("other/src/lib.py", "docs/monorepo.md"):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("v1\n")
    previous = _tagged(repo, "1.1.9")
    rows = _gate(config, previous=previous)
    assert (rows["docs-updated"]["status"], rows["contracts"]["status"]) == (
        Status.PASS,
        Status.PASS,
    )
    assert rows["contracts"]["evidence"] == ("api/openapi.json: unchanged",)

    # The repository's docs and another project change: not this project's documentation.
    (config.project_dir / "src" / "app.py").write_text("x = 2\n")
    (config.project_dir / "api" / "openapi.json").write_text(OPENAPI % ("1.0.0", '"/x": {}'))
    (repo / "other" / "src" / "lib.py").write_text("v2\n")
    (repo / "docs" / "monorepo.md").write_text("v2\n")
    _git(repo, "commit", "-q", "-am", "feat: x")
    rows = _gate(config, previous=previous)
    assert rows["docs-updated"]["status"] is Status.FAIL
    assert rows["docs-updated"]["evidence"] == ("source changed: src/app.py",)
    assert rows["contracts"]["evidence"] == (
        "api/openapi.json: changed since v1.1.9 but info.version is still 1.0.0",
    )
    (config.project_dir / "docs" / "guide.md").write_text("# Guide\n\nx is 2.\n")
    (config.project_dir / "api" / "openapi.json").write_text(OPENAPI % ("1.1.0", '"/x": {}'))
    _git(repo, "commit", "-q", "-am", "docs: x")
    rows = _gate(config, previous=previous)
    assert rows["docs-updated"]["evidence"] == (
        "source changed: src/app.py",
        "docs changed: docs/guide.md",
    )
    assert rows["docs-updated"]["status"] is Status.PASS
    assert rows["contracts"]["evidence"] == (
        "api/openapi.json: changed, info.version 1.0.0 -> 1.1.0",
    )


def test_metrics_and_deployment_reports(project: Callable[..., LoadedConfig]) -> None:
    staging = {"stage": "staging", "exit_status": 0, "version": "1.2.0", "output": "deployed\nok"}
    smoke = {"stage": "smoke", "exit_status": 3, "output": "GET /health: 503"}
    config = project(
        '[[gates.checks]]\nkind = "metrics"\nfile = "reports/metrics.prom"\n'
        '[[gates.checks]]\nkind = "deploy"\nname = "staging"\nstage = "staging"\n'
        'report = "reports/staging.json"\n'
        '[[gates.checks]]\nkind = "deploy"\nname = "smoke"\nstage = "smoke"\n'
        'report = "reports/smoke.json"\n'
        '[[gates.checks]]\nkind = "deploy"\nname = "production"\nstage = "production"\n'
        'report = "reports/production.json"\n',
        {
            "reports/metrics.prom": "liturgia_release_total 1\n",
            "reports/staging.json": json.dumps(staging),
            "reports/smoke.json": json.dumps(smoke),
            "reports/production.json": "[]",
        },
    )
    rows = _gate(config)
    assert rows["metrics"]["status"] is Status.PASS
    assert rows["staging"]["status"] is Status.PASS
    assert rows["staging"]["evidence"] == (
        "reports/staging.json: exit status 0", "output: deployed", "output: ok",
    )  # fmt: skip
    assert rows["smoke"]["summary"] == "smoke exited 3"
    assert rows["production"]["evidence"] == (
        "reports/production.json: a deployment report is a JSON object with an integer exit_status",
    )


def test_the_guides_policy_example_is_a_valid_policy(project: Callable[..., LoadedConfig]) -> None:
    guide = (Path(__file__).resolve().parents[3] / "docs" / "release-gate.md").read_text()
    example = guide.split("```toml\n", 1)[1].split("```", 1)[0]
    policy = load_policy(project(example))
    assert [entry.check.name for entry in policy] == [
        "tests", "coverage", "vulnerabilities", "artifact-version", "rollback-plan",
        "migration-guide", "chaos", "load", "approvals",
    ]  # fmt: skip
    assert [entry.blocking for entry in policy].count(False) == 1
