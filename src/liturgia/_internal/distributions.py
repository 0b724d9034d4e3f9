"""Linux distribution releases as OSV names them, from ``os-release`` and purl ``distro``.

OSV keeps one ecosystem per distribution release: ``Debian:12`` (the major release) and
``Alpine:v3.18`` (the branch). The SBOM engine names a component's ecosystem this way when it
catalogs a root file system, and the scanner maps ``deb``/``apk`` purls the same way, so both use
:func:`release_ecosystem`.
"""

from __future__ import annotations

import re

__all__ = ["parse_os_release", "release_ecosystem"]

_DEBIAN_CODENAMES = {
    "buzz": "1.1", "rex": "1.2", "bo": "1.3", "hamm": "2.0", "slink": "2.1", "potato": "2.2",
    "woody": "3.0", "sarge": "3.1", "etch": "4.0", "lenny": "5.0", "squeeze": "6.0",
    "wheezy": "7", "jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11",
    "bookworm": "12", "trixie": "13", "forky": "14",
}  # fmt: skip


def release_ecosystem(ecosystem: str, distro: str) -> str | None:
    """OSV's per-release ecosystem for a distribution release.

    Args:
        ecosystem: ``"Debian"`` or ``"Alpine"``.
        distro: a purl ``distro`` qualifier or ``ID-VERSION_ID`` (``debian-12``,
            ``debian-12.5``, ``bookworm``, ``alpine-3.18.4``, ``3.18``).

    Returns:
        ``"Debian:12"``, ``"Alpine:v3.18"``; ``None`` when ``distro`` names no release of it.
    """
    text = distro.strip().lower()
    for prefix in ("debian-", "alpine-"):
        text = text.removeprefix(prefix)
    if ecosystem == "Debian":
        if text in _DEBIAN_CODENAMES:
            return f"Debian:{_DEBIAN_CODENAMES[text]}"
        debian = re.fullmatch(r"(\d+)(?:\.\d+)*", text)
        return f"Debian:{debian.group(1)}" if debian else None
    if ecosystem == "Alpine":
        alpine = re.fullmatch(r"v?(\d+)\.(\d+)(?:\.\d+)*(?:_\w+)?", text)
        return f"Alpine:v{alpine.group(1)}.{alpine.group(2)}" if alpine else None
    return None


def parse_os_release(text: str) -> dict[str, str]:
    """Parse an ``os-release`` file (os-release(5)): ``KEY=value`` lines, values maybe quoted.

    Args:
        text: the file's text.

    Returns:
        The assignments (comments, blank and malformed lines skipped; quotes and the shell
        escapes ``\\"``, ``\\\\``, ``\\$`` and ``\\``` removed).
    """
    found: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _eq, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        found[key.strip()] = re.sub(r"\\([\"\\$`])", r"\1", value)
    return found
