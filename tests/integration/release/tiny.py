"""A tiny releasable project in a real git repository: one lockfile, one artifact, no tests.

Small enough that a release of it takes well under a second of work beyond liturgia's own, so
tests of the release's inputs (keys, lockfiles, artifact names) can run it many times. The OSV
record is made up for these tests (OSV schema 1.6).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.integration.release.conftest import commit_all, git

#: An advisory the tiny project's pinned pyyaml 6.0.1 is not affected by.
ADVISORY = {
    "schema_version": "1.6.0",
    "id": "TEST-2020-1",
    "modified": "2024-01-01T00:00:00Z",
    "summary": "arbitrary code execution in full_load",
    "database_specific": {"severity": "HIGH"},
    "affected": [
        {
            "package": {"ecosystem": "PyPI", "name": "pyyaml"},
            "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "5.4"}]}],
        }
    ],
}


def make_tiny(
    folder: Path,
    *,
    signing: str | None = None,
    files: dict[str, bytes | str] | None = None,
    scan: str = "",
    artifacts: tuple[str, ...] = ("{build_dir}/tiny.txt",),
    build: tuple[str, ...] = ("cp payload.txt {build_dir}/tiny.txt",),
) -> Path:
    """Write and commit the project in ``folder`` (created), tagged ``v0.1.0`` before a fix.

    Args:
        folder: where the repository goes.
        signing: ``[signing].key``, or ``None`` for the default key.
        files: extra files (relative path -> content), e.g. lockfiles; ``requirements.txt``
            defaults to ``pyyaml==6.0.1``.
        scan: extra lines of the ``[scan]`` table.
        artifacts: ``[build].artifacts``.
        build: ``[build].commands``.
    """
    folder.mkdir(parents=True)
    sbom_paths = ["requirements.txt"] + [
        name for name in (files or {}) if name != "requirements.txt" and "/" not in name
    ]
    config = [
        "[project]",
        'name = "tiny"',
        f"sbom_paths = {json.dumps(sbom_paths)}",
        "[build]",
        f"commands = {json.dumps(list(build))}",
        f"artifacts = {json.dumps(list(artifacts))}",
        "[scan]",
        'osv = ["osv"]',
        "max_age_days = 100000",
        scan,
        "[gates]",
        "require_tests = false",
    ]
    if signing is not None:
        config += ["[signing]", f"key = {json.dumps(signing)}"]
    (folder / "liturgia.toml").write_text("\n".join(config) + "\n")
    (folder / "payload.txt").write_text("the tiny project's only artifact\n")
    (folder / "requirements.txt").write_text("pyyaml==6.0.1\n")
    (folder / "osv").mkdir()
    (folder / "osv" / "TEST-2020-1.json").write_text(json.dumps(ADVISORY))
    (folder / ".gitignore").write_text("dist/\n")
    for name, content in (files or {}).items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    git(folder, "init", "-q")
    commit_all(folder, "feat: the tiny project")
    git(folder, "tag", "-a", "v0.1.0", "-m", "tiny 0.1.0")
    (folder / "payload.txt").write_text("the tiny project's only artifact, fixed\n")
    commit_all(folder, "fix: say it is fixed")
    return folder
