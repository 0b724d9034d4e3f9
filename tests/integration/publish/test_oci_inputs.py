"""Inputs the OCI target refuses before it talks to any registry (exit 2, naming what is wrong)."""

from __future__ import annotations

from pathlib import Path

import pytest

from liturgia.errors import ConfigError, InputError
from liturgia.publish.oci import OciFile, OciRole, OciTarget, oci_tag


@pytest.mark.parametrize(
    ("url", "repository", "message"),
    [
        ("ftp://registry.example", "acme/app", "url 'ftp://registry.example'"),
        ("https://registry.example/v2", "acme/app", "with no path"),
        ("https://registry.example", "Acme/App", "repository 'Acme/App'"),
        ("https://registry.example", "acme//app", "repository 'acme//app'"),
        ("https://registry.example", "acme/app-", "repository 'acme/app-'"),
    ],
)
def test_a_malformed_url_or_repository_is_a_config_error(
    url: str, repository: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        OciTarget(name="staging", url=url, repository=repository)
    assert info.value.exit_code == 2
    assert "[publish.staging]" in str(info.value)


@pytest.mark.parametrize(
    ("version", "tag"),
    [("0.2.0", "0.2.0"), ("1.0.0-rc.1", "1.0.0-rc.1"), ("1.0.0+build.7", "1.0.0_build.7")],
)
def test_versions_become_tags(version: str, tag: str) -> None:
    assert oci_tag(version) == tag


@pytest.mark.parametrize("version", [".1", "-rc", "a" * 129, "1.0 beta", ""])
def test_a_version_that_cannot_be_a_tag_is_refused(version: str) -> None:
    with pytest.raises(ConfigError, match="cannot be an OCI tag"):
        oci_tag(version)


@pytest.mark.parametrize("name", ["../outside", "/etc/passwd", "a/../../b", "dir\\file"])
def test_a_file_name_outside_the_release_folder_is_refused(tmp_path: Path, name: str) -> None:
    # Port 9 (discard) on loopback: nothing listens, and nothing must be asked.
    target = OciTarget(name="staging", url="http://127.0.0.1:9", repository="acme/app")
    file = OciFile(name=name, path=tmp_path / "f", sha256="0" * 64, role=OciRole.FILE)
    with pytest.raises(InputError, match="not a relative path"):
        target.publish("1.0.0", [file])
