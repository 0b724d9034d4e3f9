"""``liturgia gate``, ``check``, ``playbook`` and ``approve``: the golden rule on its own.

``gate`` runs the policy's checks alone on a release folder's evidence (default: the newest
``dist/<name>-<version>``) and writes gate-report.md, .json and .html into ``--out``; exit 0 GO,
1 NO-GO. ``check`` validates the configuration and the policy without running anything: exit 0,
or 2 naming each problem. ``playbook`` writes docs/release-playbook.md from the policy.
``approve VERSION --role ROLE`` signs the approver's in-toto approval with their own key.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from liturgia.cli._common import (
    OutputFormat,
    add_command,
    add_format_option,
    add_signing_key_option,
    env_option,
    print_path,
    stderr_console,
)
from liturgia.cli.verify import add_trust_options, trusted_keys
from liturgia.errors import ConfigError

if TYPE_CHECKING:
    from liturgia.config import LoadedConfig
    from liturgia.publish.withdraw import TargetWithdrawal

__all__ = [
    "register",
    "run_approve",
    "run_check",
    "run_deploy",
    "run_gate",
    "run_playbook",
    "run_rollback",
]


def _project_option(parser: argparse.ArgumentParser) -> None:
    env_option(
        parser,
        "--project",
        "LITURGIA_PROJECT",
        "project folder (default: .)",
        type=Path,
        default=Path(),
    )


def register(subparsers: Any) -> None:
    """Add the ``gate``, ``check`` and ``playbook`` commands."""
    gate = add_command(
        subparsers,
        "gate",
        run_gate,
        "run the golden rule's checks alone on a release folder's evidence",
        description="Run the policy's checks ([[gates.checks]], else the built-in ones) on "
        "an existing release folder without building, testing or signing; the folder is not "
        "changed. Exit 0 GO, 1 NO-GO, 2 bad configuration or folder.",
    )
    _project_option(gate)
    env_option(
        gate,
        "--release",
        "LITURGIA_RELEASE",
        "the release folder (default: the newest <project>/dist/<name>-<version>)",
        type=Path,
        default=None,
        metavar="DIR",
    )
    env_option(
        gate,
        "--out",
        "LITURGIA_GATE_OUT",
        "where gate-report.{md,json,html} and the fresh scan go (default: DIR.gate)",
        type=Path,
        default=None,
        metavar="DIR",
    )
    add_format_option(gate)
    check = add_command(
        subparsers,
        "check",
        run_check,
        "validate the configuration and the release policy without running anything",
        description="Validate liturgia.toml and its [[gates.checks]] policy: every kind and "
        "setting, waiver, command's program, SBOM path, the advisory database and the signing "
        "key reference. Exit 0, or 2 naming each problem.",
    )
    _project_option(check)
    playbook = add_command(
        subparsers,
        "playbook",
        run_playbook,
        "write the release playbook (docs/release-playbook.md) from the policy",
        description="Write the project's release playbook from its policy: every check, the "
        "evidence it reads, the waivers in force, how to roll back.",
    )
    approve = add_command(
        subparsers,
        "approve",
        run_approve,
        "sign your approval of VERSION for ROLE (an in-toto statement) with your own key",
        description="Sign an in-toto Statement that ROLE approves this project's VERSION, "
        "with the approver's key (--key), into approvals/VERSION/ROLE-KEYID.intoto.json. The "
        "gate's approvals check accepts it when the policy lists that key for ROLE.",
    )
    approve.add_argument("version", metavar="VERSION")
    approve.add_argument("--role", required=True, metavar="ROLE", help="the role approving")
    approve.add_argument("--name", default="", metavar="TEXT", help="who approves (shown)")
    add_signing_key_option(approve)
    _project_option(approve)
    deploy = add_command(
        subparsers,
        "deploy",
        run_deploy,
        "run a deployment stage's command and keep its exit status and output as evidence",
        description="When STAGE is a [publish.STAGE] target: publish the release folder "
        "dist/NAME-VERSION there (verified first under --key, each file once, read back), "
        "run the target's smoke commands, and record the outcome in the publish record and in "
        "the report of the policy's deploy check for STAGE; a target with after = OTHER is "
        "refused (exit 1) unless OTHER was deployed and smoke-tested with the same digests. "
        "Otherwise: run the command of the policy's deploy check for STAGE (staging, smoke, "
        "production...) and write its report (exit status, output, version) where the check "
        "reads it. Exit 0 when the stage passed, else 1. --format json prints on stdout, for a "
        "target: {stage, version, passed, published (as liturgia publish --format json), "
        "smoke: [{command, exit_status, output}], report}; for a command: {stage, version, "
        "command, exit_status, output, report}; bars and lines stay on stderr.",
    )
    deploy.add_argument("stage", metavar="STAGE")
    deploy.add_argument("--version", required=True, metavar="VERSION", help="the release")
    _project_option(deploy)
    add_trust_options(deploy)
    add_format_option(deploy)
    rollback = add_command(
        subparsers,
        "rollback",
        run_rollback,
        "mark a release rolled back and withdraw it from every registry it was published to",
        description="Record beside dist/<name>-VERSION that the release is rolled back, why "
        "and when, then withdraw it from every target its publish record "
        "(dist/<name>-VERSION.publish.json) names, through that [publish.NAME] table: OCI: "
        "the version's tag is deleted (blobs and referrers kept); npm: the version is "
        "deprecated with 'rolled back: REASON' (never unpublished); PyPI-compatible index: "
        "its upload API has no yank, so the outcome is 'manual' (yank it in the index's web "
        "interface) until the index shows it yanked (PEP 592). Each target's outcome is "
        "recorded in dist/<name>-VERSION.rolled-back.json as soon as it is known; the release "
        "folder and its log entries are kept. Exit 0 when the release is withdrawn from every "
        "target (or it was never published); else the rollback is recorded but incomplete, "
        "each target not done is named with what to do, and the exit code is the highest "
        "among them: 1 a target that cannot withdraw it itself (a person must: PyPI, an OCI "
        "registry with deletion off) or holds another file, 2 a target's configuration or "
        "credentials, 3 a registry unreachable. Run the same command again to retry the "
        "targets not done (the first reason is kept). With a cockpit server (--server or "
        "[server].url, the token in LITURGIA_TOKEN) the release is also marked rolled back "
        "there (its record is kept), recorded as the target 'cockpit server'. Says which "
        "earlier release to deploy again.",
    )
    rollback.add_argument("version", metavar="VERSION")
    rollback.add_argument("--reason", required=True, metavar="TEXT", help="why")
    env_option(
        rollback,
        "--server",
        "LITURGIA_SERVER",
        "also mark the release rolled back on this cockpit server (liturgia serve), with the "
        "token in LITURGIA_TOKEN; default: [server].url",
        default=None,
        metavar="URL",
    )
    add_format_option(rollback)
    _project_option(rollback)
    _project_option(playbook)
    playbook.add_argument(
        "-o",
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="where to write it (default: <project>/docs/release-playbook.md)",
    )


def run_gate(args: argparse.Namespace) -> int:
    """Run ``gate``: 0 GO, 1 NO-GO (the reports are written either way)."""
    from liturgia._internal.files import atomic_write_bytes, atomic_write_text  # noqa: PLC0415
    from liturgia.config import load_config  # noqa: PLC0415
    from liturgia.release.gates import (  # noqa: PLC0415
        evaluate_gates,
        gate_report_json,
        render_gate_html,
        render_gate_markdown,
    )
    from liturgia.release.gates._folder import context_from_release, latest_release  # noqa: PLC0415

    config = load_config(args.project)
    release = args.release or latest_release(config, config.project_dir / "dist")
    out: Path = args.out or release.with_name(release.name + ".gate")
    out.mkdir(parents=True, exist_ok=True)
    report = evaluate_gates(context_from_release(config, release.resolve(), out))
    atomic_write_text(out / "gate-report.md", render_gate_markdown(report))
    atomic_write_bytes(out / "gate-report.json", gate_report_json(report))
    atomic_write_text(out / "gate-report.html", render_gate_html(report))
    if args.format == OutputFormat.JSON:
        sys.stdout.write(gate_report_json(report).decode())
    else:
        console = stderr_console()
        for check in report.checks:
            severity = "" if check.blocking else " (advisory)"
            line = f"{check.outcome.label:>6} {check.name}{severity}: {check.summary}"
            console.print(line, markup=False)
        console.print(f"{report.decision}: {out / 'gate-report.html'}", markup=False)
        print_path(out / "gate-report.json")
    return 0 if report.go else 1


def run_check(args: argparse.Namespace) -> int:
    """Run ``check``: 0 when valid, else raise naming every problem (exit 2)."""
    from liturgia._internal.clock import now  # noqa: PLC0415
    from liturgia.config import load_config  # noqa: PLC0415
    from liturgia.release.gates._preflight import check_configuration  # noqa: PLC0415

    config = load_config(args.project)
    policy, problems = check_configuration(config, now().date())
    if problems:
        for problem in problems[:-1]:
            sys.stderr.write(f"liturgia: error: {problem}\n")
        raise ConfigError(problems[-1] + f" ({len(problems)} problems)" * (len(problems) > 1))
    names = ", ".join(entry.check.name for entry in policy)
    sys.stderr.write(f"{config.path}: valid; {len(policy)} checks: {names}\n")
    return 0


def run_playbook(args: argparse.Namespace) -> int:
    """Run ``playbook``: write the playbook; 0 once written."""
    from liturgia._internal.files import atomic_write_text  # noqa: PLC0415
    from liturgia.config import load_config  # noqa: PLC0415
    from liturgia.release.gates._playbook import render_playbook  # noqa: PLC0415
    from liturgia.release.gates._policy import load_policy  # noqa: PLC0415

    config = load_config(args.project)
    target: Path = args.output or config.project_dir / "docs" / "release-playbook.md"
    text = render_playbook(config, load_policy(config))
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, text)
    print_path(target)
    return 0


def run_approve(args: argparse.Namespace) -> int:
    """Run ``approve``: 0 once the signed approval is written."""
    from liturgia import sign  # noqa: PLC0415
    from liturgia.cli.keys import password_for_key  # noqa: PLC0415
    from liturgia.config import load_config  # noqa: PLC0415
    from liturgia.release.approvals import approve  # noqa: PLC0415
    from liturgia.release.version import Version  # noqa: PLC0415

    config = load_config(args.project)
    version = Version.parse(args.version)
    signer = sign.open_signer(args.key, password=password_for_key).signer
    target = approve(
        project=config.settings.project.name,
        version=str(version),
        role=args.role,
        approver=args.name,
        signer=signer,
        folder=config.project_dir / "approvals",
    )
    stderr_console().print(
        f"{args.role} approves {config.settings.project.name} {version} (key "
        f"{signer.public_key.key_id[:16]})",
        markup=False,
    )
    print_path(target)
    return 0


def run_deploy(args: argparse.Namespace) -> int:
    """Run ``deploy``: 0 when the stage's command exited 0, 1 when it did not."""
    import json  # noqa: PLC0415

    from liturgia.config import load_config  # noqa: PLC0415
    from liturgia.release.gates.operations import run_deploy as deploy  # noqa: PLC0415
    from liturgia.release.version import Version  # noqa: PLC0415

    config = load_config(args.project)
    if args.stage in config.settings.publish:
        return _deploy_published(args, config)
    version = Version.parse(args.version)
    report, result = deploy(config, args.stage, version)
    if args.format == OutputFormat.JSON:
        document = {
            "command": result.command,
            "exit_status": result.returncode,
            "output": result.output[-20_000:],
            "report": str(report),
            "stage": args.stage,
            "version": str(version),
        }
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
        return 0 if result.returncode == 0 else 1
    stderr_console().print(
        f"{args.stage}: {result.command!r} exited {result.returncode}", markup=False
    )
    print_path(report)
    return 0 if result.returncode == 0 else 1


def _deploy_published(args: argparse.Namespace, config: LoadedConfig) -> int:
    """``deploy`` of a ``[publish.STAGE]`` target: publish, smoke-test, record."""
    import json  # noqa: PLC0415

    from liturgia.cli.publish import publish_progress  # noqa: PLC0415
    from liturgia.publish.deploy import deploy_stage  # noqa: PLC0415
    from liturgia.release.version import Version  # noqa: PLC0415

    version = str(Version.parse(args.version))
    folder = config.project_dir / "dist" / f"{config.settings.project.name}-{version}"
    _key, public_key, log_keys = trusted_keys(args, folder)
    with publish_progress(args.format) as progress:
        done = deploy_stage(
            config,
            args.stage,
            version,
            public_key=public_key,
            log_keys=log_keys,
            progress=progress,
        )
    console = stderr_console()
    for run in done.smoke:
        mark = "✓" if run.exit_status == 0 else "✗"
        console.print(f"{mark} smoke: {run.command} exited {run.exit_status}", markup=False)
        if run.exit_status != 0:
            console.print(run.output[-2000:], markup=False)
    verdict = "passed" if done.passed else "FAILED"
    console.print(
        f"{args.stage}: {done.published.release} published and read back; smoke tests "
        f"{verdict} ({len(done.smoke)} run); record {done.published.record}",
        markup=False,
    )
    if args.format == OutputFormat.JSON:
        document = done.to_json(args.stage, version)
        sys.stdout.write(json.dumps(document, indent=2, sort_keys=True) + "\n")
    elif done.report is not None:
        print_path(done.report)
    return 0 if done.passed else 1


#: The rollback record's name for the cockpit server (not a [publish.NAME] target).
COCKPIT_TARGET = "cockpit server"


def _rollback_server(args: argparse.Namespace, config: LoadedConfig) -> tuple[str, str] | None:
    """The cockpit server to mark the rollback on and its token, or ``None``.

    Raises:
        ConfigError: a server is named but ``LITURGIA_TOKEN`` is not set, or its URL is bad.
    """
    import os  # noqa: PLC0415

    from liturgia._internal.http import check_base_url  # noqa: PLC0415

    url = args.server or config.settings.server.url
    if not url:
        return None
    check_base_url(url, what="cockpit server")
    token = os.environ.get("LITURGIA_TOKEN", "").strip()
    if not token:
        raise ConfigError(
            f"cockpit server {url}: LITURGIA_TOKEN is not set (create one with "
            f"`liturgia serve token create {config.settings.project.name}` on the server)"
        )
    return url, token


def _mark_on_server(server: tuple[str, str], document: dict[str, Any]) -> TargetWithdrawal:
    """Mark the rollback on the cockpit server; the outcome as a rollback target's."""
    from liturgia.errors import LiturgiaError  # noqa: PLC0415
    from liturgia.publish.withdraw import TargetWithdrawal  # noqa: PLC0415
    from liturgia.release.cockpit import send_rollback  # noqa: PLC0415
    from liturgia.release.record import RollbackMark  # noqa: PLC0415

    url, token = server

    def outcome(state: str, detail: str, exit_code: int) -> TargetWithdrawal:
        return TargetWithdrawal(
            target=COCKPIT_TARGET,
            kind="cockpit",
            location=url,
            state=state,
            action="mark",
            detail=detail,
            exit_code=exit_code,
        )

    try:
        mark = RollbackMark(
            project=str(document["project"]),
            version=str(document["version"]),
            rolled_back_at=str(document["rolled_back_at"]),
            reason=str(document["reason"])[:2000],
            previous=document.get("previous"),
        )
        stored = send_rollback(url, token, mark)
    except LiturgiaError as exc:
        return outcome("failed", str(exc), exc.exit_code)
    except ValueError as exc:  # a record edited by hand: the server's schema refuses it
        return outcome("failed", f"the rollback record does not fit the server: {exc}", 2)
    said = "marked rolled back" if stored else "already marked rolled back"
    return outcome("marked", f"{said}; its record is kept", 0)


def run_rollback(args: argparse.Namespace) -> int:
    """Run ``rollback``: 0 once recorded and withdrawn everywhere; else the highest exit code
    of the targets not done (1 manual or refused, 2 configuration, 3 unreachable)."""
    import json  # noqa: PLC0415

    from liturgia.config import load_config  # noqa: PLC0415
    from liturgia.publish.withdraw import published_targets, withdraw_release  # noqa: PLC0415
    from liturgia.release.rollback import mark_rolled_back  # noqa: PLC0415
    from liturgia.release.version import Version  # noqa: PLC0415

    config = load_config(args.project)
    version = Version.parse(args.version)
    name = config.settings.project.name
    dist = config.project_dir / "dist"
    folder = dist / f"{name}-{version}"
    server = _rollback_server(args, config)
    targets = sorted(published_targets(folder)) if folder.is_dir() else []
    if server is not None:
        targets.append(COCKPIT_TARGET)
    done = mark_rolled_back(config, dist, version, args.reason, targets=targets)
    console = stderr_console()
    human = args.format != OutputFormat.JSON
    if done.resumed and human:
        console.print(
            f"{name} {version}: completing the rollback recorded in {done.record.name} "
            f"(reason kept: {done.document.get('reason')!r})",
            markup=False,
        )

    def record(outcome: TargetWithdrawal) -> None:
        done.record_target(outcome.target, outcome.to_json())
        if human:
            mark = "✓" if outcome.done else "✗"
            console.print(
                f"{mark} {outcome.target} ({outcome.kind}, {outcome.location}): "
                f"{outcome.action} {outcome.state}: {outcome.detail}",
                markup=False,
            )

    registries = tuple(target for target in done.pending if target != COCKPIT_TARGET)
    withdraw_release(config, folder, registries, reason=str(done.document["reason"]), record=record)
    if server is not None and COCKPIT_TARGET in done.pending:
        record(_mark_on_server(server, done.document))
    entries: dict[str, Any] = done.document["targets"]
    codes = [int(entry.get("exit_code", 1)) for entry in entries.values() if not entry["done"]]
    if args.format == OutputFormat.JSON:
        sys.stdout.write(
            json.dumps({**done.document, "record": str(done.record)}, indent=2, sort_keys=True)
            + "\n"
        )
        return max(codes, default=0)
    nxt = (
        f"deploy {name} {done.previous} again (dist/{name}-{done.previous}), or release a fix"
        if done.previous
        else "no earlier release is in dist/: release a fix"
    )
    if done.complete:
        where = f"withdrawn from {len(entries)} targets" if entries else "it was never published"
        console.print(
            f"{name} {version} marked rolled back ({where}); no file and no log entry was "
            f"deleted. Next: {nxt}; record it with `liturgia deploy STAGE --version VERSION`.",
            markup=False,
        )
    else:
        console.print(
            f"{name} {version} marked rolled back, but NOT withdrawn from "
            f"{', '.join(done.pending)} (see above); run `liturgia rollback {version} --reason "
            f"...` again once done there. Next: {nxt}.",
            markup=False,
        )
    print_path(done.record)
    return max(codes, default=0)
