"""The ``liturgia`` command: a thin adapter over the library.

Each command group is one module of this package with ``register(subparsers)``; the module's
parser sets ``func`` to its ``run(args) -> int``. :func:`main` maps :class:`LiturgiaError` to a
one-line message and its exit code (0 Go, 1 no, 2 usage/input, 3 network/storage, 4 bug).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import signal
import sys
import threading
from collections.abc import Sequence

from liturgia import __version__
from liturgia.cli._common import print_error
from liturgia.errors import LiturgiaError

__all__ = ["build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse with usage errors as one line and exit code 2 (its own default, kept)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


#: Command name -> the module of ``liturgia.cli`` that registers it. Running one command imports
#: only its module (start-up time matters for a tool run per lockfile); ``--help`` imports all.
#: ``tests/unit/cli`` checks this table against what the modules register.
COMMANDS = {
    "approve": "gates",
    "attest": "attest",
    "chaos": "chaos",
    "check": "gates",
    "deploy": "gates",
    "ci": "ci",
    "dashboard": "dashboard",
    "gate": "gates",
    "init": "init",
    "keys": "keys",
    "log": "log",
    "notes": "versions",
    "playbook": "gates",
    "publish": "publish",
    "release": "release",
    "rollback": "gates",
    "sbom": "sbom",
    "scan": "scan",
    "serve": "serve",
    "sign": "sign",
    "trust-root": "keys",
    "verify": "verify",
    "verify-attestation": "attest",
    "version": "versions",
    "vulndb": "vulndb",
}


def command_modules(argv: Sequence[str] | None = None) -> tuple[str, ...]:
    """The command modules a command line needs: the named command's, else every module."""
    words = list(sys.argv[1:] if argv is None else argv)
    first = next((word for word in words if not word.startswith("-")), None)
    if first in COMMANDS:
        return (COMMANDS[first],)
    if first is None and "--version" in words:
        return ()
    return tuple(
        sorted(
            info.name for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")
        )
    )


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """Build the parser for ``argv``: only the named command's module is imported.

    Args:
        argv: the command line without the program name (``sys.argv[1:]`` when ``None``).
    """
    parser = _Parser(
        prog="liturgia",
        description="Turn a software release into a verifiable, gated event.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"liturgia {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="debug logs, and tracebacks on errors"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in command_modules(argv):
        module = importlib.import_module(f"{__name__}.{name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the process exit code (never raises for user errors)."""
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help(sys.stderr)
        return 2
    # SIGTERM (a CI job cancelled or timed out) unwinds like Ctrl-C, so the work in progress is
    # cleaned up (staging folders removed) instead of left half-written.
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main else None
    try:
        return int(func(args))
    except LiturgiaError as exc:
        if args.verbose:
            logging.getLogger(__name__).exception("error")
        print_error(exc.diagnostics() if args.verbose else str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        print_error("interrupted")
        return 130
    except _Terminated:
        print_error("terminated")
        return 143
    except Exception as exc:
        if args.verbose:
            logging.getLogger(__name__).exception("internal error")
        print_error(
            f"internal error: {type(exc).__name__}: {exc} "
            "(a bug in liturgia: please report it with the output of -v)"
        )
        return 4
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous)


class _Terminated(BaseException):
    """Raised in the main thread when SIGTERM arrives."""


def _terminate(signum: int, frame: object) -> None:
    del signum, frame
    raise _Terminated
