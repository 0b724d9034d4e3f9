"""Fuzz: advisory sources, ignore files and VEX documents raise only InputError.

* ``read_advisory_source`` (what ``vulndb import`` and ``scan --osv`` read) over edits of real OSV
  records (JSON and YAML, tests/fixtures/osv) and a RustSec advisory: a bad file is a warning
  naming it or an InputError, never another exception;
* ``load_ignore_file`` and ``load_unchecked_rules`` over edits of an ignore file;
* ``parse_vex`` over edits of an OpenVEX and a CycloneDX VEX document.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liturgia.errors import InputError
from liturgia.vuln.ignore import load_ignore_file, load_unchecked_rules
from liturgia.vuln.index import read_advisory_source
from liturgia.vuln.vex import parse_vex
from tests.conftest import CORPUS
from tests.fuzz.mutations import EDITS, JSON, mutate, replace_somewhere
from tests.fuzz.profile import fuzz

OSV = CORPUS / "osv"
_GO = sorted((OSV / "go").rglob("*.json"))[0]
SEEDS = {
    "record.json": _GO.read_bytes(),
    "record.yaml": sorted((OSV / "pypi" / "vulns").rglob("*.yaml"))[0].read_bytes(),
    "RUSTSEC-2020-0019.md": next((OSV / "rustsec").rglob("RUSTSEC-2020-0019.md")).read_bytes(),
}
IGNORE = b"""\
[[ignore]]
id = "GHSA-jf85-cpcp-j695"
component = "pkg:npm/lodash"
reason = "defaultsDeep is never called with user input"
expires = 2026-12-31

[[unchecked]]
component = "pkg:pypi/requests"
reason = "pinned by the deployment's constraints file"
expires = 2026-12-31
"""
VEX = {
    "openvex": {
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.invalid/vex/1",
        "author": "release team",
        "timestamp": "2026-11-01T00:00:00Z",
        "version": 1,
        "statements": [
            {
                "vulnerability": {"name": "CVE-2020-8203"},
                "products": [{"@id": "pkg:github/acme/vertice@v1"}],
                "subcomponents": [{"@id": "pkg:npm/lodash"}],
                "status": "not_affected",
                "justification": "vulnerable_code_not_in_execute_path",
            }
        ],
    },
    "cyclonedx": {
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "vulnerabilities": [
            {
                "id": "CVE-2020-8203",
                "affects": [{"ref": "pkg:npm/lodash@4.17.15"}],
                "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
            }
        ],
    },
}


def test_seeds_are_advisories(tmp_path: Path) -> None:
    for name, data in SEEDS.items():
        (tmp_path / name).write_bytes(data)
        advisories, warnings, files = read_advisory_source(tmp_path / name)
        assert (len(advisories), warnings, files) == (1, [], 1), name


@pytest.mark.parametrize("name", sorted(SEEDS))
@fuzz()
@given(edits=EDITS)
def test_advisory_file_mutations(
    name: str, tmp_path: Path, edits: list[tuple[int, int, bytes]]
) -> None:
    path = tmp_path / name
    path.write_bytes(mutate(SEEDS[name], edits))
    try:
        _, warnings, _ = read_advisory_source(path)
    except InputError as exc:
        assert str(exc).startswith(str(path)), exc
        return
    assert all(name in warning for warning in warnings), warnings


@fuzz()
@given(where=st.lists(st.integers(0, 40), max_size=5), value=JSON)
def test_osv_json_shape_mutations(tmp_path: Path, where: list[int], value: object) -> None:
    path = tmp_path / "record.json"
    path.write_text(json.dumps(replace_somewhere(json.loads(SEEDS["record.json"]), where, value)))
    try:
        read_advisory_source(path)
    except InputError as exc:
        assert str(exc).startswith(str(path)), exc


@fuzz()
@given(edits=EDITS)
def test_ignore_file_mutations(tmp_path: Path, edits: list[tuple[int, int, bytes]]) -> None:
    path = tmp_path / "ignore.toml"
    path.write_bytes(mutate(IGNORE, edits))
    for load in (load_ignore_file, load_unchecked_rules):
        try:
            load(path)
        except InputError as exc:
            assert str(exc).startswith(str(path)), exc


@pytest.mark.parametrize("kind", sorted(VEX))
@fuzz()
@given(where=st.lists(st.integers(0, 40), max_size=5), value=JSON, edits=EDITS, raw=st.booleans())
def test_vex_mutations(
    kind: str, where: list[int], value: object, edits: list[tuple[int, int, bytes]], raw: bool
) -> None:
    data = json.dumps(replace_somewhere(VEX[kind], where, value)).encode()
    if raw:
        data = mutate(data, edits)
    try:
        parse_vex(data, source="vex.json")
    except InputError as exc:
        assert str(exc).startswith("vex.json"), exc


# Regressions: inputs the targets above found, kept as they were found.
def test_found_cyclonedx_vex_state_that_is_not_a_string() -> None:
    """A CycloneDX analysis.state given as an array raised TypeError (unhashable)."""
    document = json.loads(json.dumps(VEX["cyclonedx"]))
    document["vulnerabilities"][0]["analysis"]["state"] = []
    assert parse_vex(json.dumps(document).encode(), source="vex.json") == ()
