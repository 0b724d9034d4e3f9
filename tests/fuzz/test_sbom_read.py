"""Fuzz: ``read_sbom`` (CycloneDX JSON and XML, SPDX JSON) raises only InputError.

Seeds are the three formats liturgia writes for a real project (tests/fixtures/sbom/js/npm);
targets edit their bytes and replace values anywhere in the JSON documents.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from liturgia.errors import InputError
from liturgia.sbom import catalog
from liturgia.sbom.formats import read_sbom, to_cyclonedx_json, to_cyclonedx_xml, to_spdx_json
from tests.conftest import CORPUS
from tests.fuzz.mutations import EDITS, JSON, mutate, replace_somewhere
from tests.fuzz.profile import fuzz

_INVENTORY = catalog([CORPUS / "sbom" / "js" / "npm"])
SEEDS = {
    "cyclonedx.json": to_cyclonedx_json(_INVENTORY),
    "cyclonedx.xml": to_cyclonedx_xml(_INVENTORY),
    "spdx.json": to_spdx_json(_INVENTORY),
}


def read(data: bytes, name: str) -> None:
    try:
        read_sbom(data, source=name)
    except InputError as exc:
        assert str(exc).startswith(f"{name}: "), exc


@pytest.mark.parametrize("name", sorted(SEEDS))
@fuzz()
@given(edits=EDITS)
def test_byte_mutations(name: str, edits: list[tuple[int, int, bytes]]) -> None:
    read(mutate(SEEDS[name], edits), name)


@pytest.mark.parametrize("name", ["cyclonedx.json", "spdx.json"])
@fuzz()
@given(where=st.lists(st.integers(0, 60), max_size=5), value=JSON)
def test_json_shape_mutations(name: str, where: list[int], value: object) -> None:
    document = replace_somewhere(json.loads(SEEDS[name]), where, value)
    read(json.dumps(document).encode(), name)


@fuzz()
@given(data=st.binary(max_size=200))
def test_any_bytes(data: bytes) -> None:
    read(data, "sbom.json")


# Regressions: inputs the targets above found, kept as they were found.
def test_found_spdx_ids_that_are_not_strings_are_ignored() -> None:
    """SPDX ids given as arrays in documentDescribes or relationships raised TypeError."""
    document = json.loads(SEEDS["spdx.json"])
    packages = len(document["packages"])
    document["documentDescribes"] = [[]]
    document["relationships"][0]["spdxElementId"] = []
    document["relationships"][1]["relatedSpdxElement"] = {"a": 1}
    inventory = read_sbom(json.dumps(document).encode(), source="spdx.json")
    assert len(inventory.components) + (inventory.root is not None) == packages


def test_found_spdx_checksum_algorithm_that_is_not_a_string() -> None:
    """A checksum whose algorithm is an array raised TypeError (unhashable); it is ignored."""
    document = json.loads(SEEDS["spdx.json"])
    package = next(p for p in document["packages"] if p.get("checksums"))
    package["checksums"][0]["algorithm"] = []
    inventory = read_sbom(json.dumps(document).encode(), source="spdx.json")
    read_back = next(c for c in inventory.components if c.bom_ref == package["SPDXID"])
    assert len(read_back.hashes) == len(package["checksums"]) - 1
