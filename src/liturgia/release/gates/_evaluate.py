"""Running the gate: every registered check over one release's evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from liturgia.release.gates._context import GateContext
from liturgia.release.gates._evidence import ship_evidence
from liturgia.release.gates._model import CheckResult, GateReport
from liturgia.release.gates._policy import apply_waivers, load_policy
from liturgia.release.shipped import portable_text

__all__ = ["evaluate_gates"]


def evaluate_gates(context: GateContext, *, ship: bool = False) -> GateReport:
    """Evaluate the golden rule: every registered check, each with its evidence.

    Checks (by rank): tests passed (JUnit XML, and every test command exited 0), coverage at or
    above the threshold (Cobertura XML), no unsuppressed finding at or above ``gates.fail_on``,
    the SBOM present and valid CycloneDX 1.6, every input the SBOM stage found read (unless
    waived in ``[[gates.waivers]]``), every artifact signed with a verifying bundle, CHANGELOG
    has the version. A check the configuration switched off is a not-applicable row naming the
    setting.

    With ``[[gates.checks]]`` the policy's checks run instead, in its order, each blocking or
    advisory as set; whole-check waivers are then applied (an expired one fails its check).

    Args:
        context: the release's evidence.
        ship: copy every file a check read from outside ``context.release`` into its
            ``evidence/`` folder (a release does; ``liturgia gate`` on a finished folder does
            not), naming each by its copy (see :func:`~._evidence.ship_evidence`).

    Returns:
        The report; its texts name no folder of the build machine (``context.labels``).

    Raises:
        ConfigError: the policy is invalid (see :func:`load_policy`).
        InputError: with ``ship``, an evidence file changed while it was read.
    """
    settings = context.config.settings.gates
    today = context.today
    checks = []
    for entry in load_policy(context.config):
        result = replace(entry.check.evaluate(context), blocking=entry.blocking)
        checks.append(
            apply_waivers(result, settings.waivers, today=today, where=context.config.path.name)
        )
    report = GateReport(
        project=context.config.settings.project.name,
        version=str(context.version),
        checks=tuple(_relabel(check, context.labels) for check in checks),
    )
    return ship_evidence(report, context.release) if ship else report


def _relabel(check: CheckResult, labels: Mapping[str, str]) -> CheckResult:
    def label(text: str) -> str:
        return portable_text(text, labels)

    return replace(
        check,
        summary=label(check.summary),
        evidence=tuple(label(item) for item in check.evidence),
        files=tuple(replace(file, name=label(file.name)) for file in check.files),
    )
