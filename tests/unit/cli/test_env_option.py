"""Every option's environment twin goes through one helper: flag > environment > default."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from liturgia.cli._common import env_option


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="t", exit_on_error=False)
    env_option(parser, "--flag", "T_FLAG", "a flag", action="store_true")
    env_option(parser, "--port", "T_PORT", "a port", type=int, default=8080)
    env_option(parser, "--workers", "T_WORKERS", "workers", type=int, default=1, lenient=True)
    env_option(parser, "--root", "T_ROOT", "a folder", type=Path)
    return parser


@pytest.mark.parametrize(
    ("value", "on"),
    [("1", True), ("TRUE", True), ("yes", True), (" on ", True), ("0", False), ("no", False),
     ("off", False), ("", False), ("maybe", False)],
)  # fmt: skip
def test_flags_read_boolean_words(value: str, on: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("T_FLAG", value)
    assert _parser().parse_args([]).flag is on
    assert _parser().parse_args(["--flag"]).flag is True


def test_values_go_through_the_type_and_the_command_line_wins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert vars(_parser().parse_args([])) == {
        "flag": False, "port": 8080, "workers": 1, "root": None,
    }  # fmt: skip
    monkeypatch.setenv("T_PORT", "9191")
    monkeypatch.setenv("T_ROOT", "some/dir")
    monkeypatch.setenv("T_WORKERS", "4")
    args = _parser().parse_args([])
    assert (args.port, args.root, args.workers) == (9191, Path("some/dir"), 4)
    assert _parser().parse_args(["--port", "1"]).port == 1
    monkeypatch.setenv("T_WORKERS", "many")  # lenient: ignored, the default stays
    assert _parser().parse_args([]).workers == 1
    monkeypatch.setenv("T_PORT", "nope")  # strict: a usage error naming the option
    with pytest.raises(argparse.ArgumentError, match="argument --port: invalid int value: 'nope'"):
        _parser().parse_args([])
    assert _parser().parse_args(["--port", "2"]).port == 2  # unless the flag is given


def test_help_names_the_variable() -> None:
    text = _parser().format_help()
    for variable in ("T_FLAG", "T_PORT", "T_WORKERS", "T_ROOT"):
        assert f"[env {variable}]" in text
