"""Registry credentials: environment first, then ~/.pypirc or ~/.npmrc; never shown."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from liturgia.errors import ConfigError
from liturgia.publish.credentials import env_prefix, npm_credentials, pypi_credentials


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def test_env_prefix_of_any_target_name() -> None:
    assert env_prefix("staging") == "LITURGIA_PUBLISH_STAGING_"
    assert env_prefix("pre-prod.eu") == "LITURGIA_PUBLISH_PRE_PROD_EU_"


def test_environment_wins_over_pypirc(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / ".pypirc").write_text("[staging]\nusername = file-user\npassword = file-secret\n")
    monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_USERNAME", "env-user")
    monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_PASSWORD", "env-secret")
    found = pypi_credentials("staging", "http://index.test/")
    assert (found.username, found.password) == ("env-user", "env-secret")
    assert found.basic() == {
        "Authorization": "Basic " + base64.b64encode(b"env-user:env-secret").decode()
    }


def test_secrets_never_in_str_or_repr(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    monkeypatch.setenv("LITURGIA_PUBLISH_PROD_TOKEN", "pypi-s3cr3t")
    found = pypi_credentials("prod", "http://index.test/")
    assert "s3cr3t" not in str(found) + repr(found)
    assert str(found) == "$LITURGIA_PUBLISH_PROD_TOKEN"
    # A token alone is PyPI's __token__ user; for npm it is a bearer token.
    assert (
        found.basic()["Authorization"]
        == "Basic " + base64.b64encode(b"__token__:pypi-s3cr3t").decode()
    )
    assert found.bearer() == {"Authorization": "Bearer pypi-s3cr3t"}


def test_half_of_a_username_and_password_is_refused(
    monkeypatch: pytest.MonkeyPatch, home: Path
) -> None:
    monkeypatch.setenv("LITURGIA_PUBLISH_STAGING_USERNAME", "someone")
    with pytest.raises(ConfigError, match="go together"):
        pypi_credentials("staging", "http://index.test/")


def test_pypirc_by_target_name_by_setting_and_by_repository(home: Path) -> None:
    (home / ".pypirc").write_text(
        "[distutils]\nindex-servers = staging other\n\n"
        "[staging]\nusername = a\npassword = pa%ss\n\n"
        "[other]\nrepository = http://other.test/legacy/\npassword = pypi-token\n"
    )
    assert pypi_credentials("staging", "http://x.test/").password == "pa%ss"
    by_url = pypi_credentials("prod", "http://other.test/legacy")
    assert (by_url.username, by_url.password) == ("__token__", "pypi-token")
    named = pypi_credentials("prod", "http://x.test/", section="staging")
    assert named.username == "a"
    assert str(named) == f"{home / '.pypirc'} [staging]"
    assert pypi_credentials("nobody", "http://x.test/").basic() == {}
    with pytest.raises(ConfigError, match=r"no section \[missing\]"):
        pypi_credentials("prod", "http://x.test/", section="missing")


def test_pypirc_username_without_password(home: Path) -> None:
    (home / ".pypirc").write_text("[staging]\nusername = a\n")
    with pytest.raises(ConfigError, match=r"\[staging\] has a username but no password"):
        pypi_credentials("staging", "http://x.test/")


def test_npmrc_token_for_the_registry(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NPM_TOKEN", "npm-abc")
    (home / ".npmrc").write_text(
        "registry=http://127.0.0.1:4873/\n"
        "//127.0.0.1:4873/:_authToken=${NPM_TOKEN}\n"
        "//elsewhere.test/:_authToken=other\n"
    )
    found = npm_credentials("staging", "http://127.0.0.1:4873")
    assert found.bearer() == {"Authorization": "Bearer npm-abc"}
    assert "npm-abc" not in repr(found)
    (home / ".npmrc").write_text(
        "//127.0.0.1:4873/:_auth=" + base64.b64encode(b"me:pw").decode() + "\n"
    )
    basic = npm_credentials("staging", "http://127.0.0.1:4873/")
    assert (basic.username, basic.password) == ("me", "pw")
    assert npm_credentials("staging", "http://other.test/").bearer() == {}
