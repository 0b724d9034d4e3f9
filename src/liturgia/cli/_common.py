"""Helpers shared by the command modules: stderr console, output formats, path arguments."""

from __future__ import annotations

import sys
from enum import StrEnum

from rich.console import Console

__all__ = ["OutputFormat", "print_error", "stderr_console", "stdout_console"]


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
