from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from liturgia import __version__, cli
from liturgia.cli import main
from liturgia.config import load_config


def test_version_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"liturgia {__version__}"
    assert main([]) == 2
    assert "release" in capsys.readouterr().err


def test_unknown_option_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["release", "--frobnicate"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --frobnicate" in err
    assert len(err.strip().splitlines()) == 1


def test_init_writes_a_valid_config_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = tmp_path / "My Project"
    project.mkdir()
    assert main(["init", "--project", str(project)]) == 0
    assert load_config(project).settings.project.name == "My-Project"
    assert main(["init", "--project", str(project)]) == 2
    assert "already exists (use --force" in capsys.readouterr().err
    assert main(["init", "--project", str(project), "--force", "--name", "other"]) == 0
    assert load_config(project).settings.project.name == "other"
    assert main(["init", "--project", str(tmp_path / "missing")]) == 2


def test_verify_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", str(tmp_path / "missing")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["verify", str(tmp_path)]) == 2
    assert "no public key to trust: pass --key" in capsys.readouterr().err


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    (action,) = [
        action
        for action in parser._actions  # argparse keeps its sub-commands only here
        if isinstance(action, argparse._SubParsersAction)
    ]
    return set(action.choices)


def test_command_table_matches_what_the_modules_register() -> None:
    assert _subcommands(cli.build_parser(["--help"])) == set(cli.COMMANDS)
    assert set(cli.COMMANDS.values()) <= set(cli.command_modules(["--help"]))
    assert cli.command_modules(["--version"]) == ()
    for command, module in cli.COMMANDS.items():
        assert cli.command_modules(["-v", command, "--x"]) == (module,)
        # Only the named command's module is imported, and it registers that command.
        assert command in _subcommands(cli.build_parser([command]))


@pytest.mark.parametrize("text", ["0", "-1", "nan", "inf", "-inf", "abc", "1e400"])
def test_timeouts_must_be_positive_finite_seconds(
    text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Found by a tester: --timeout -1, nan or inf ended in an internal error (exit 4)."""
    from liturgia.cli._common import positive_seconds  # noqa: PLC0415

    with pytest.raises(argparse.ArgumentTypeError, match="seconds"):
        positive_seconds(text)
    assert positive_seconds("2.5") == 2.5
    for command in (["log", "monitor", "http://127.0.0.1:9"], ["verify", "x", "--online"]):
        with pytest.raises(SystemExit) as stopped:
            main([*command, "--timeout", text])
        assert stopped.value.code == 2
        assert "argument --timeout" in capsys.readouterr().err
