"""Coverage-guided fuzzing with atheris (libFuzzer for Python), beside the hypothesis targets.

Run one target over a corpus folder (the seeds the test writes, or your own)::

    .venv/bin/python tests/fuzz/atheris_targets.py TARGET CORPUS_DIR -runs=5000
    .venv/bin/python tests/fuzz/atheris_targets.py sbom corpus/ -max_total_time=3600  # long

Targets and the only exceptions each parser may raise for bad input:

* ``sbom``: :func:`liturgia.sbom.formats.read_sbom` (CycloneDX JSON/XML, SPDX JSON):
  InputError;
* ``checkpoint``: :meth:`SignedNote.parse` then :meth:`Checkpoint.from_text`
  (c2sp.org/signed-note, c2sp.org/tlog-checkpoint): ProofError;
* ``summaries``: the gate's readers of k6, Locust CSV and JSON and chaos reports (the first
  byte picks one): ReportError.

Anything else is a crash: libFuzzer stops, writes the input as ``crash-<sha1>`` in the working
folder and exits non-zero; keep it as a regression test beside the hypothesis targets.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["liturgia"]):
    from liturgia.errors import InputError, ProofError
    from liturgia.release.gates._xml import ReportError
    from liturgia.release.gates.resilience import (
        _chaos_figures,
        _k6,
        _locust_csv,
        _locust_json,
    )
    from liturgia.sbom.formats import read_sbom
    from liturgia.tlog.checkpoint import Checkpoint, SignedNote

_PATH = Path("summary")


def _sbom(data: bytes) -> None:
    with contextlib.suppress(InputError):
        read_sbom(data, source="fuzz.json")


def _checkpoint(data: bytes) -> None:
    try:
        note = SignedNote.parse(data)
        Checkpoint.from_text(note.text)
    except ProofError:
        pass


def _json_then(reader: Callable[[object, Path], object], data: bytes) -> None:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, RecursionError, ValueError):
        return
    reader(document, _PATH)


def _summaries(data: bytes) -> None:
    if not data:
        return
    kind, body = data[0] % 4, data[1:]
    try:
        if kind == 0:
            _locust_csv(body, _PATH)
        else:
            _json_then((_k6, _locust_json, _chaos_figures)[kind - 1], body)
    except ReportError:
        pass


TARGETS: dict[str, Callable[[bytes], None]] = {
    "sbom": _sbom,
    "checkpoint": _checkpoint,
    "summaries": _summaries,
}


def main() -> None:
    """``atheris_targets.py TARGET [libFuzzer arguments]``."""
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(TARGETS)}}} [CORPUS_DIR] [-runs=N ...]")
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
