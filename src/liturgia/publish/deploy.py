"""A deployment stage that is a publishing target: publish, smoke-test, record the evidence.

``liturgia deploy STAGE --version V`` with a ``[publish.STAGE]`` table runs, for the release
folder ``<project>/dist/<name>-<V>``:

1. **Order.** A target with ``after = "staging"`` is refused (:class:`PolicyError`, exit 1)
   unless the publish record says that ``staging`` is complete (every file read back) and its
   smoke tests passed, for files with the same SHA-256 as this release's ``SHA256SUMS`` (the
   record is tied to that file's digest: another folder of the same name is another release).
2. **Publish** with :func:`~liturgia.publish.publisher.publish_release` (verified first; each
   file once; read back).
3. **Smoke tests**: the target's ``smoke`` commands, in order, from the project folder, with
   ``{version}``, ``{url}``, ``{index_url}`` and ``{project}`` replaced; the first that fails
   stops the rest.
4. **Evidence**: the outcome goes into the publish record (``smoke``), and, when the gate's
   policy has a ``deploy`` check for this stage, into that check's report
   (``{"stage", "version", "exit_status", "output", "command", "target", "files"}``), which the
   check reads: exit status 0 only when the publication, the read-back and every smoke command
   succeeded.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liturgia import sign
from liturgia._internal.files import atomic_write_text, read_bytes
from liturgia.config import LoadedConfig
from liturgia.errors import InputError, PolicyError
from liturgia.publish.publisher import Progress, PublishResult, publish_release
from liturgia.publish.record import PublishRecord, record_path, sums_digest
from liturgia.publish.targets import configured_target
from liturgia.release.build import expand, run_command
from liturgia.release.checksums import parse_sha256sums
from liturgia.release.gates._policy import load_policy
from liturgia.release.gates.operations import DeployCheck

__all__ = ["Deployment", "SmokeRun", "deploy_stage"]

#: Output kept per smoke command, in characters (the end of it).
_OUTPUT_CHARS = 20_000


@dataclass(frozen=True, slots=True, kw_only=True)
class SmokeRun:
    """One smoke command and what it did.

    Attributes:
        command: the command line, placeholders replaced.
        exit_status: its exit status.
        output: the end of its combined output.
    """

    command: str
    exit_status: int
    output: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Deployment:
    """A deployed stage.

    Attributes:
        published: what the publication did.
        smoke: each smoke command run, in order (the first failure is the last).
        report: the gate's deploy report written, or ``None`` (no deploy check for the stage).
    """

    published: PublishResult
    smoke: tuple[SmokeRun, ...]
    report: Path | None

    @property
    def passed(self) -> bool:
        """Every smoke command exited 0."""
        return all(run.exit_status == 0 for run in self.smoke)

    def to_json(self, stage: str, version: str) -> dict[str, object]:
        """``{"stage", "version", "passed", "published": PublishResult.to_json(), "smoke":
        [{"command", "exit_status", "output"}], "report": path | null}`` (``liturgia deploy
        --format json``)."""
        return {
            "passed": self.passed,
            "published": self.published.to_json(),
            "report": None if self.report is None else str(self.report),
            "smoke": [_run_json(run) for run in self.smoke],
            "stage": stage,
            "version": version,
        }


def _check_after(folder: Path, stage: str, after: str, config: LoadedConfig) -> None:
    """Refuse unless ``after`` is complete and smoke-tested for this release's digests."""
    record_file = record_path(folder)
    why = None
    sums = parse_sha256sums(read_bytes(folder / "SHA256SUMS").decode("utf-8", "replace"))
    if not record_file.is_file():
        why = f"no publish record ({record_file.name})"
    else:
        record = PublishRecord(record_file, release=folder.name, sha256sums=sums_digest(folder))
        entry = record.document["targets"].get(after)
        if entry is None:
            why = f"it was never deployed to {after}"
        elif not entry.get("complete"):
            why = f"its deployment to {after} is not complete"
        elif not (entry.get("smoke") or {}).get("passed"):
            why = f"its smoke tests on {after} did not pass"
        else:
            differ = sorted(
                name
                for name, file in entry.get("files", {}).items()
                if sums.get(name) != file.get("sha256")
            )
            if differ or not entry.get("files"):
                why = f"{after} holds other digests ({', '.join(differ) or 'no file'})"
    if why is not None:
        raise PolicyError(
            f"{config.path}: publish.{stage}.after = {after!r}: {folder.name} is not deployed "
            f"to {stage}: {why}; run `liturgia deploy {after} --version ...` first"
        )


def _smoke(
    config: LoadedConfig, stage: str, commands: Sequence[str], values: dict[str, str]
) -> tuple[SmokeRun, ...]:
    runs = []
    for number, template in enumerate(commands):
        where = f"publish.{stage}.smoke[{number}]"
        line = expand(template, values, where=where)
        result = run_command(
            line, cwd=config.project_dir, version=values["version"], check=False, where=where
        )
        runs.append(
            SmokeRun(
                command=line,
                exit_status=result.returncode,
                output=result.output[-_OUTPUT_CHARS:],
            )
        )
        if result.returncode != 0:
            break
    return tuple(runs)


def deploy_stage(
    config: LoadedConfig,
    stage: str,
    version: str,
    *,
    public_key: sign.PublicKey,
    log_keys: Sequence[sign.PublicKey] | None = None,
    progress: Progress | None = None,
) -> Deployment:
    """Publish the release ``version`` to the target ``stage``, smoke-test it, record it.

    Args:
        config: the project's configuration (``[publish.STAGE]``, the gate's policy).
        stage: a ``[publish.NAME]`` target.
        version: the release version (its folder is ``<project>/dist/<name>-<version>``).
        public_key: the publisher's key the release must verify under.
        log_keys: transparency logs every bundle must be in (``None``: not checked).
        progress: receives the publication's events.

    Returns:
        What was published and each smoke command's outcome (a failed smoke test is data, not
        an error: the report says so and the CLI exits 1).

    Raises:
        ConfigError: no such target; a smoke command cannot run or names an unknown
            placeholder.
        InputError: no release folder of that version.
        PolicyError: the target's ``after`` stage has not passed for these digests.
        As :func:`~liturgia.publish.publisher.publish_release`.
    """
    target = configured_target(config, stage)
    settings = config.settings.publish[stage]
    folder = config.project_dir / "dist" / f"{config.settings.project.name}-{version}"
    if not (folder / "SHA256SUMS").is_file():
        raise InputError(f"{folder}: no release of {config.settings.project.name} {version}")
    if settings.after is not None:
        _check_after(folder, stage, settings.after, config)
    published = publish_release(
        folder, target, public_key=public_key, log_keys=log_keys, progress=progress
    )
    values = {
        "version": version,
        "url": settings.url,
        "index_url": getattr(target, "index_url", settings.index_url or settings.url),
        "project": str(config.project_dir),
    }
    smoke = _smoke(config, stage, settings.smoke, values)
    passed = all(run.exit_status == 0 for run in smoke)
    record = PublishRecord(published.record, release=folder.name, sha256sums=sums_digest(folder))
    record.set_smoke(stage, {"passed": passed, "commands": [_run_json(r) for r in smoke]})
    report = _write_report(
        config, stage, version=version, published=published, smoke=smoke, passed=passed
    )
    return Deployment(published=published, smoke=smoke, report=report)


def _run_json(run: SmokeRun) -> dict[str, Any]:
    return {"command": run.command, "exit_status": run.exit_status, "output": run.output}


def _write_report(
    config: LoadedConfig,
    stage: str,
    *,
    version: str,
    published: PublishResult,
    smoke: tuple[SmokeRun, ...],
    passed: bool,
) -> Path | None:
    """Write the deploy check's report for ``stage`` when the policy has one."""
    checks = [
        entry.check
        for entry in load_policy(config)
        if isinstance(entry.check, DeployCheck) and entry.check.stage == stage
    ]
    if not checks:
        return None
    failed = next((run for run in smoke if run.exit_status != 0), None)
    lines = [
        f"published {published.release} to {stage} ({published.location}): "
        f"{len(published.files)} files read back, SHA-256 matching",
        *(f"$ {run.command} -> exit {run.exit_status}\n{run.output}" for run in smoke),
    ]
    document = {
        "command": "; ".join(run.command for run in smoke),
        "exit_status": 0 if passed else (failed.exit_status if failed else 1),
        "files": {f.name: f.sha256 for f in published.files},
        "output": "\n".join(lines)[-_OUTPUT_CHARS:],
        "stage": stage,
        "target": published.location,
        "version": version,
    }
    target = config.resolve(checks[0].report)
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, json.dumps(document, indent=2, sort_keys=True) + "\n")
    return target
