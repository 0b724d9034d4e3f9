"""Helpers shared by the command modules: command registration, consoles, output formats,
options with environment twins, key passwords."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from rich.console import Console

from liturgia._internal.files import atomic_write_text
from liturgia.errors import ConfigError, InputError, KeyPasswordError, UsageError

__all__ = [
    "KEY_OPTION_WAY_OUT",
    "LOG_SIGNATURES_UNCHECKED",
    "OutputFormat",
    "add_command",
    "add_format_option",
    "add_group",
    "add_signing_key_option",
    "add_tlog_options",
    "doc_body",
    "env_option",
    "explain_key_password",
    "password_from_env_or_prompt",
    "positive_seconds",
    "print_error",
    "print_path",
    "stderr_console",
    "stdout_console",
    "write_generated_file",
]


def add_command(
    subparsers: Any,
    name: str,
    run: Callable[[argparse.Namespace], int],
    help_: str,
    *,
    description: str | None = None,
    show_defaults: bool = False,
) -> argparse.ArgumentParser:
    """Add command ``name`` that runs ``run``; the caller adds its arguments to the parser.

    The one way a command module registers a command or a sub-command (STYLE.md "CLI":
    ``register(subparsers)`` and ``run(args) -> int``): :func:`liturgia.cli.main` calls
    ``args.func``, here ``run``.

    Args:
        subparsers: what ``add_subparsers()`` returned (``liturgia``'s or a command group's).
        name: the command's name, e.g. ``"sign"``.
        run: runs the command: parsed arguments in, exit code out.
        help_: its one line in the list of commands.
        description: what ``liturgia NAME --help`` says of it (see :func:`doc_body`).
        show_defaults: ``--help`` adds each option's default (``(default: ...)``).

    Returns:
        The command's parser.
    """
    formatter = argparse.ArgumentDefaultsHelpFormatter if show_defaults else argparse.HelpFormatter
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_, description=description, formatter_class=formatter
    )
    parser.set_defaults(func=run)
    return parser


def add_group(
    subparsers: Any,
    name: str,
    help_: str,
    *,
    dest: str,
    description: str | None = None,
    metavar: str = "COMMAND",
) -> Any:
    """Add command group ``name`` (``liturgia NAME COMMAND ...``); one of its commands is needed.

    Args:
        subparsers: what ``add_subparsers()`` returned.
        name: the group's name, e.g. ``"log"``.
        help_: its one line in the list of commands.
        dest: the attribute of the parsed arguments that names the command chosen.
        description: what ``liturgia NAME --help`` says of it.
        metavar: how ``--help`` calls the command chosen.

    Returns:
        The group's sub-command registry, for :func:`add_command`.
    """
    parser = subparsers.add_parser(name, help=help_, description=description)
    return parser.add_subparsers(dest=dest, metavar=metavar, required=True)


def doc_body(doc: str | None) -> str | None:
    """A command module's docstring after its first paragraph: its ``--help`` description.

    The first paragraph names the command for readers of the code; the rest says what it does,
    once, for both (argparse re-wraps it). ``None`` without one (``python -OO``).
    """
    return doc.split("\n\n", 1)[1] if doc and "\n\n" in doc else None


class OutputFormat(StrEnum):
    """Output for people (``table``) or machines (``json``), from the same data."""

    TABLE = "table"
    JSON = "json"


def add_format_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--format table|json``: people get a table on stderr, machines JSON on stdout."""
    parser.add_argument(
        "--format",
        type=_output_format,
        default=OutputFormat.TABLE,
        metavar="{" + ",".join(OutputFormat) + "}",
        help="table (for people, on stderr) or json (for machines, on stdout); default: table",
    )


#: Values of an environment twin that turn a flag (``store_true``) on; any other value is off.
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


def env_option(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    flag: str,
    env: str,
    help_: str,
    *,
    lenient: bool = False,
    **kwargs: Any,
) -> argparse.Action:
    """Add option ``flag`` whose default comes from its environment twin ``env`` when set.

    Flag > ``LITURGIA_*`` environment > built-in default (STYLE.md "Configuration"). A set,
    non-blank variable replaces ``default``:

    - a flag (``action="store_true"``) is on when the value is ``1``, ``true``, ``yes`` or
      ``on`` (any case), off otherwise;
    - any other option takes the text as its default, which argparse passes through ``type``
      like a command-line value: a bad value is a usage error (exit 2) naming the option. With
      ``lenient``, a value ``type`` rejects is ignored and the built-in default stays.

    Args:
        parser: the parser or argument group to add to.
        flag: the option string, e.g. ``"--fail-on"``.
        env: its environment twin, e.g. ``"LITURGIA_FAIL_ON"``; ``--help`` shows ``[env NAME]``.
        help_: the help text.
        lenient: ignore an environment value the option's ``type`` rejects.
        kwargs: the rest of :meth:`argparse.ArgumentParser.add_argument`'s arguments.

    Returns:
        The action argparse created.
    """
    value = os.environ.get(env, "").strip()
    if value and kwargs.get("action") == "store_true":
        kwargs["default"] = value.lower() in _TRUE_WORDS
    elif value and not (lenient and not _accepts(kwargs.get("type"), value)):
        kwargs["default"] = value
    return parser.add_argument(flag, help=f"{help_} [env {env}]", **kwargs)


def _accepts(convert: Any, value: str) -> bool:
    try:
        (convert or str)(value)
    except (ValueError, argparse.ArgumentTypeError):
        return False
    return True


def _output_format(text: str) -> OutputFormat:
    try:
        return OutputFormat(text)
    except ValueError:
        choices = ", ".join(OutputFormat)
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {choices}") from None


def positive_seconds(text: str) -> float:
    """Parse a ``--timeout``-style option: a finite number of seconds above zero.

    Raises:
        argparse.ArgumentTypeError: not a number, or zero, negative, infinite or NaN (argparse
            turns it into a usage error, exit 2).
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value < 86_400 * 365:  # NaN fails both comparisons
        raise argparse.ArgumentTypeError(f"{text!r}: seconds must be a positive, finite number")
    return value


def stderr_console() -> Console:
    """A rich console on stderr (progress, logs, summaries); plain when stderr is not a TTY."""
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def stdout_console() -> Console:
    """A rich console on stdout for human-readable tables."""
    return Console(file=sys.stdout, highlight=False, soft_wrap=True)


def print_path(path: Path) -> None:
    """Print a path the command wrote on stdout, one per line, as the file system's bytes.

    A name that is not UTF-8 (PEP 383 surrogates) is written exactly, so a script reading the
    output can open the file; text encoding would fail on it or change it.
    """
    sys.stdout.flush()
    sys.stdout.buffer.write(os.fsencode(path) + b"\n")
    sys.stdout.buffer.flush()


def print_error(message: str) -> None:
    """Print ``liturgia: error: MESSAGE`` on stderr, without markup interpretation."""
    sys.stderr.write(f"liturgia: error: {message}\n")
    sys.stderr.flush()


#: For commands with ``--key`` (default ``$LITURGIA_KEY``): the way out of a key that does not
#: open, besides its password (see :func:`explain_key_password`).
KEY_OPTION_WAY_OUT = "use another key with --key PATH or LITURGIA_KEY=PATH"


def explain_key_password(error: KeyPasswordError, *, other_key: str) -> InputError:
    """Say what to do about a signing key that does not open, in the same one line.

    The key's path is already in ``error``; this adds the two ways out: give that key's password
    (``LITURGIA_PASSWORD``), or choose another key the way the calling command allows.

    Args:
        error: the library's error for the key (wrong password or corrupt file).
        other_key: the other way out, as this command allows it, e.g.
            ``"use another key with --key PATH or LITURGIA_KEY=PATH"``.

    Returns:
        An :class:`InputError` (exit 2) to raise ``from error``.
    """
    return InputError(f"{error}; set LITURGIA_PASSWORD to this key's password, or {other_key}")


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
        answer = env
    elif not sys.stdin.isatty():
        raise ConfigError(f"{purpose}: set LITURGIA_PASSWORD (no terminal to ask on)")
    else:
        answer = getpass.getpass(f"{purpose}: ")
        if confirm and getpass.getpass("again: ") != answer:
            raise ConfigError(f"{purpose}: the two passwords differ")
    if confirm and not answer:
        # A new private key is never written unprotected.
        raise ConfigError(f"{purpose}: the password is empty; a new key needs one")
    return answer.encode("utf-8")


#: Said when a log entry was written or read without the log's key to check its signatures.
LOG_SIGNATURES_UNCHECKED = (
    "the log's signatures (signed entry timestamp, checkpoint) were not checked: no log key; "
    "pass --log-key PEM (the log's public key, e.g. from GET /api/v1/log/publicKey fetched "
    "once over a channel you trust) to check them"
)


def add_signing_key_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--key REF`` (env ``LITURGIA_KEY``; default: the configured release key's path)."""
    from liturgia.config import default_signing_key_path  # noqa: PLC0415 - config only here

    env_option(
        parser,
        "--key",
        "LITURGIA_KEY",
        "signing key reference",
        default=str(default_signing_key_path()),
        metavar="REF",
    )


def add_tlog_options(parser: argparse.ArgumentParser, *, what: str) -> None:
    """Add ``--tlog-url`` and ``--log-key`` (with their ``LITURGIA_*`` twins) to a command.

    Args:
        parser: the command's parser.
        what: what is logged, for the help (``"each signature"``...).
    """
    env_option(
        parser,
        "--tlog-url",
        "LITURGIA_TLOG_URL",
        f"a Rekor v1 transparency log (e.g. liturgia serve's http://127.0.0.1:8080): log {what} "
        "there and write the entry into the bundle, once it verifies. A failed or unanswered "
        "upload (a timeout, 5xx) may still have been stored: it is retried with backoff, and a "
        "409 (already logged) is taken as success once the entry it names verifies",
        metavar="URL",
    )
    env_option(
        parser,
        "--log-key",
        "LITURGIA_TLOG_KEY",
        "with --tlog-url: the log's public key; the entry's signed entry timestamp and "
        "checkpoint must verify under it",
        type=Path,
        metavar="PEM",
    )


def write_generated_file(target: Path, text: str, *, force: bool) -> None:
    """Write a file ``init``-style commands generate: atomically, never over one without force.

    Raises:
        UsageError: ``target`` exists and not ``force`` (exit 2; the message says --force).
    """
    if target.exists() and not force:
        raise UsageError(f"{target}: already exists (use --force to overwrite)")
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, text)
    stderr_console().print(f"wrote {target}")
