"""The chaos report: what each fault experiment measured, and the run's uptime and MTTR.

A chaos experiment (``tests/chaos/``, issue 16) writes one JSON result per run into the folder
``$LITURGIA_CHAOS_OUT``::

    {"experiment": "kill9-sqlite",        # name, unique per run
     "fault": "SIGKILL of liturgia serve",  # what was done
     "duration_s": 41.2,                  # seconds the fault lasted (> 0)
     "load": "16 clients, 48 writes a burst",  # the load during the fault (text or a number)
     "availability": 0.993,               # share 0..1 of requests answered correctly meanwhile
     "time_to_recover_s": 0.45,           # seconds from removing the fault to correct answers;
                                          #   null when the service never stopped answering
     "acknowledged": 42805,               # entries acknowledged (201) during the experiment
     "lost": 0}                           # of those, not read back with a verifying proof

Other keys are kept out of the report but do not make a file invalid (a newer experiment may
record more). :func:`read_results` reads such a folder, :func:`render_markdown` and
:func:`render_json` write the report (``docs/chaos/report.md`` and its JSON twin). The same
results give the same bytes: rows sorted by experiment, then file name; no clock is read.

Overall figures: **uptime** is the availability of every experiment weighted by its duration
(the share of fault time the service answered correctly); **MTTR** is the mean of the measured
times to recover (experiments where the service never stopped answering have none). They are
set beside the seed plan's targets, uptime > 99 % and MTTR 45 s, and every lost acknowledged
entry is named: the target there is none.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liturgia._internal.files import read_bytes
from liturgia.errors import InputError

__all__ = [
    "SEED_MTTR_S",
    "SEED_UPTIME",
    "ChaosReport",
    "ExperimentResult",
    "read_result",
    "read_results",
    "render_json",
    "render_markdown",
    "summarise",
]

#: The seed plan's uptime target: more than 99 % of requests answered during faults.
SEED_UPTIME = 0.99
#: The seed plan's mean time to recover, in seconds.
SEED_MTTR_S = 45.0
_FIELDS = (
    "experiment",
    "fault",
    "duration_s",
    "load",
    "availability",
    "time_to_recover_s",
    "acknowledged",
    "lost",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExperimentResult:
    """One chaos experiment's figures, as its JSON result file gave them.

    Attributes:
        source: the result file's name (no folder: the report names no build-machine path).
        experiment: the experiment's name.
        fault: the fault injected.
        duration_s: seconds the fault lasted (> 0).
        load: the load during the fault, as recorded (text, or a number shown as is).
        availability: share of requests answered correctly during the fault, 0..1.
        time_to_recover_s: seconds to recover after the fault was removed; ``None`` when the
            service never stopped answering.
        acknowledged: entries acknowledged during the experiment.
        lost: acknowledged entries not found afterwards (0 <= lost <= acknowledged).
    """

    source: str
    experiment: str
    fault: str
    duration_s: float
    load: str
    availability: float
    time_to_recover_s: float | None
    acknowledged: int
    lost: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ChaosReport:
    """A run's experiments (sorted by experiment, then file) and its overall figures.

    Attributes:
        experiments: one row per result file.
        uptime: availability weighted by duration, 0..1.
        mttr_s: mean of the measured times to recover; ``None`` when none was measured.
        lost: acknowledged entries lost, summed.
        acknowledged: acknowledged entries, summed.
    """

    experiments: tuple[ExperimentResult, ...]
    uptime: float
    mttr_s: float | None
    lost: int
    acknowledged: int

    @property
    def meets_seed(self) -> bool:
        """Uptime over the seed's 99 %, MTTR within its 45 s (when measured), nothing lost."""
        mttr_ok = self.mttr_s is None or self.mttr_s <= SEED_MTTR_S
        return self.uptime > SEED_UPTIME and mttr_ok and self.lost == 0


def _field_error(path: Path, name: str, why: str) -> InputError:
    return InputError(
        f"{path}: field '{name}' {why}; a chaos result needs {', '.join(_FIELDS)} "
        "(see liturgia.release.chaos)"
    )


def _number(document: dict[str, Any], name: str, path: Path) -> float:
    value = document[name]
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _field_error(path, name, f"is {json.dumps(value)[:40]}, not a finite number")
    if value < 0:
        raise _field_error(path, name, f"is {value}, which is negative")
    return float(value)


def _count(document: dict[str, Any], name: str, path: Path) -> int:
    value = document[name]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _field_error(path, name, f"is {json.dumps(value)[:40]}, not a count (0 or more)")
    return value


def _text(document: dict[str, Any], name: str, path: Path) -> str:
    value = document[name]
    if not isinstance(value, str) or not value.strip():
        raise _field_error(path, name, f"is {json.dumps(value)[:40]}, not a non-empty text")
    return " ".join(value.split())


def read_result(path: Path) -> ExperimentResult:
    """Read one experiment's JSON result file (the shape in this module's docstring).

    Raises:
        InputError: the file cannot be read, is not JSON, is not an object, lacks a field, or
            a field has the wrong type or an impossible value (availability outside 0..1, a
            zero duration, more lost than acknowledged); the message names the file and field.
    """
    data = read_bytes(path, what="chaos result")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, RecursionError, ValueError) as exc:
        raise InputError(f"{path}: not a JSON chaos result: {exc}") from exc
    if not isinstance(document, dict):
        raise InputError(f"{path}: a chaos result is a JSON object, not {type(document).__name__}")
    missing = [name for name in _FIELDS if name not in document]
    if missing:
        raise _field_error(path, missing[0], "is missing")
    duration = _number(document, "duration_s", path)
    if duration == 0:
        raise _field_error(path, "duration_s", "is 0; a fault lasts some time")
    availability = _number(document, "availability", path)
    if availability > 1:
        raise _field_error(path, "availability", f"is {availability}, not a share 0..1")
    recover = (
        None
        if document["time_to_recover_s"] is None
        else _number(document, "time_to_recover_s", path)
    )
    load = document["load"]
    if isinstance(load, int | float) and not isinstance(load, bool):
        load = str(load)
    acknowledged = _count(document, "acknowledged", path)
    lost = _count(document, "lost", path)
    if lost > acknowledged:
        raise _field_error(path, "lost", f"is {lost}, more than the {acknowledged} acknowledged")
    return ExperimentResult(
        source=path.name,
        experiment=_text(document, "experiment", path),
        fault=_text(document, "fault", path),
        duration_s=duration,
        load=_text({"load": load}, "load", path),
        availability=availability,
        time_to_recover_s=recover,
        acknowledged=acknowledged,
        lost=lost,
    )


def summarise(results: Sequence[ExperimentResult]) -> ChaosReport:
    """The overall figures of ``results`` (at least one), rows sorted by experiment and file."""
    rows = tuple(sorted(results, key=lambda row: (row.experiment, row.source)))
    total = sum(row.duration_s for row in rows)
    recovered = [row.time_to_recover_s for row in rows if row.time_to_recover_s is not None]
    return ChaosReport(
        experiments=rows,
        uptime=sum(row.availability * row.duration_s for row in rows) / total,
        mttr_s=sum(recovered) / len(recovered) if recovered else None,
        lost=sum(row.lost for row in rows),
        acknowledged=sum(row.acknowledged for row in rows),
    )


def read_results(folder: Path) -> ChaosReport:
    """Read every ``*.json`` result in ``folder`` (not below it) and summarise them.

    Raises:
        InputError: ``folder`` is not a folder, holds no ``*.json`` file, or one is malformed
            (the first, in name order, is named).
    """
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder of chaos results (set LITURGIA_CHAOS_OUT)")
    paths = sorted(path for path in folder.glob("*.json") if path.is_file())
    if not paths:
        raise InputError(f"{folder}: no chaos result (*.json) in it; run tests/chaos first")
    return summarise([read_result(path) for path in paths])


def _percent(share: float) -> str:
    return f"{100 * share:.2f} %"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _cell(text: str) -> str:
    """Markdown table cell text: pipes escaped, so a fault's text cannot break the table."""
    return text.replace("\\", "\\\\").replace("|", "\\|")


def render_markdown(report: ChaosReport) -> str:
    """``docs/chaos/report.md``: a table per experiment, then ours beside the seed's figures."""
    uptime_ok = report.uptime > SEED_UPTIME
    mttr_ok = report.mttr_s is None or report.mttr_s <= SEED_MTTR_S
    lines = [
        "# Chaos report",
        "",
        "Made by `liturgia chaos report` from the experiments' results (tests/chaos); "
        "availability is the share of requests answered correctly during the fault, time to "
        "recover runs from removing the fault to the first correct answer (— when the service "
        "never stopped answering), lost counts acknowledged entries not read back with a "
        "verifying proof.",
        "",
        "| experiment | fault | duration (s) | load | availability | time to recover (s) "
        "| acknowledged | lost |",
        "|---|---|---:|---|---:|---:|---:|---:|",
    ]
    for row in report.experiments:
        lines.append(
            f"| {_cell(row.experiment)} | {_cell(row.fault)} | {row.duration_s:.1f} | "
            f"{_cell(row.load)} | {_percent(row.availability)} | "
            f"{_seconds(row.time_to_recover_s)} | {row.acknowledged} | {row.lost} |"
        )
    mttr = "not measured" if report.mttr_s is None else f"{report.mttr_s:.2f} s"
    lines += [
        "",
        "## Overall",
        "",
        "| figure | ours | seed's target | met |",
        "|---|---:|---:|---|",
        f"| uptime (availability weighted by duration) | {_percent(report.uptime)} | > 99 % "
        f"| {'yes' if uptime_ok else 'no'} |",
        f"| MTTR (mean time to recover) | {mttr} | 45 s | {'yes' if mttr_ok else 'no'} |",
        f"| acknowledged entries lost | {report.lost} of {report.acknowledged} | 0 "
        f"| {'yes' if report.lost == 0 else 'no'} |",
        "",
        "Uptime here is counted over the fault windows only, the worst moments by design (a "
        "kill -9 experiment kills the server again and again): it is a lower bound of the "
        "uptime of a service that meets such faults now and then.",
        "",
    ]
    return "\n".join(lines)


def render_json(report: ChaosReport) -> str:
    """The report's JSON twin (sorted keys, two-space indent, a final newline).

    Shape: ``{"experiments": [ROW, ...], "overall": {"uptime", "mttr_s", "lost",
    "acknowledged", "meets_seed"}, "seed": {"uptime_above", "mttr_s"}}`` where ROW has the
    result file's fields plus ``"source"`` (its file name); shares are 0..1, times seconds.
    """
    document = {
        "experiments": [
            {
                "source": row.source,
                "experiment": row.experiment,
                "fault": row.fault,
                "duration_s": row.duration_s,
                "load": row.load,
                "availability": row.availability,
                "time_to_recover_s": row.time_to_recover_s,
                "acknowledged": row.acknowledged,
                "lost": row.lost,
            }
            for row in report.experiments
        ],
        "overall": {
            "uptime": report.uptime,
            "mttr_s": report.mttr_s,
            "lost": report.lost,
            "acknowledged": report.acknowledged,
            "meets_seed": report.meets_seed,
        },
        "seed": {"uptime_above": SEED_UPTIME, "mttr_s": SEED_MTTR_S},
    }
    return json.dumps(document, indent=2, sort_keys=True, allow_nan=False) + "\n"
