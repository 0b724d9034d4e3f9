"""``liturgia check``: the configuration and the policy validated without running anything.

As GoReleaser's ``check`` does: every problem that would stop or mislead a release is found
before one starts, and each is named (file, setting, why). Nothing is built, no key is opened
(no password asked), no network is used.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from liturgia import vuln
from liturgia.config import LoadedConfig
from liturgia.errors import InputError, LiturgiaError
from liturgia.release import stages
from liturgia.release.gates._policy import PolicyEntry, policy_problems
from liturgia.release.gates._registry import Preflighted

__all__ = ["check_configuration"]

#: Placeholder values for commands, as a release gives them (only their programs are looked up).
_VALUES = {"build_dir": "build", "reports_dir": "reports", "version": "0.0.0", "project": "."}


def _key_problem(config: LoadedConfig) -> None:
    """A ``[signing].key`` path that names no file (a URI is its backend's to check)."""
    key = config.settings.signing.key
    if key is None or "://" in key or key.startswith(("pkcs11:", "env:")):
        return
    path = config.resolve(key.removeprefix("file:"))
    if not path.is_file():
        raise InputError(
            f"{config.path}: signing.key: {key!r}: no key file at {key} (a release creates one "
            "only when signing.key is unset; create it with `liturgia keys generate`)"
        )


def _sbom_paths(config: LoadedConfig) -> list[str]:
    return [
        f"{config.path}: project.sbom_paths[{index}]: {relative!r} not found"
        for index, relative in enumerate(config.settings.project.sbom_paths)
        if not config.resolve(relative).exists()
    ]


def _advisory_problems(config: LoadedConfig) -> list[str]:
    """The advisory database's problems: the first one a release meets, then every other OSV
    folder and the ignore file, each opened on its own."""
    try:
        stages.open_advisories(config)
    except LiturgiaError as exc:
        problems = [str(exc)]
    else:
        return []
    settings = config.settings.scan
    others: list[Callable[[], object]] = [
        partial(vuln.load_osv_directory, config.resolve(folder)) for folder in settings.osv
    ]
    if settings.ignore:
        ignore = config.resolve(settings.ignore)
        others += [
            partial(vuln.load_ignore_file, ignore),
            partial(vuln.load_unchecked_rules, ignore),
        ]
    for other in others:
        try:
            other()
        except LiturgiaError as exc:
            if str(exc) not in problems:
                problems.append(str(exc))
    return problems


def check_configuration(
    config: LoadedConfig, today: date
) -> tuple[tuple[PolicyEntry, ...], tuple[str, ...]]:
    """Validate the configuration and the policy; collect every problem.

    Checked: the policy (each check's kind and settings, names, waivers naming checks), waivers
    already expired on ``today``, every build and test command's program, every SBOM path, the
    advisory database (opened and judged for age; then each OSV folder and the ignore file on
    their own), the signing key reference, and what each :class:`Preflighted` check of the
    policy reads that a person writes beforehand (approvers' keys, the rollback plan).

    Returns:
        The policy's checks (those that could be made) and the problems, one line each naming
        the file and the setting.
    """
    policy, wrong = policy_problems(config)
    problems = [str(problem) for problem in wrong]
    for index, waiver in enumerate(config.settings.gates.waivers):
        if waiver.expires is not None and waiver.expires < today:
            problems.append(
                f"{config.path}: gates.waivers[{index}]: the waiver of {waiver.check!r} by "
                f"{waiver.by} expired on {waiver.expires}; renew or remove it"
            )
    problems += [str(problem) for problem in stages.program_problems(config, _VALUES)[0]]
    for entry in policy:
        if isinstance(entry.check, Preflighted):
            problems += [f"{entry.where}.{problem}" for problem in entry.check.preflight(config)]
    problems += _sbom_paths(config)
    problems += _advisory_problems(config)
    try:
        _key_problem(config)
    except LiturgiaError as exc:
        problems.append(str(exc))
    return policy, tuple(problems)
