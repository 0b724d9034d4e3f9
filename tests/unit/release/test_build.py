from __future__ import annotations

import sys
from pathlib import Path

import pytest

from liturgia.errors import ConfigError, InputError
from liturgia.release.build import collect_artifacts, expand, run_command


def test_expand_placeholders_and_unknown_ones() -> None:
    assert expand(
        "out={build_dir} v{version}", {"build_dir": "/b", "version": "1.0.0"}, where="w"
    ) == ("out=/b v1.0.0")
    with pytest.raises(ConfigError, match=r"build.commands\[0\]: .*unknown placeholder 'dist'"):
        expand("{dist}/x", {"build_dir": "/b"}, where="build.commands[0]")


def test_run_command_uses_this_python_and_exports_version(tmp_path: Path) -> None:
    result = run_command(
        "python -c 'import os, sys; print(sys.executable, os.environ[\"LITURGIA_VERSION\"])'",
        cwd=tmp_path,
        version="1.2.3",
        check=True,
        where="w",
    )
    assert result.returncode == 0
    assert result.output.strip() == f"{sys.executable} 1.2.3"


def test_failing_command_quotes_its_output(tmp_path: Path) -> None:
    command = "python -c 'import sys; print(\"compiler says no\"); sys.exit(7)'"
    with pytest.raises(InputError, match=r"build.commands\[1\]: .* exit code 7: compiler says no"):
        run_command(command, cwd=tmp_path, version="1.0.0", check=True, where="build.commands[1]")
    recorded = run_command(command, cwd=tmp_path, version="1.0.0", check=False, where="t")
    assert recorded.returncode == 7


@pytest.mark.parametrize(
    ("command", "message"),
    [
        ("no-such-program-liturgia --x", "'no-such-program-liturgia': program not found"),
        ("python -c 'unterminated", "cannot parse"),
        ("   ", "empty command"),
    ],
)
def test_bad_command_lines(tmp_path: Path, command: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        run_command(command, cwd=tmp_path, version="1.0.0", check=True, where="w")


def test_timeout(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="timed out after 0 s"):
        run_command(
            "python -c 'import time; time.sleep(5)'",
            cwd=tmp_path,
            version="1",
            check=True,
            where="w",
            timeout_s=0.2,
        )


def test_collect_artifacts(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x-1.whl").write_bytes(b"w")
    (tmp_path / "a" / "x-1.tar.gz").write_bytes(b"s")
    (tmp_path / "a" / "sub.whl").mkdir()
    found = collect_artifacts(
        ["a/*.whl", "a/*.tar.gz", str(tmp_path / "a" / "*.whl")], base=tmp_path
    )
    assert [p.name for p in found] == ["x-1.tar.gz", "x-1.whl"]
    with pytest.raises(InputError, match=r"'a/\*.zip' matches no file"):
        collect_artifacts(["a/*.zip"], base=tmp_path)
    with pytest.raises(ConfigError, match="no artifact patterns"):
        collect_artifacts([], base=tmp_path)
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x-1.whl").write_bytes(b"other")
    with pytest.raises(InputError, match="have the same file name"):
        collect_artifacts(["*/x-1.whl"], base=tmp_path)
