"""Streaming JSON: arrays written element by element, as valid, deterministic JSON."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from liturgia._internal.files import atomic_writer
from liturgia._internal.jsonstream import Stream, write_json
from liturgia.errors import StorageError


class _Recorder(io.BytesIO):
    """Records the order of writes and element productions."""

    def __init__(self, log: list[str]) -> None:
        super().__init__()
        self.log = log

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.log.append("write")
        return super().write(data)


def test_elements_are_written_as_they_are_produced() -> None:
    log: list[str] = []

    def produce() -> Iterator[dict[str, int]]:
        for number in range(3):
            log.append(f"make {number}")
            yield {"n": number}

    out = _Recorder(log)
    write_json(out, {"items": Stream(produce()), "total": 3})
    # Each element is written before the next one exists: nothing accumulates.
    made = [i for i, entry in enumerate(log) if entry.startswith("make")]
    assert all("write" in log[a:b] for a, b in itertools.pairwise(made))
    assert json.loads(out.getvalue()) == {"items": [{"n": 0}, {"n": 1}, {"n": 2}], "total": 3}


def test_layout_nesting_and_empty_streams() -> None:
    out = io.BytesIO()
    document = {"b": Stream([]), "a": [{"c": Stream(["é", None])}], "d": {"e": 1.5}}
    write_json(out, document)
    assert out.getvalue().decode() == (
        '{\n  "a": [\n    {\n      "c": [\n        "é",\n        null\n      ]\n    }\n  ],\n'
        '  "b": [],\n  "d": {"e": 1.5}\n}\n'
    )


def test_atomic_writer_keeps_the_old_file_when_the_block_fails(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_bytes(b"old")
    with pytest.raises(TypeError), atomic_writer(target) as out:
        write_json(out, {"x": Stream([object()])})
    assert target.read_bytes() == b"old"
    assert list(tmp_path.iterdir()) == [target]
    with atomic_writer(target) as out:
        write_json(out, {"x": Stream([1])})
    assert json.loads(target.read_bytes()) == {"x": [1]}
    blocked = tmp_path / "file"
    blocked.write_text("")
    with pytest.raises(StorageError, match="cannot write"), atomic_writer(blocked / "x") as out:
        out.write(b"never")
