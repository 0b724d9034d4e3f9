"""``liturgia check``: the configuration and the policy validated without running anything.

As GoReleaser's ``check`` does: every problem that would stop or mislead a release is found
before one starts, and each is named (file, setting, why). Nothing is built, no key is opened
(no password asked), no network is used.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from liturgia.config import LoadedConfig
from liturgia.errors import ConfigError, InputError, LiturgiaError
from liturgia.release import stages
from liturgia.release.gates._policy import PolicyEntry, load_policy

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


def _sbom_paths(config: LoadedConfig) -> None:
    for index, relative in enumerate(config.settings.project.sbom_paths):
        if not config.resolve(relative).exists():
            raise ConfigError(f"{config.path}: project.sbom_paths[{index}]: {relative!r} not found")


def check_configuration(
    config: LoadedConfig, today: date
) -> tuple[tuple[PolicyEntry, ...], tuple[str, ...]]:
    """Validate the configuration and the policy; collect every problem.

    Checked: the policy (kinds, their settings, names, waivers naming checks), waivers already
    expired on ``today``, every build and test command's program, the SBOM paths, the advisory
    database (opened and judged for age), the signing key reference.

    Returns:
        The policy's checks (empty when the policy is invalid) and the problems, one line each
        naming the file and the setting.
    """
    problems: list[str] = []
    policy: tuple[PolicyEntry, ...] = ()

    def attempt(step: Callable[[], object]) -> None:
        try:
            step()
        except LiturgiaError as exc:
            problems.append(str(exc))

    def load() -> None:
        nonlocal policy
        policy = load_policy(config)

    attempt(load)
    for index, waiver in enumerate(config.settings.gates.waivers):
        if waiver.expires is not None and waiver.expires < today:
            problems.append(
                f"{config.path}: gates.waivers[{index}]: the waiver of {waiver.check!r} by "
                f"{waiver.by} expired on {waiver.expires}; renew or remove it"
            )
    attempt(lambda: stages.check_programs(config, _VALUES))
    attempt(lambda: _sbom_paths(config))
    attempt(lambda: stages.open_advisories(config))
    attempt(lambda: _key_problem(config))
    return policy, tuple(problems)
