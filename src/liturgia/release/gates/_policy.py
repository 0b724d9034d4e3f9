"""The golden rule as policy: ``[[gates.checks]]`` entries made into checks, and waivers.

Each check kind is registered by its family module with a factory that validates the entry's
own settings (a pydantic model with ``extra="forbid"``, so a typo is a :class:`ConfigError`
naming ``gates.checks[N].key``) and returns a :class:`~._registry.Check`. Without
``[[gates.checks]]`` the policy is the built-in golden rule (every registered default check).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from liturgia.config import LoadedConfig, PolicyCheck, Waiver, validation_problem
from liturgia.errors import ConfigError
from liturgia.release.gates._model import CheckResult, Status
from liturgia.release.gates._registry import Check, load_families, register, registered_checks

__all__ = [
    "KindOptions",
    "PolicyEntry",
    "apply_waivers",
    "kinds",
    "load_policy",
    "parse_options",
    "register_kind",
]

#: A kind's factory: the entry, where it is (``"liturgia.toml: gates.checks[2]"``) -> a check.
Factory = Callable[[PolicyCheck, str], Check]
_KINDS: dict[str, Factory] = {}


class KindOptions(BaseModel):
    """Base of a kind's own settings: unknown keys are refused, values are strict."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


_O = TypeVar("_O", bound=KindOptions)


def parse_options(entry: PolicyCheck, where: str, model: type[_O]) -> _O:
    """Validate ``entry``'s own settings against ``model``.

    Raises:
        ConfigError: ``"<file>: gates.checks[N].<key>: <why>"``.
    """
    try:
        return model.model_validate(entry.options)
    except ValidationError as exc:
        raise ConfigError(f"{validation_problem(exc, where + '.')}") from exc


def register_kind(kind: str, factory: Factory) -> None:
    """Make ``kind`` usable in ``[[gates.checks]]``.

    Raises:
        ValueError: two families register one kind (a programming error).
    """
    if kind in _KINDS and _KINDS[kind] is not factory:
        raise ValueError(f"two gate check kinds are named {kind!r}")
    _KINDS[kind] = factory


def kinds() -> tuple[str, ...]:
    """Every registered check kind, sorted."""
    load_families()
    return tuple(sorted(_KINDS))


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyEntry:
    """One check of the policy.

    Attributes:
        check: the check to evaluate.
        blocking: ``False`` for an advisory check (a failure never blocks the release).
        where: where it is set, for messages (``"liturgia.toml: gates.checks[2]"``).
    """

    check: Check
    blocking: bool = True
    where: str = ""


def load_policy(config: LoadedConfig) -> tuple[PolicyEntry, ...]:
    """The checks of the project's policy, in report order.

    Raises:
        ConfigError: the first of :func:`policy_problems`: an unknown kind, two checks of one
            name, a kind's setting that is missing or wrong (each message names the file and
            ``gates.checks[N]``), or a waiver naming no check of the policy.
    """
    entries, problems = policy_problems(config)
    if problems:
        raise problems[0]
    return entries


def policy_problems(
    config: LoadedConfig,
) -> tuple[tuple[PolicyEntry, ...], tuple[ConfigError, ...]]:
    """Read the policy, finding every problem in it rather than the first.

    Each ``[[gates.checks]]`` entry is made on its own (an entry that cannot be made is left
    out of the checks), then names are compared and waivers matched to them.

    Returns:
        The checks that could be made, in report order, and the problems, each naming the
        file and the setting (``gates.checks[N].key``, ``gates.waivers[N].check``).
    """
    settings = config.settings.gates
    load_families()
    problems: list[ConfigError] = []
    if settings.checks is None:
        entries = tuple(
            PolicyEntry(check=check, where=f"{config.path.name}: built-in {check.name}")
            for check in registered_checks()
        )
    else:
        made: list[PolicyEntry] = []
        for index, entry in enumerate(settings.checks):
            factory = _KINDS.get(entry.kind)
            if factory is None:
                problems.append(
                    ConfigError(
                        f"{config.path}: gates.checks[{index}].kind: unknown check kind "
                        f"{entry.kind!r}; known kinds: {', '.join(sorted(_KINDS))}"
                    )
                )
                continue
            try:
                check = factory(entry, f"{config.path}: gates.checks[{index}]")
            except ConfigError as exc:
                problems.append(exc)
                continue
            made.append(
                PolicyEntry(
                    check=check,
                    blocking=entry.severity == "blocking",
                    where=f"{config.path.name}: gates.checks[{index}]",
                )
            )
        entries = tuple(made)
    # Names as configured (an entry that could not be made still has its row name).
    names = (
        [entry.check.name for entry in entries]
        if settings.checks is None
        else [entry.row for entry in settings.checks]
    )
    for index, name in enumerate(names):
        if name in names[:index]:
            problems.append(
                ConfigError(
                    f"{config.path}: gates.checks[{index}].name: {name!r} is the name of an "
                    "earlier check; give each check its own name"
                )
            )
    for index, waiver in enumerate(settings.waivers):
        if waiver.check not in names:
            problems.append(
                ConfigError(
                    f"{config.path}: gates.waivers[{index}].check: {waiver.check!r} names no "
                    f"check of the policy ({', '.join(dict.fromkeys(names))})"
                )
            )
    return entries, tuple(problems)


def apply_waivers(
    result: CheckResult, waivers: tuple[Waiver, ...], *, today: date, where: str
) -> CheckResult:
    """Apply the whole-check waivers naming ``result``: a failure becomes waived.

    A waiver past its ``expires`` day fails the check whatever its outcome, naming the
    waiver: an expired acceptance must be renewed or removed. Input waivers (with a ``file``)
    are the ``inputs`` check's own business and are left alone.

    Args:
        result: the check's result.
        waivers: the project's waivers.
        today: the release's date (``SOURCE_DATE_EPOCH`` when set).
        where: the configuration file's name, for evidence.
    """
    mine = [
        (index, waiver)
        for index, waiver in enumerate(waivers)
        if waiver.check == result.name and waiver.file is None
    ]
    if not mine:
        return result
    evidence = list(result.evidence)
    status = result.outcome
    summary = result.summary
    for index, waiver in mine:
        if waiver.expires is None:  # the configuration's validator requires it
            continue
        said = f"{where}: gates.waivers[{index}] by {waiver.by} until {waiver.expires}"
        if waiver.expires < today:
            status = Status.FAIL
            summary = f"waiver expired on {waiver.expires} (by {waiver.by}); {result.summary}"
            evidence.insert(0, f"{said}: expired; renew or remove it ({waiver.reason})")
        elif status is Status.FAIL and not summary.startswith("waiver expired"):
            status = Status.WAIVED
            summary = f"waived by {waiver.by} until {waiver.expires}: {result.summary}"
            evidence.insert(0, f"{said}: {waiver.reason}")
        else:
            evidence.append(f"{said}: not needed, the check did not fail ({waiver.reason})")
    return replace(result, status=status, summary=summary, evidence=tuple(evidence))


_C = TypeVar("_C", bound=Check)


def register_default_kind(check: _C) -> _C:
    """Register ``check`` in the built-in golden rule and as a kind of the same name.

    In ``[[gates.checks]]`` such a kind takes no setting of its own (it reads the settings it
    always read: ``gates.fail_on``, ``scan.*``...); ``name`` renames its row.
    """

    def make(entry: PolicyCheck, where: str) -> Check:
        parse_options(entry, where, KindOptions)
        return replace(check, name=entry.row)  # type: ignore[type-var]

    register(check)
    register_kind(check.name, make)
    return check
