"""``liturgia chaos report``: the chaos experiments' results become docs/chaos/report.md + JSON.

Issue 16 item 3: per experiment the fault, duration, load, availability, time to recover and
lost entries; overall uptime (availability weighted by duration) and MTTR beside the seed's
figures; a malformed result is a one-line error naming the file, exit 2, nothing written.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from liturgia.cli import main
from liturgia.errors import InputError
from liturgia.release.chaos import read_result, read_results, render_json, render_markdown

KILL9 = {
    "experiment": "kill9-sqlite",
    "fault": "SIGKILL of liturgia serve, 20 times",
    "duration_s": 40.0,
    "load": "16 clients, 48 writes a burst",
    "availability": 0.995,
    "time_to_recover_s": 0.5,
    "acknowledged": 900,
    "lost": 0,
}
DISK = {
    "experiment": "disk-full",
    "fault": "tmpfs of 5 MiB | full",
    "duration_s": 10,
    "load": 32,
    "availability": 0.9,
    "time_to_recover_s": None,
    "acknowledged": 100,
    "lost": 0,
    "extra": "kept out of the report",
}


def _write(folder: Path, name: str, document: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(json.dumps(document))
    return path


def test_report_rows_and_overall_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "out"
    _write(results, "b.json", KILL9)
    _write(results, "a.json", DISK)
    (results / "notes.txt").write_text("not a result")
    output = tmp_path / "docs" / "chaos" / "report.md"
    assert main(["chaos", "report", str(results), "-o", str(output)]) == 0
    assert capsys.readouterr().out.splitlines() == [str(output), str(output.with_suffix(".json"))]
    twin = json.loads(output.with_suffix(".json").read_text())
    rows = twin["experiments"]
    assert [row["experiment"] for row in rows] == ["disk-full", "kill9-sqlite"]
    assert rows[0]["source"] == "a.json" and rows[0]["load"] == "32"
    assert "extra" not in rows[0]
    # Uptime weighted by duration: (0.9 * 10 + 0.995 * 40) / 50; MTTR over measured ones only.
    assert twin["overall"]["uptime"] == pytest.approx((0.9 * 10 + 0.995 * 40) / 50)
    assert twin["overall"]["mttr_s"] == 0.5
    assert (twin["overall"]["lost"], twin["overall"]["acknowledged"]) == (0, 1000)
    assert twin["overall"]["meets_seed"] is False  # 97.6 % is not over 99 %
    assert twin["seed"] == {"uptime_above": 0.99, "mttr_s": 45.0}
    text = output.read_text()
    assert "| disk-full | tmpfs of 5 MiB \\| full | 10.0 | 32 | 90.00 % | — | 100 | 0 |" in text
    assert "| uptime (availability weighted by duration) | 97.60 % | > 99 % | no |" in text
    assert "| MTTR (mean time to recover) | 0.50 s | 45 s | yes |" in text
    assert "| acknowledged entries lost | 0 of 1000 | 0 | yes |" in text
    assert str(tmp_path) not in text + output.with_suffix(".json").read_text()


def test_same_results_same_bytes(tmp_path: Path) -> None:
    _write(tmp_path / "one", "x.json", KILL9)
    _write(tmp_path / "one", "y.json", DISK)
    _write(tmp_path / "two", "y.json", DISK)
    _write(tmp_path / "two", "x.json", KILL9)
    first, second = read_results(tmp_path / "one"), read_results(tmp_path / "two")
    assert render_markdown(first) == render_markdown(second)
    assert render_json(first) == render_json(second)


def test_meets_the_seed_when_uptime_is_high_and_nothing_lost(tmp_path: Path) -> None:
    _write(tmp_path, "k.json", KILL9)
    report = read_results(tmp_path)
    assert report.meets_seed and report.uptime == pytest.approx(0.995)
    _write(tmp_path, "lost.json", {**KILL9, "experiment": "x", "availability": 1, "lost": 1})
    assert not read_results(tmp_path).meets_seed
    _write(tmp_path, "lost.json", {**KILL9, "experiment": "x", "time_to_recover_s": 91})
    assert read_results(tmp_path).mttr_s == pytest.approx(45.75)
    assert not read_results(tmp_path).meets_seed  # MTTR over 45 s


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ("{", "not a JSON chaos result"),
        ("[]", "a chaos result is a JSON object, not list"),
        (json.dumps({k: v for k, v in KILL9.items() if k != "lost"}), "field 'lost' is missing"),
        (json.dumps({**KILL9, "availability": 99.5}), "field 'availability' is 99.5, not a share"),
        (json.dumps({**KILL9, "availability": "high"}), "field 'availability' is \"high\", not"),
        (json.dumps({**KILL9, "duration_s": 0}), "field 'duration_s' is 0"),
        (json.dumps({**KILL9, "duration_s": -1}), "field 'duration_s' is -1, which is negative"),
        (json.dumps({**KILL9, "lost": 901}), "field 'lost' is 901, more than the 900"),
        (json.dumps({**KILL9, "lost": 1.5}), "field 'lost' is 1.5, not a count"),
        (json.dumps({**KILL9, "acknowledged": True}), "field 'acknowledged' is true, not a count"),
        (json.dumps({**KILL9, "fault": " "}), "field 'fault' is \" \", not a non-empty text"),
        (json.dumps({**KILL9, "time_to_recover_s": "1"}), "field 'time_to_recover_s' is \"1\""),
        ('{"availability": NaN}', "field 'experiment' is missing"),
        (json.dumps({**KILL9, "duration_s": 1e999}), "not a finite number"),
        (b"\xff\xfe", "not a JSON chaos result"),
    ],
)
def test_malformed_result_is_an_input_error_naming_the_file(
    tmp_path: Path, content: str | bytes, says: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError) as caught:
        read_result(path)
    assert str(caught.value).startswith(f"{path}: ")
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_cli_malformed_result_exit_2_one_line_nothing_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    results = tmp_path / "out"
    _write(results, "good.json", KILL9)
    bad = _write(results, "torn.json", {**KILL9, "availability": 2})
    output = tmp_path / "report.md"
    assert main(["chaos", "report", str(results), "-o", str(output)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(bad) in err
    assert not output.exists() and not output.with_suffix(".json").exists()


def test_cli_needs_a_folder_with_results(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LITURGIA_CHAOS_OUT", raising=False)
    assert main(["chaos", "report", "-o", str(tmp_path / "r.md")]) == 2
    assert "LITURGIA_CHAOS_OUT" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["chaos", "report", str(tmp_path / "empty"), "-o", str(tmp_path / "r.md")]) == 2
    assert "no chaos result (*.json)" in capsys.readouterr().err
    assert main(["chaos", "report", str(tmp_path / "nope"), "-o", str(tmp_path / "r.md")]) == 2
    assert "not a folder of chaos results" in capsys.readouterr().err
    # The environment twin names the folder when DIR is not given.
    _write(tmp_path / "env", "k.json", KILL9)
    monkeypatch.setenv("LITURGIA_CHAOS_OUT", str(tmp_path / "env"))
    assert main(["chaos", "report", "-o", str(tmp_path / "r.md")]) == 0
    assert "kill9-sqlite" in (tmp_path / "r.md").read_text()


def test_reads_what_the_chaos_experiments_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The experiments' writer (tests/chaos/results.py) and this reader agree on the shape."""
    from tests.chaos.results import record_result  # noqa: PLC0415

    monkeypatch.setenv("LITURGIA_CHAOS_OUT", str(tmp_path / "out"))
    record_result(**{**KILL9, "time_to_recover_s": None}, seed=7, statuses={"201": 3})
    record_result(**{**KILL9, "experiment": "kill9-postgresql", "duration_s": 10.0})
    report = read_results(tmp_path / "out")
    assert [row.source for row in report.experiments] == [
        "kill9-postgresql.json",
        "kill9-sqlite.json",
    ]
    assert report.mttr_s == 0.5 and report.acknowledged == 1800
