from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from liturgia.config import load_config
from liturgia.errors import ConfigError, InputError
from liturgia.release.build import collect_artifacts, expand, find_program, run_command
from liturgia.release.stages import interpreter


def test_expand_placeholders_and_unknown_ones() -> None:
    assert expand(
        "out={build_dir} v{version}", {"build_dir": "/b", "version": "1.0.0"}, where="w"
    ) == ("out=/b v1.0.0")
    with pytest.raises(ConfigError, match=r"build.commands\[0\]: .*unknown placeholder 'dist'"):
        expand("{dist}/x", {"build_dir": "/b"}, where="build.commands[0]")


def test_run_command_uses_the_configured_python_and_exports_version(tmp_path: Path) -> None:
    result = run_command(
        "python -c 'import os, sys; print(sys.executable, os.environ[\"LITURGIA_VERSION\"])'",
        cwd=tmp_path,
        version="1.2.3",
        check=True,
        where="w",
        python=Path(sys.executable),
    )
    assert result.returncode == 0
    assert result.output.strip() == f"{sys.executable} 1.2.3"


def _fake_python(folder: Path, name: str = "python") -> Path:
    """A program called ``python`` that says who it is: not liturgia's interpreter."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    program.write_text('#!/bin/sh\necho "project python $0 $*"\n', encoding="utf-8")
    program.chmod(0o755)
    return program


def test_python_is_found_on_path_as_the_user_has_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 10 item 10: `python` in a project's commands is never liturgia's own interpreter."""
    bin_dir = tmp_path / "bin"
    fake = _fake_python(bin_dir)
    _fake_python(bin_dir, "python3")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    for word in ("python", "python3"):
        result = run_command(f"{word} -m pytest", cwd=tmp_path, version="1", check=True, where="w")
        assert result.output == f"project python {bin_dir / word} -m pytest\n"
    assert find_program("python -V", cwd=tmp_path, python=None, where="w") == str(fake)
    # The explicit setting wins over PATH; a name with a slash is relative to the project.
    venv = _fake_python(tmp_path / ".venv" / "bin")
    assert find_program("python3 -V", cwd=tmp_path, python=venv, where="w") == str(venv)
    assert find_program(".venv/bin/python", cwd=tmp_path, python=None, where="w") == str(venv)


def test_a_missing_python_is_named_with_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(ConfigError) as caught:
        find_program("python -m build", cwd=tmp_path, python=None, where="build.commands[0]")
    assert str(caught.value) == (
        "build.commands[0]: 'python': program not found on PATH; set [build].python "
        "(or LITURGIA_PYTHON) to the interpreter the project's commands use"
    )
    with pytest.raises(ConfigError, match=r"'npm': program not found on PATH; install it"):
        find_program("npm ci", cwd=tmp_path, python=None, where="build.commands[1]")
    with pytest.raises(ConfigError, match=r"'./gradlew': program not found \(or not executable\)"):
        find_program("./gradlew build", cwd=tmp_path, python=None, where="w")
    (tmp_path / "gradlew").write_text("#!/bin/sh\n", encoding="utf-8")  # not executable
    with pytest.raises(ConfigError, match="not executable"):
        find_program("./gradlew build", cwd=tmp_path, python=None, where="w")


def test_failing_command_quotes_its_output(tmp_path: Path) -> None:
    command = f"{sys.executable} -c 'import sys; print(\"compiler says no\"); sys.exit(7)'"
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
            f"{sys.executable} -c 'import time; time.sleep(5)'",
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


def test_the_interpreter_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`[build].python` is relative to the project or a name on PATH; LITURGIA_PYTHON wins,
    relative to the current folder; unset, `python` is PATH's."""
    monkeypatch.delenv("LITURGIA_PYTHON", raising=False)
    config = tmp_path / "liturgia.toml"
    config.write_text('[project]\nname = "p"\n')
    assert interpreter(load_config(tmp_path)) is None
    venv = _fake_python(tmp_path / ".venv" / "bin")
    config.write_text('[project]\nname = "p"\n[build]\npython = ".venv/bin/python"\n')
    assert interpreter(load_config(tmp_path)) == venv
    bin_dir = tmp_path / "bin"
    named = _fake_python(bin_dir, "python3.99")
    monkeypatch.setenv("PATH", str(bin_dir))
    config.write_text('[project]\nname = "p"\n[build]\npython = "python3.99"\n')
    assert interpreter(load_config(tmp_path)) == named
    config.write_text('[project]\nname = "p"\n[build]\npython = "python2.1"\n')
    with pytest.raises(ConfigError, match=r"liturgia.toml: build.python: 'python2.1': interpreter"):
        interpreter(load_config(tmp_path))
    monkeypatch.chdir(tmp_path / ".venv")
    monkeypatch.setenv("LITURGIA_PYTHON", "bin/python")
    assert interpreter(load_config(tmp_path)) == venv
