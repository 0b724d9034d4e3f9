"""The targets configured in ``[publish.NAME]`` tables, built by kind.

``kind = "pypi"`` is :class:`~liturgia.publish.pypi.PypiTarget`; ``npm`` and ``oci`` are
built by their modules when present (:mod:`liturgia.publish.npm`,
:mod:`liturgia.publish.oci`), each with a ``from_settings(name, settings)`` factory.
"""

from __future__ import annotations

import importlib

from liturgia.config import LoadedConfig, PublishTarget
from liturgia.errors import ConfigError
from liturgia.publish.credentials import pypi_credentials
from liturgia.publish.pypi import PypiTarget
from liturgia.publish.target import Target

__all__ = ["configured_target", "make_target"]


def make_target(name: str, settings: PublishTarget) -> Target:
    """Build the target ``name`` from its settings (credentials read now, never logged).

    Raises:
        ConfigError: a URL is invalid, the credentials' file is wrong, or the kind is not
            available in this version.
    """
    if settings.kind == "pypi":
        credentials = pypi_credentials(name, settings.url, section=settings.pypirc)
        return PypiTarget(name, settings.url, index_url=settings.index_url, credentials=credentials)
    try:
        module = importlib.import_module(f"liturgia.publish.{settings.kind}")
    except ModuleNotFoundError as exc:
        raise ConfigError(
            f"publish.{name}.kind: {settings.kind!r} targets are not available in this "
            "version of liturgia (pypi is)"
        ) from exc
    target: Target = module.from_settings(name, settings)
    return target


def configured_target(config: LoadedConfig, name: str) -> Target:
    """The target ``[publish.NAME]`` of the configuration.

    Raises:
        ConfigError: no such table (the message lists the configured names), or as
            :func:`make_target`.
    """
    targets = config.settings.publish
    if name not in targets:
        known = ", ".join(sorted(targets)) or "none"
        raise ConfigError(
            f"{config.path}: no [publish.{name}] target (configured: {known}); add one with "
            'kind = "pypi" and url = "..."'
        )
    return make_target(name, targets[name])
