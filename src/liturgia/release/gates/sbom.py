"""Gate family "sbom": the SBOM is present and valid, and every input it found was read."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace

from liturgia import sbom
from liturgia._internal.files import read_bytes, sha256_file
from liturgia.config import Waiver
from liturgia.errors import InputError, LiturgiaError, VerificationError
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, Status, evidence_file
from liturgia.release.gates._policy import register_default_kind
from liturgia.release.stages import SBOM_NAME

__all__ = ["InputsCheck", "SbomCheck", "check_inputs"]


@dataclass(frozen=True, slots=True)
class SbomCheck:
    """SBOM present, valid CycloneDX 1.6 JSON, listing every artifact's SHA-256.

    ``sbom.cdx.json`` in the release folder; each artifact must be the digest of a ``file``
    component (as :func:`liturgia.sbom.artifact_component` records it).
    """

    name: str = "sbom"
    reads: tuple[str, ...] = (SBOM_NAME,)
    rank: int = 40

    def evaluate(self, context: GateContext) -> CheckResult:
        """Validate the release folder's SBOM against the CycloneDX 1.6 JSON schema."""
        path = context.release / SBOM_NAME
        threshold = "present, valid CycloneDX 1.6 JSON"
        try:
            data = read_bytes(path, what="SBOM")
            sbom.validate_cyclonedx_json(data, source=SBOM_NAME)
        except (VerificationError, InputError) as exc:
            file = evidence_file(path)
            return CheckResult(
                name=self.name,
                passed=False,
                summary=str(exc),
                evidence=(SBOM_NAME,),
                files=(file,) if file is not None else (),
                figure="missing or invalid",
                threshold=threshold,
            )
        components = json.loads(data).get("components") or []
        file = evidence_file(path)
        files = (file,) if file is not None else ()
        figure = f"valid CycloneDX 1.6 JSON, {len(components)} components"
        if not context.artifacts:
            return CheckResult(
                name=self.name,
                passed=True,
                summary="present and valid CycloneDX 1.6 JSON",
                files=files,
                figure=figure,
                threshold=threshold,
            )
        # Every artifact shipped is described by its digest (a file component's SHA-256), so
        # the SBOM is about these bytes and not others.
        try:
            listed = set(
                sbom.artifact_digests(
                    sbom.read_sbom(data, source=SBOM_NAME), source=SBOM_NAME
                ).values()
            )
        except LiturgiaError as exc:
            listed, problem = set(), str(exc)
        else:
            problem = ""
        missing = [
            f"{name}: sha256:{digest} is not the SHA-256 of any file component"
            for name in context.artifacts
            if (digest := sha256_file(context.release / name)) not in listed
        ]
        if problem:
            missing.insert(0, problem)
        covered = len(context.artifacts) - len(missing) + (1 if problem else 0)
        return CheckResult(
            name=self.name,
            passed=not missing,
            summary=(
                "present, valid CycloneDX 1.6 JSON, every artifact's digest listed"
                if not missing
                else f"{len(missing)} artifacts not covered by the SBOM; first: {missing[0]}"
            ),
            evidence=tuple(missing),
            files=files,
            figure=f"{figure}, {covered} of {len(context.artifacts)} artifacts' digests listed",
            threshold=threshold + ", listing every artifact's SHA-256",
        )


@dataclass(frozen=True, slots=True)
class InputsCheck:
    """Every input read: the SBOM stage's warnings, unless waived in ``[[gates.waivers]]``."""

    name: str = "inputs"
    reads: tuple[str, ...] = (SBOM_NAME, "gates.waivers")
    rank: int = 50

    def evaluate(self, context: GateContext) -> CheckResult:
        """Judge the SBOM stage's warnings; the SBOM, which records them, is the evidence file."""
        file = evidence_file(context.release / SBOM_NAME)
        return replace(
            check_inputs(context.inputs, context.config.settings.gates.waivers),
            files=(file,) if file is not None else (),
            name=self.name,
        )


def check_inputs(warnings: Sequence[str], waivers: Sequence[Waiver] = ()) -> CheckResult:
    """Gate "every input read": no file the SBOM stage found could be left out unwaived.

    A lockfile that cannot be read (truncated, not JSON, an unknown lock version) drops its
    whole ecosystem from the SBOM, and so from the scan: the release would be judged on less
    than it ships. Each cataloging warning fails the check unless a ``[[gates.waivers]]`` entry
    with ``check = "inputs"`` names its file (the warning is ``"<file>: ..."`` or
    ``"<file>:<line>: ..."``) with a reason.

    Args:
        warnings: the inventory's warnings, each naming its file first.
        waivers: the project's waivers; those for other checks are ignored.

    Returns:
        An ``"inputs"`` check; evidence lists every warning (a waived one with its reason) and
        each waiver that matched nothing.
    """
    mine = [w for w in waivers if w.check == "inputs"]
    used: set[int] = set()
    evidence: list[str] = []
    failing = 0
    for warning in warnings:
        index = next(
            (
                i
                for i, w in enumerate(mine)
                if warning == w.file or warning.startswith(f"{w.file}:")
            ),
            None,
        )
        if index is None:
            failing += 1
            evidence.append(f"not read: {warning}")
        else:
            used.add(index)
            evidence.append(f"not read: {warning} (waived: {mine[index].reason})")
    evidence += [
        f"waiver for {w.file} matched no input problem" for i, w in enumerate(mine) if i not in used
    ]
    if not warnings:
        evidence.insert(0, "every file the SBOM stage found was read (no liturgia:warning)")
    waived = len(warnings) - failing
    if not warnings:
        summary = "every input was read"
    elif failing:
        first = next(w for w in evidence if "(waived:" not in w).removeprefix("not read: ")
        summary = f"{failing} inputs could not be read ({waived} waived); first: {first}"
    else:
        summary = f"{waived} inputs could not be read, every one waived"
    return CheckResult(
        name="inputs",
        status=Status.FAIL if failing else Status.WAIVED if waived else Status.PASS,
        summary=summary,
        evidence=tuple(evidence),
        figure=f"{len(warnings)} unreadable, {waived} waived",
        threshold="none unreadable unless waived",
    )


register_default_kind(SbomCheck())
register_default_kind(InputsCheck())
