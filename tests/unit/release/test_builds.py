"""Several builds per project (``[[builds]]``): targets, environment, archives, preflight."""

from __future__ import annotations

import gzip
import os
import sys
import tarfile
from pathlib import Path

import pytest
from tests.conftest import EXAMPLE

from liturgia.config import load_config
from liturgia.errors import ConfigError, InputError
from liturgia.release import stages
from liturgia.release.builds import (
    all_builds,
    build_steps,
    check_go_sources,
    run_builds,
    write_reproducible_tgz,
)

PY = sys.executable


def _project(tmp_path: Path, builds: str, build: str = "") -> Path:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    (project / "liturgia.toml").write_text(
        f'[project]\nname = "demo"\n\n{build}\n{builds}\n', encoding="utf-8"
    )
    return project


def _values(tmp_path: Path) -> dict[str, str]:
    build_dir = tmp_path / "work" / "build"
    build_dir.mkdir(parents=True, exist_ok=True)
    return {"build_dir": str(build_dir), "version": "1.2.3", "project": str(tmp_path)}


def test_targets_expand_os_arch_exe_in_commands_and_env(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        """
[[builds]]
name = "cli"
ecosystem = "go"
targets = ["linux/arm64", "windows/amd64"]
env = { GOOS = "{os}", GOARCH = "{arch}" }
commands = ["tool -o {build_dir}/x-{version}-{os}-{arch}{exe}"]
artifacts = ["{build_dir}/x-*"]
""",
    )
    config = load_config(project)
    values = _values(tmp_path)
    steps = build_steps(config, config.settings.builds[0], values)
    assert [(s.where, s.command, dict(s.env)) for s in steps] == [
        (
            "builds[cli].commands[0] (linux/arm64)",
            f"tool -o {values['build_dir']}/x-1.2.3-linux-arm64",
            {"GOARCH": "arm64", "GOOS": "linux"},
        ),
        (
            "builds[cli].commands[0] (windows/amd64)",
            f"tool -o {values['build_dir']}/x-1.2.3-windows-amd64.exe",
            {"GOARCH": "amd64", "GOOS": "windows"},
        ),
    ]


def test_builds_run_in_their_folder_with_their_env_and_are_collected(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(
        tmp_path,
        f"""
[[builds]]
name = "one"
dir = "sub"
targets = ["linux/amd64", "darwin/arm64"]
env = {{ TARGET = "{{os}}-{{arch}}" }}
commands = ["{PY} ../write.py"]
artifacts = ["{{build_dir}}/one-*"]
""",
    )
    (project / "write.py").write_text(
        "import os, pathlib\n"
        "out = pathlib.Path(os.environ['OUT']) / ('one-' + os.environ['TARGET'])\n"
        "out.write_text(os.getcwd())\n"
    )
    (project / "sub").mkdir()
    values = _values(tmp_path)
    monkeypatch.setenv("OUT", values["build_dir"])
    built = run_builds(load_config(project), values, python=None)
    assert [(b.path.name, b.build, b.ecosystem) for b in built] == [
        ("one-darwin-arm64", "one", "generic"),
        ("one-linux-amd64", "one", "generic"),
    ]
    assert built[0].path.read_text() == str(project / "sub")


def test_two_builds_with_one_name_are_a_config_error(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        '[[builds]]\nname = "a"\nartifacts = ["x"]\n\n[[builds]]\nname = "a"\nartifacts = ["y"]\n',
    )
    with pytest.raises(ConfigError, match="two builds are named 'a'"):
        all_builds(load_config(project))


def test_a_bad_target_names_the_key(tmp_path: Path) -> None:
    project = _project(tmp_path, '[[builds]]\nname = "a"\ntargets = ["linux-amd64"]\n')
    with pytest.raises(ConfigError, match=r"builds\.0\.targets\.0"):
        load_config(project)


def test_missing_toolchain_is_named_with_how_to_install_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    marker = tmp_path / "ran"
    project = _project(
        tmp_path,
        """
[[builds]]
name = "cli"
ecosystem = "go"
dir = "."
commands = ["go build ./..."]
artifacts = ["x"]
""",
        build=f"[build]\ncommands = [\"{PY} -c \\\"open('{marker}', 'w')\\\"\"]\n",
    )
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(ConfigError) as caught:
        stages.check_programs(load_config(project), _values(tmp_path))
    message = str(caught.value)
    assert "builds[cli].commands[0]: 'go': program not found on PATH" in message
    assert "apt-get install golang-go" in message
    assert not marker.exists()


def test_reproducible_tgz_is_the_same_bytes_whatever_the_files_times_and_modes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    outs = []
    for run, (mtime, mode) in enumerate(((1_000_000, 0o600), (2_000_000, 0o644))):
        root = tmp_path / f"root{run}"
        (root / "b").mkdir(parents=True)
        # Created in another order each time: the archive's order is by name.
        files = [root / "a.js", root / "b" / "z.js"]
        if run:
            files.reverse()
        for path in files:
            path.write_text(path.name)
            path.chmod(mode)
            os.utime(path, (mtime, mtime))
        out = tmp_path / f"out{run}.tgz"
        write_reproducible_tgz(root, out, prefix="pkg-1.0")
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    with tarfile.open(tmp_path / "out0.tgz") as archive:
        members = archive.getmembers()
    assert [m.name for m in members] == ["pkg-1.0", "pkg-1.0/a.js", "pkg-1.0/b", "pkg-1.0/b/z.js"]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {
        (1700000000, 0, 0, "", "")
    }
    assert [m.mode for m in members] == [0o755, 0o644, 0o755, 0o644]
    header = outs[0][:10]
    assert int.from_bytes(header[4:8], "little") == 1700000000  # gzip MTIME
    assert header[3] & 0x08 == 0  # no FNAME: the header names no file
    assert gzip.decompress(outs[0])


def test_reproducible_tgz_refuses_a_link(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to("/etc/passwd")
    with pytest.raises(InputError, match="link: not a file or folder"):
        write_reproducible_tgz(root, tmp_path / "out.tgz", prefix="p")
    assert not (tmp_path / "out.tgz").exists()


def test_archive_root_missing_after_the_build_names_the_setting(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        '[[builds]]\nname = "web"\narchive = { name = "web-{version}.tgz", root = "out" }\n',
    )
    with pytest.raises(InputError, match=r"builds\[web\]\.archive\.root: 'out' is not a folder"):
        run_builds(load_config(project), _values(tmp_path), python=None)


def test_a_missing_debian_go_module_folder_is_a_preflight_error_naming_the_package(
    tmp_path: Path,
) -> None:
    project = _project(
        tmp_path,
        """
[[builds]]
name = "cli"
ecosystem = "go"
dir = "cli"
targets = ["linux/amd64"]
commands = ["go build -modfile=go.offline.mod -o {build_dir}/x ."]
artifacts = ["{build_dir}/x"]
""",
    )
    (project / "cli").mkdir()
    (project / "cli" / "local").mkdir()
    (project / "cli" / "go.offline.mod").write_text(
        "module example.test/cli\n\ngo 1.19\n\n"
        "require (\n\texample.test/local v1.0.0\n\tgithub.com/acme/Widget v1.2.0\n)\n\n"
        "replace example.test/local => ./local\n\n"
        "replace github.com/acme/Widget => /usr/share/gocode/src/github.com/acme/Widget\n"
    )
    with pytest.raises(ConfigError) as caught:
        stages.check_programs(load_config(project), _values(tmp_path))
    assert str(caught.value) == (
        "builds[cli].commands[0] (linux/amd64): go.offline.mod replaces github.com/acme/Widget "
        "by /usr/share/gocode/src/github.com/acme/Widget, which is not a folder; on Debian "
        "install golang-github-acme-widget-dev"
    )


def test_the_examples_go_module_folders_pass_the_preflight() -> None:
    config = load_config(EXAMPLE)
    values = {"build_dir": "/nonexistent", "version": "1.0.0", "project": str(EXAMPLE)}
    (cli,) = [spec for spec in config.settings.builds if spec.ecosystem == "go"]
    check_go_sources(build_steps(config, cli, values))


def test_one_file_claimed_by_two_builds_is_refused(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        """
[[builds]]
name = "web"
archive = { name = "web-{version}.tar.gz", root = "site" }

[[builds]]
name = "sdist"
artifacts = ["{build_dir}/*.tar.gz"]
""",
    )
    (project / "site").mkdir()
    (project / "site" / "index.html").write_text("<p>hi</p>")
    claimed = r"web-1\.2\.3\.tar\.gz is matched by the builds 'web' and 'sdist'"
    with pytest.raises(InputError, match=claimed):
        run_builds(load_config(project), _values(tmp_path), python=None)
