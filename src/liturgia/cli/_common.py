"""Helpers shared by the command modules: stderr console, output formats, path arguments."""

from __future__ import annotations

import getpass
import os
import sys
from enum import StrEnum

from rich.console import Console

from liturgia.errors import ConfigError

__all__ = [
    "OutputFormat",
    "password_from_env_or_prompt",
    "print_error",
    "stderr_console",
    "stdout_console",
]


class OutputFormat(StrEnum):
    """Output for people (``table``) or machines (``json``), from the same data."""

    TABLE = "table"
    JSON = "json"


def stderr_console() -> Console:
    """A rich console on stderr (progress, logs, summaries); plain when stderr is not a TTY."""
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def stdout_console() -> Console:
    """A rich console on stdout for human-readable tables."""
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def print_error(message: str) -> None:
    """Print ``liturgia: error: MESSAGE`` on stderr, without markup interpretation."""
    sys.stderr.write(f"liturgia: error: {message}\n")
    sys.stderr.flush()


def password_from_env_or_prompt(purpose: str, confirm: bool) -> bytes:
    """Return the key password: ``LITURGIA_PASSWORD``, else a prompt on a terminal.

    Args:
        purpose: shown in the prompt, e.g. ``"password for ~/.config/liturgia/keys/release.key"``.
        confirm: ask twice (a new key) and require both answers to match.

    Raises:
        ConfigError: no ``LITURGIA_PASSWORD`` and no terminal to ask on, or the two answers
            differ.
    """
    env = os.environ.get("LITURGIA_PASSWORD")
    if env is not None:
        return env.encode("utf-8")
    if not sys.stdin.isatty():
        raise ConfigError(f"{purpose}: set LITURGIA_PASSWORD (no terminal to ask on)")
    first = getpass.getpass(f"{purpose}: ")
    if confirm and getpass.getpass("again: ") != first:
        raise ConfigError(f"{purpose}: the two passwords differ")
    return first.encode("utf-8")
