"""Gate family "approvals": the roles the policy names approved this version, with their keys.

Each ``approvals/<version>/*.intoto.json`` (written by ``liturgia approve``) must verify under a
key the policy lists, state this project and version, and name a role that key belongs to. A
role is satisfied when ``required`` distinct keys of it approved. An approval signed by a key
the policy does not list, for another version, or for a role its key does not hold, fails the
check naming the file: nobody approves by putting a file in a folder.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field

from liturgia import provenance, sign
from liturgia.config import LoadedConfig, PolicyCheck
from liturgia.errors import ConfigError, LiturgiaError, SignatureError
from liturgia.release.approvals import APPROVAL_PREDICATE
from liturgia.release.gates._context import GateContext
from liturgia.release.gates._model import CheckResult, EvidenceFile, evidence_file
from liturgia.release.gates._policy import KindOptions, parse_options, register_kind
from liturgia.release.gates._registry import Check

__all__ = ["ApprovalsCheck"]


@dataclass(frozen=True, slots=True)
class _Role:
    name: str
    keys: tuple[str, ...]
    required: int


@dataclass(frozen=True, slots=True)
class ApprovalsCheck:
    """Stakeholder approval: each role's required number of signed approvals of this version."""

    name: str = "approvals"
    reads: tuple[str, ...] = ("approvals/<version>/*.intoto.json",)
    rank: int = 140
    folder: str = "approvals"
    roles: tuple[_Role, ...] = ()

    def preflight(self, config: LoadedConfig) -> tuple[str, ...]:
        """Every role's key file that does not open as a public key (``liturgia check``)."""
        problems = []
        for role in self.roles:
            for index, ref in enumerate(role.keys):
                try:
                    sign.load_public_key(config.resolve(ref))
                except LiturgiaError as exc:
                    problems.append(f"roles.{role.name}.keys[{index}]: {ref}: {exc}")
        return tuple(problems)

    def evaluate(self, context: GateContext) -> CheckResult:
        """Verify every approval file of this version and count distinct keys per role."""
        version = str(context.version)
        project = context.config.settings.project.name
        threshold = "; ".join(f"{r.name}: {r.required} of {len(r.keys)} keys" for r in self.roles)
        problems: list[str] = []
        keys: dict[str, tuple[sign.PublicKey, set[str]]] = {}  # key id -> key, its roles
        for role in self.roles:
            for ref in role.keys:
                try:
                    key = sign.load_public_key(context.config.resolve(ref))
                except LiturgiaError as exc:
                    problems.append(f"role {role.name}: key {ref}: {exc}")
                    continue
                keys.setdefault(key.key_id, (key, set()))[1].add(role.name)
        approved: dict[str, set[str]] = {role.name: set() for role in self.roles}
        evidence: list[str] = []
        files: list[EvidenceFile] = []
        folder = context.config.resolve(self.folder) / version
        paths = sorted(folder.glob("*.json")) if folder.is_dir() else []
        for path in paths:
            shown = f"{self.folder}/{version}/{path.name}"
            file = evidence_file(path, shown)
            if file is not None:
                files.append(file)
            found = self._verify(path.read_bytes(), shown, keys)
            if isinstance(found, str):
                problems.append(found)
                continue
            key_id, statement = found
            predicate = statement.predicate
            claimed = str(predicate.get("role", ""))
            if (predicate.get("project"), predicate.get("version")) != (project, version):
                problems.append(
                    f"{shown}: approves {predicate.get('project')} {predicate.get('version')}, "
                    f"not {project} {version}"
                )
            elif claimed not in keys[key_id][1]:
                problems.append(
                    f"{shown}: approves as {claimed!r} with key {key_id[:16]}, which is not a "
                    f"key of that role ({', '.join(sorted(keys[key_id][1]))})"
                )
            else:
                approved[claimed].add(key_id)
                evidence.append(
                    f"{shown}: {claimed} approved by {predicate.get('approver') or '?'} "
                    f"(key {key_id[:16]})"
                )
        short = [r for r in self.roles if len(approved[r.name]) < r.required]
        figure = ", ".join(f"{r.name} {len(approved[r.name])}/{r.required}" for r in self.roles)
        if problems:
            summary = f"{len(problems)} approvals not accepted; first: {problems[0]}"
        elif short:
            summary = "missing approvals: " + ", ".join(
                f"{r.name} needs {r.required - len(approved[r.name])} more" for r in short
            )
        else:
            summary = f"approved: {figure}"
        return CheckResult(
            name=self.name,
            passed=not problems and not short,
            summary=summary,
            evidence=tuple(problems + evidence)
            or (f"no approval in {self.folder}/{version}/ (liturgia approve {version} --role R)",),
            files=tuple(files),
            figure=figure,
            threshold=threshold,
        )

    @staticmethod
    def _verify(
        bundle: bytes, shown: str, keys: dict[str, tuple[sign.PublicKey, set[str]]]
    ) -> tuple[str, provenance.Statement] | str:
        """The key id and Statement of a verifying approval, or why it is not accepted."""
        last = "signed by no key of the policy"
        for key_id, (key, _) in keys.items():
            try:
                statement = provenance.verify_attestation_bundle(
                    bundle, key, predicate_type=APPROVAL_PREDICATE, bundle_name=shown
                )
            except SignatureError:
                continue  # another key's signature: try the next key
            except LiturgiaError as exc:
                last = str(exc).removeprefix(f"{shown}: ")
                continue
            return key_id, statement
        return f"{shown}: {last}"


class _RoleOptions(KindOptions):
    keys: tuple[str, ...] = Field(min_length=1, strict=False)
    required: int = Field(default=1, ge=1)


class _Options(KindOptions):
    folder: str = Field(default="approvals", min_length=1)
    roles: dict[str, _RoleOptions] = Field(min_length=1)


def _make(entry: PolicyCheck, where: str) -> Check:
    options = parse_options(entry, where, _Options)
    roles = []
    for name, role in sorted(options.roles.items()):
        if role.required > len(role.keys):
            raise ConfigError(
                f"{where}.roles.{name}.required: {role.required} approvals but only "
                f"{len(role.keys)} keys can give them"
            )
        roles.append(_Role(name=name, keys=role.keys, required=role.required))
    return ApprovalsCheck(
        name=entry.row,
        folder=options.folder,
        roles=tuple(roles),
        reads=(f"{options.folder}/<version>/*.intoto.json", *(k for r in roles for k in r.keys)),
    )


register_kind("approvals", _make)
