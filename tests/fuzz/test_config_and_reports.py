"""Fuzz: configuration files, the test reports a release reads, and chaos results.

* ``load_config`` over edits of a real ``liturgia.toml`` (the vertice example's) and of a
  ``pyproject.toml`` with ``[tool.liturgia]``, and over TOML values put anywhere in it: only
  ConfigError;
* the release's JUnit and Cobertura readers (``check_tests``, ``check_coverage``) over edits of
  real reports: a failed check naming the file, never an exception;
* ``liturgia chaos report``'s ``read_result``: only InputError;
* every reader of outside XML (the two above, CycloneDX XML, pom.xml) on an unusable encoding.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liturgia.config import load_config
from liturgia.errors import ConfigError, InputError
from liturgia.release.chaos import read_result
from liturgia.release.gates import check_coverage, check_tests
from liturgia.sbom.catalogers import MavenPomCataloger
from liturgia.sbom.formats import read_sbom
from tests.conftest import EXAMPLE, ROOT
from tests.fuzz.mutations import EDITS, mutate, replace_somewhere
from tests.fuzz.profile import fuzz

LITURGIA_TOML = (EXAMPLE / "liturgia.toml").read_bytes()
PYPROJECT = (ROOT / "pyproject.toml").read_bytes()
JUNIT = b"""<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="1" skipped="1" tests="3" time="0.5">
<testcase classname="tests.test_a" name="test_ok" time="0.1"/>
<testcase classname="tests.test_a" name="test_bad" time="0.1"><failure message="assert 1 == 2">
boom</failure></testcase>
<testcase classname="tests.test_a" name="test_skip" time="0"><skipped message="later"/></testcase>
</testsuite></testsuites>
"""
COBERTURA = b"""<?xml version="1.0" ?>
<coverage version="7.6" timestamp="1" lines-valid="10" lines-covered="9" line-rate="0.9"
 branches-valid="4" branches-covered="3" branch-rate="0.75" complexity="0">
<sources><source>src</source></sources>
<packages><package name="app" line-rate="0.9" branch-rate="0.75" complexity="0"><classes>
<class name="a.py" filename="app/a.py" complexity="0" line-rate="0.9" branch-rate="0.75">
<methods/><lines><line number="1" hits="1"/><line number="2" hits="0" branch="true"
 condition-coverage="50% (1/2)"/></lines></class></classes></package></packages></coverage>
"""
CHAOS = json.dumps(
    {
        "experiment": "kill9",
        "fault": "SIGKILL",
        "duration_s": 10.5,
        "load": "16 clients",
        "availability": 0.99,
        "time_to_recover_s": 0.4,
        "acknowledged": 10,
        "lost": 0,
    }
).encode()
TOML_VALUES = st.recursive(
    st.booleans() | st.integers() | st.text(max_size=8) | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


def _load(folder: Path) -> None:
    try:
        load_config(folder)
    except ConfigError as exc:
        assert str(folder) in str(exc), exc


def test_seeds_load(tmp_path: Path) -> None:
    (tmp_path / "liturgia.toml").write_bytes(LITURGIA_TOML)
    assert load_config(tmp_path).settings.project.name == "vertice"
    assert check_tests([_write(tmp_path, "junit.xml", JUNIT)]).summary.startswith("3 tests")
    assert check_coverage(_write(tmp_path, "c.xml", COBERTURA), minimum_percent=50).passed


def _write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


@fuzz()
@given(edits=EDITS, pyproject=st.booleans())
def test_config_byte_mutations(
    tmp_path: Path, edits: list[tuple[int, int, bytes]], pyproject: bool
) -> None:
    for stale in ("liturgia.toml", "pyproject.toml"):
        (tmp_path / stale).unlink(missing_ok=True)
    name, seed = ("pyproject.toml", PYPROJECT) if pyproject else ("liturgia.toml", LITURGIA_TOML)
    _write(tmp_path, name, mutate(seed, edits))
    _load(tmp_path)


def _toml(value: object) -> str:
    """TOML text for a table (inline values; keys quoted as JSON strings, which TOML accepts)."""
    if isinstance(value, dict):
        inner = ", ".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value) if value == value and abs(value) != float("inf") else "0.0"
    return json.dumps(value) if isinstance(value, str) else str(value)


@fuzz()
@given(where=st.lists(st.integers(0, 30), max_size=3), value=TOML_VALUES)
def test_config_value_mutations(tmp_path: Path, where: list[int], value: object) -> None:
    document = replace_somewhere(tomllib.loads(LITURGIA_TOML.decode()), where, value)
    if not isinstance(document, dict):
        document = {"project": document}
    text = "\n".join(f"{json.dumps(str(k))} = {_toml(v)}" for k, v in document.items())
    _write(tmp_path, "liturgia.toml", text.encode())
    _load(tmp_path)


@fuzz()
@given(edits=EDITS, junit=st.booleans())
def test_report_mutations(tmp_path: Path, edits: list[tuple[int, int, bytes]], junit: bool) -> None:
    if junit:
        path = _write(tmp_path, "junit.xml", mutate(JUNIT, edits))
        result = check_tests([path])
    else:
        path = _write(tmp_path, "coverage.xml", mutate(COBERTURA, edits))
        result = check_coverage(path, minimum_percent=50)
    if not result.passed and "unusable" in result.summary:
        assert any(str(path) in line for line in result.evidence), result


@fuzz()
@given(edits=EDITS)
def test_chaos_result_mutations(tmp_path: Path, edits: list[tuple[int, int, bytes]]) -> None:
    path = _write(tmp_path, "result.json", mutate(CHAOS, edits))
    try:
        read_result(path)
    except InputError as exc:
        assert str(exc).startswith(str(path)), exc


# Regressions: inputs the targets found, kept as they were found.
@pytest.mark.parametrize("encoding", ["u-tf-8", "hex"])
def test_found_xml_declaring_an_unusable_encoding(tmp_path: Path, encoding: str) -> None:
    """``encoding="u-tf-8"`` (unknown) or ``"hex"`` (not a text codec) raised LookupError in
    every reader of outside XML; each now refuses the document as malformed, naming it."""
    head = f'<?xml version="1.0" encoding="{encoding}"?>'.encode()
    junit = _write(tmp_path, "junit.xml", head + JUNIT.split(b"?>", 1)[1])
    result = check_tests([junit])
    assert not result.passed and "is not well-formed XML" in result.evidence[-1]
    coverage = _write(tmp_path, "coverage.xml", head + COBERTURA.split(b"?>", 1)[1])
    result = check_coverage(coverage, minimum_percent=50)
    assert not result.passed and str(coverage) in result.evidence[0]
    with pytest.raises(InputError, match=r"bom\.xml: not well-formed XML: XML declaration"):
        read_sbom(head + b'<bom xmlns="http://cyclonedx.org/schema/bom/1.6"/>', source="bom.xml")
    pom = _write(tmp_path, "pom.xml", head + b"<project/>")
    with pytest.raises(InputError, match=r"pom\.xml: not well-formed XML"):
        MavenPomCataloger().catalog(pom, found_in="pom.xml")
