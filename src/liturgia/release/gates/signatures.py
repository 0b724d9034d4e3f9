"""Gate family "signatures": every artifact and the SBOM signed, every bundle verifying."""

from __future__ import annotations

from dataclasses import dataclass, replace

from liturgia import sign
from liturgia._internal.files import read_bytes
from liturgia.config import PolicyCheck
from liturgia.errors import LiturgiaError
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, evidence_file
from liturgia.release.gates._policy import KindOptions, parse_options, register_kind
from liturgia.release.gates._registry import Check, register

__all__ = ["SignaturesCheck"]

_THRESHOLD = "every artifact and the SBOM signed; every bundle verifies"


@dataclass(frozen=True, slots=True)
class SignaturesCheck:
    """Every signed file's Sigstore bundle verifies under the release key.

    With ``require_log = true`` (policy), each bundle also carries a transparency log entry
    (``verificationMaterial.tlogEntries``; its proofs are checked by ``liturgia verify``).
    """

    name: str = "signatures"
    reads: tuple[str, ...] = ("*" + sign.BUNDLE_SUFFIX, "signing.key")
    rank: int = 60
    require_log: bool = False

    def evaluate(self, context: GateContext) -> CheckResult:
        """Verify each bundle in the release folder against its file and the public key."""
        if context.public_key is None or not context.signed:
            return CheckResult(
                name=self.name,
                passed=False,
                summary="no signed file or no public key to verify them with",
                evidence=("the gate was given no signed file and key",),
                figure="nothing verified",
                threshold=_THRESHOLD,
            )
        result = _check_signatures(context, context.public_key, require_log=self.require_log)
        return replace(result, name=self.name)


def _check_signatures(
    context: GateContext, public_key: sign.PublicKey, *, require_log: bool = False
) -> CheckResult:
    staging, signed = context.release, context.signed
    problems: list[str] = []
    logged: list[str] = []
    for name in signed:
        bundle_path = staging / f"{name}{sign.BUNDLE_SUFFIX}"
        try:
            bundle = read_bytes(bundle_path, what="bundle")
            sign.verify_file_bundle(
                staging / name, bundle, public_key, bundle_name=bundle_path.name
            )
            entries = sign.parse_bundle(bundle, name=bundle_path.name).tlog_entries
        except LiturgiaError as exc:
            problems.append(f"{name}: {exc}")
            continue
        if require_log and not entries:
            problems.append(f"{name}: {bundle_path.name} has no transparency log entry")
        elif entries:
            logged.append(f"{bundle_path.name}: log index {entries[0].get('logIndex', '?')}")
    # The files are the signed subjects: ECDSA signatures are randomized, so the bundles' own
    # digests would differ at each run; each bundle is named in the evidence.
    files = (evidence_file(staging / name) for name in signed)
    return CheckResult(
        name="signatures",
        passed=not problems,
        summary=(
            f"{len(signed)} files signed, every bundle verifies"
            if not problems
            else f"{len(problems)} of {len(signed)} signatures do not verify"
        ),
        evidence=(
            tuple(problems) or tuple(f"{name}{sign.BUNDLE_SUFFIX} verifies" for name in signed)
        )
        + (tuple(logged) if require_log else ()),
        files=tuple(file for file in files if file is not None),
        figure=f"{len(signed) - len(problems)} of {len(signed)} bundles verify under key "
        f"{sign.key_id(public_key)[:16]}" + (f", {len(logged)} logged" if require_log else ""),
        threshold=_THRESHOLD + ("; each in the transparency log" if require_log else ""),
    )


class _Options(KindOptions):
    require_log: bool = False


def _make(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _Options)
    return SignaturesCheck(name=entry.row, require_log=options.require_log)


register(SignaturesCheck())
register_kind("signatures", _make)
