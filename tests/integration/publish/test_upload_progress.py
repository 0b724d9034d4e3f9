"""Upload progress: the publisher's ``sending`` events carry the bytes actually handed to the
network during real uploads (a pypiserver, a verdaccio, a docker-registry on loopback), and
``liturgia publish`` draws bars only on a terminal, one line per file otherwise."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import pytest

from liturgia import sign
from liturgia._internal.counted import UPLOAD_CHUNK
from liturgia.cli import main
from liturgia.config import load_config
from liturgia.publish import PublishEvent, configured_target, publish_release
from tests.integration.publish.conftest import (
    NpmReleases,
    Project,
    PypiServer,
    Release,
    Verdaccio,
    make_project,
)
from tests.integration.publish.test_oci_registry import Registry
from tests.integration.publish.test_publish_npm import project  # noqa: F401 - a fixture
from tests.integration.publish.test_publish_pypi import publish


def sending(folder: Path, root: Path, key: Path) -> tuple[dict[str, list[int]], dict[str, int]]:
    """Publish ``folder`` to ``root``'s staging target; ``({file: counts}, {file: size})``."""
    counts: dict[str, list[int]] = defaultdict(list)
    sizes: dict[str, int] = {}

    def keep(event: PublishEvent) -> None:
        if event.step == "sending":
            counts[event.file].append(event.sent)
            sizes[event.file] = event.size

    publish_release(
        folder,
        configured_target(load_config(root), "staging"),
        public_key=sign.load_public_key(key),
        progress=keep,
    )
    return counts, sizes


def check(counts: dict[str, list[int]], sizes: dict[str, int], folder: Path) -> None:
    for name, seen in counts.items():
        assert sizes[name] == (folder / name).stat().st_size, name
        assert seen[0] == 0 and seen[-1] == sizes[name], (name, seen)
        assert seen == sorted(seen), (name, seen)


def test_pypi_upload_reports_its_bytes(staging: Project) -> None:
    counts, sizes = sending(staging.release, staging.root, staging.public_key)
    assert set(counts) == {"vertice_backend-0.2.0-py3-none-any.whl", "vertice_backend-0.2.0.tar.gz"}
    check(counts, sizes, staging.release)


def test_npm_upload_reports_its_bytes(
    project: Path,  # noqa: F811 - the fixture imported above
    npm_releases: NpmReleases,
    verdaccio: Verdaccio,
) -> None:
    folder = project / "dist" / "tiny-0.1.1"
    counts, sizes = sending(folder, project, npm_releases.public_key)
    assert set(counts) == {"tiny-web-0.1.1.tgz"}
    check(counts, sizes, folder)


def test_oci_upload_reports_every_chunk_of_every_blob(
    tmp_path: Path, vertice_release: Release
) -> None:
    registry = Registry(tmp_path / "registry")
    try:
        table = f'[publish.staging]\nkind = "oci"\nurl = "{registry.url}"\nrepository = "a/v"\n'
        project = make_project(tmp_path / "project", vertice_release, table)
        counts, sizes = sending(project.release, project.root, project.public_key)
    finally:
        registry.stop()
    check(counts, sizes, project.release)
    largest = max(sizes, key=sizes.__getitem__)
    assert sizes[largest] > 4 * UPLOAD_CHUNK, sizes
    steps = [b - a for a, b in zip(counts[largest], counts[largest][1:], strict=False)]
    assert len(steps) == -(-sizes[largest] // UPLOAD_CHUNK)  # one report per chunk sent
    assert max(steps) == UPLOAD_CHUNK


def test_bars_only_on_a_terminal(
    staging: Project,
    pypiserver: PypiServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = publish(staging, capsys, "-v")  # --format json: lines, never bars
    assert code == 0, err
    assert err.count("↑ vertice_backend") == 2 and "kB" not in err
    assert json.loads(out)["uploaded"] == 2

    # A terminal (FORCE_COLOR makes rich treat stderr as one) with table output: bars.
    for path in staging.release.parent.glob("*.publish.json"):
        path.unlink()
    pypiserver.clear()
    monkeypatch.setenv("FORCE_COLOR", "1")
    code = main(
        ["publish", str(staging.release), "--to", "staging", "--project", str(staging.root),
         "--key", str(staging.public_key)],
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    assert "kB" in err and "read back: SHA-256 matches" in err
