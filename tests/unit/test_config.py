from __future__ import annotations

from pathlib import Path

import pytest

from liturgia.config import default_signing_key_path, find_config, load_config
from liturgia.errors import ConfigError
from liturgia.release.starter import render_starter


def test_starter_of_an_empty_folder_is_valid_and_commented(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    text, name, projects = render_starter(folder)
    assert (name.name, name.source, projects) == ("demo", "folder name", ())
    assert text.count("#") > 10
    (folder / "liturgia.toml").write_text(text)
    loaded = load_config(folder)
    assert loaded.settings.project.name == "demo"
    assert loaded.settings.gates.coverage_min == 80
    assert loaded.settings.build.commands == ()
    assert loaded.settings.scan.vulndb is True
    assert loaded.resolve("x") == (folder / "x").resolve()


def test_pyproject_tool_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "p"\n\n[tool.liturgia.project]\nname = "pp"\n'
    )
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
    assert load_config(tmp_path).settings.project.name == "pp"


def test_dedicated_file_wins_and_files_are_not_merged(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.liturgia.project]\nname = "from-pyproject"\n'
        "[tool.liturgia.gates]\ncoverage_min = 1\n"
    )
    (tmp_path / "liturgia.toml").write_text('[project]\nname = "from-file"\n')
    settings = load_config(tmp_path).settings
    assert settings.project.name == "from-file"
    assert settings.gates.coverage_min == 80


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('[project]\nname = "x"\nflavour = 1\n', "liturgia.toml: project.flavour: unknown key"),
        ("[build]\ncommands = []\n", "liturgia.toml: project: required key is missing"),
        ('[project]\nname = "x"\n[gates]\ncoverage_min = 120\n', "gates.coverage_min"),
        ('[project]\nname = "x"\n[gates]\nfail_on = "severe"\n', "gates.fail_on"),
        ('[project]\nname = "bad name"\n', "project.name"),
        ("[project\n", "invalid TOML"),
    ],
)
def test_invalid_documents_name_file_and_key(tmp_path: Path, document: str, message: str) -> None:
    (tmp_path / "liturgia.toml").write_text(document)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_config(tmp_path)


def test_pyproject_tool_section_errors_are_prefixed(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.liturgia]\nproject = { name = "x", y = 1 }\n')
    with pytest.raises(ConfigError, match=r"pyproject.toml: tool.liturgia.project.y: unknown key"):
        load_config(tmp_path)


def test_missing_folder_and_missing_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="project folder not found"):
        load_config(tmp_path / "nowhere")
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "p"\n')
    with pytest.raises(ConfigError, match=r"no liturgia.toml and no \[tool.liturgia\]"):
        load_config(tmp_path)


def test_default_signing_key_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert default_signing_key_path() == tmp_path / "liturgia" / "keys" / "release.key"
    monkeypatch.setenv("LITURGIA_KEY", "~/k.key")
    assert default_signing_key_path() == Path("~/k.key").expanduser()


def test_scan_database_is_the_index_or_folders(tmp_path: Path) -> None:
    (tmp_path / "liturgia.toml").write_text('[project]\nname = "p"\n[scan]\nvulndb = true\n')
    scan = load_config(tmp_path).settings.scan
    assert (scan.vulndb, scan.osv) == (True, ())
    (tmp_path / "liturgia.toml").write_text('[project]\nname = "p"\n[scan]\nvulndb = "yes"\n')
    with pytest.raises(ConfigError, match=r"scan\.vulndb: expected true or false"):
        load_config(tmp_path)


def test_build_python_setting(tmp_path: Path) -> None:
    (tmp_path / "liturgia.toml").write_text(
        '[project]\nname = "p"\n[build]\npython = ".venv/bin/python"\n'
    )
    assert load_config(tmp_path).settings.build.python == ".venv/bin/python"
    (tmp_path / "liturgia.toml").write_text('[project]\nname = "p"\n[build]\npython = ""\n')
    with pytest.raises(ConfigError, match=r"build\.python"):
        load_config(tmp_path)
