"""Gate family "operations": metrics published and deployment evidence, as report files.

``metrics``: the metrics file (``file``) exists and is not empty (what a dashboard or the
release record reads). ``deploy``: one deployment stage's report (``stage``: staging, smoke,
performance, rollback-test, production, post-deploy...; ``report``: a JSON object
``{"stage": str, "exit_status": int, "version": str, "output": str}``, as the stage's command
left it, or ``liturgia deploy STAGE`` running the check's ``command``): the stage exited 0
and, when the report names a version, it is this release's. The exit status and the first lines
of the output are kept as evidence.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from liturgia._internal.files import atomic_write_text
from liturgia.config import LoadedConfig, PolicyCheck
from liturgia.errors import ConfigError
from liturgia.release.build import CommandResult, run_command
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, unusable
from liturgia.release.gates._policy import KindOptions, load_policy, parse_options, register_kind
from liturgia.release.gates._registry import Check
from liturgia.release.gates._xml import ReportError, load_bytes
from liturgia.release.version import Version

__all__ = ["DeployCheck", "MetricsCheck", "run_deploy"]

#: Output lines of a deployment report kept as evidence, at most.
_OUTPUT_LINES = 10


@dataclass(frozen=True, slots=True)
class MetricsCheck:
    """Metrics published: the metrics file exists and is not empty."""

    name: str = "metrics"
    file: str = "metrics.json"
    reads: tuple[str, ...] = ("metrics.json",)
    rank: int = 160

    def evaluate(self, context: GateContext) -> CheckResult:
        """Look for the metrics file."""
        threshold = f"{self.file} exists and is not empty"
        try:
            data, file = load_bytes(context.config.resolve(self.file), "metrics file")
        except ReportError as exc:
            return unusable(
                self.name,
                summary=f"no metrics at {self.file}",
                reason=exc,
                figure="no metrics",
                threshold=threshold,
            )
        return CheckResult(
            name=self.name,
            passed=bool(data.strip()),
            summary=f"{self.file}: {len(data)} bytes" if data.strip() else f"{self.file} is empty",
            evidence=(f"{self.file}: {len(data)} bytes",),
            files=(file,),
            figure=f"{len(data)} bytes",
            threshold=threshold,
        )


def _report_document(data: bytes, name: str) -> dict[str, object]:
    """A deployment report's JSON object with an integer ``exit_status`` (internal).

    Raises:
        ReportError: not JSON, not an object, or no integer exit_status.
    """
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ReportError(f"{name}: not a JSON deployment report: {exc}") from exc
    status = document.get("exit_status") if isinstance(document, dict) else None
    if isinstance(status, bool) or not isinstance(status, int):
        raise ReportError(
            f"{name}: a deployment report is a JSON object with an integer exit_status"
        )
    checked: dict[str, object] = document
    return checked


@dataclass(frozen=True, slots=True)
class DeployCheck:
    """Deployment evidence: one stage's report says it exited 0 for this version."""

    name: str = "deploy"
    stage: str = "staging"
    report: str = ""
    reads: tuple[str, ...] = ()
    rank: int = 170
    command: str | None = None

    def evaluate(self, context: GateContext) -> CheckResult:
        """Read the stage's report: exit status, version, output."""
        version = str(context.version)
        threshold = f"{self.stage} exited 0 for {version}"
        try:
            data, file = load_bytes(context.config.resolve(self.report), f"{self.stage} report")
            document = _report_document(data, self.report)
        except ReportError as exc:
            return unusable(
                self.name,
                summary=f"no usable {self.stage} report at {self.report}",
                reason=exc,
                figure="no deployment evidence",
                threshold=threshold,
            )
        status = document["exit_status"]
        named = document.get("version")
        problems = []
        if status != 0:
            problems.append(f"{self.stage} exited {status}")
        if named is not None and str(named) != version:
            problems.append(f"{self.report} is about {named}, not {version}")
        output = str(document.get("output", "")).splitlines()[:_OUTPUT_LINES]
        return CheckResult(
            name=self.name,
            passed=not problems,
            summary="; ".join(problems) or f"{self.stage} exited 0 for {named or version}",
            evidence=(
                f"{self.report}: exit status {status}",
                *(f"output: {line}" for line in output),
            ),
            files=(file,),
            figure=f"exit status {status}",
            threshold=threshold,
        )


def run_deploy(config: LoadedConfig, stage: str, version: Version) -> tuple[Path, CommandResult]:
    """Run the ``command`` of the policy's deploy check for ``stage`` and write its report.

    The report (``{"command", "exit_status", "output", "stage", "version"}``, sorted keys) goes
    to the check's ``report`` path, atomically, whatever the exit status: the gate judges it.

    Raises:
        ConfigError: no deploy check of the policy has that stage, or it names no command, or
            the command's program is missing.
    """
    deploys = [e.check for e in load_policy(config) if isinstance(e.check, DeployCheck)]
    checks = [check for check in deploys if check.stage == stage]
    stages = sorted(check.stage for check in deploys)
    if not checks:
        raise ConfigError(
            f"{config.path}: gates.checks: no deploy check has stage {stage!r} "
            f"(stages: {', '.join(stages) or 'none'})"
        )
    check = checks[0]
    if check.command is None:
        raise ConfigError(
            f"{config.path}: gates.checks: the {stage!r} deploy check names no command; its "
            f"report {check.report} is written by whatever deploys"
        )
    result = run_command(
        check.command,
        cwd=config.project_dir,
        version=str(version),
        check=False,
        where=f"gates.checks ({stage}).command",
    )
    document = {
        "command": result.command,
        "exit_status": result.returncode,
        "output": result.output[-20_000:],
        "stage": stage,
        "version": str(version),
    }
    target = config.resolve(check.report)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, json.dumps(document, indent=2, sort_keys=True) + "\n")
    return target, result


class _MetricsOptions(KindOptions):
    file: str | None = Field(default=None, min_length=1)


class _DeployOptions(KindOptions):
    stage: str = Field(min_length=1)
    report: str = Field(min_length=1)
    command: str | None = Field(default=None, min_length=1)


def _make_metrics(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _MetricsOptions)
    file = options.file or (entry.evidence[0] if entry.evidence else "metrics.json")
    return MetricsCheck(name=entry.row, file=file, reads=(file,))


def _make_deploy(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _DeployOptions)
    return DeployCheck(
        name=entry.row,
        stage=options.stage,
        report=options.report,
        command=options.command,
        reads=(options.report,),
    )


register_kind("metrics", _make_metrics)
register_kind("deploy", _make_deploy)
