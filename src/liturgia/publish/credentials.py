"""Registry credentials: from the environment or the registry's usual file, never elsewhere.

Never from the command line (it shows in ``ps`` and shell history) and never from
``liturgia.toml`` (it is committed). Never logged: a :class:`Credentials` prints as its source
only.

Order, for a target named ``NAME`` (``ENV`` = ``NAME`` upper-cased, every other character than
a letter or digit turned into ``_``):

1. ``LITURGIA_PUBLISH_<ENV>_TOKEN`` (a bearer token: an npm token, or a PyPI API token sent as
   user ``__token__``), or ``LITURGIA_PUBLISH_<ENV>_USERNAME`` and ``..._PASSWORD``;
2. PyPI: the ``~/.pypirc`` section named by the target's ``pypirc`` setting, else by the
   target's name, else the section whose ``repository`` is the target's URL (the format
   twine reads: ``username``, ``password``); npm: ``~/.npmrc``'s
   ``//host[:port]/path/:_authToken`` line for the registry's URL (``${VAR}`` expanded from the
   environment, as npm does), or ``_auth`` (base64 ``user:password``);
3. none: the registry is asked without credentials (a loopback registry that needs none).
"""

from __future__ import annotations

import base64
import configparser
import os
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from liturgia.errors import ConfigError

__all__ = ["Credentials", "env_prefix", "npm_credentials", "pypi_credentials"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Credentials:
    """A username and password, or a bearer token, and where they came from.

    ``repr`` and ``str`` show only ``source``: a secret must not reach a log by accident.

    Attributes:
        source: where they were found (``"environment"``, ``"~/.pypirc [staging]"``, ...).
        username: basic-auth user, or ``None``.
        password: basic-auth password, or ``None``.
        token: bearer token, or ``None``.
    """

    source: str
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.source

    def basic(self) -> dict[str, str]:
        """An ``Authorization: Basic`` header (RFC 7617) for the username and password; a
        token alone is sent as PyPI's ``__token__`` user; ``{}`` without credentials."""
        user, password = self.username, self.password
        if self.token is not None and password is None:
            user, password = "__token__", self.token
        if user is None or password is None:
            return {}
        pair = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        return {"Authorization": f"Basic {pair}"}

    def bearer(self) -> dict[str, str]:
        """An ``Authorization: Bearer`` header (RFC 6750) for the token, else basic auth."""
        if self.token is not None:
            return {"Authorization": f"Bearer {self.token}"}
        return self.basic()


#: No credentials: the registry is asked anonymously.
ANONYMOUS = Credentials(source="none")


def env_prefix(target: str) -> str:
    """``LITURGIA_PUBLISH_<NAME>_`` for a target name (``pre-prod`` -> ``..._PRE_PROD_``)."""
    return "LITURGIA_PUBLISH_" + re.sub(r"[^A-Za-z0-9]", "_", target).upper() + "_"


def _from_env(target: str) -> Credentials | None:
    prefix = env_prefix(target)
    token = os.environ.get(prefix + "TOKEN")
    username = os.environ.get(prefix + "USERNAME")
    password = os.environ.get(prefix + "PASSWORD")
    if token:
        return Credentials(source=f"${prefix}TOKEN", token=token)
    if username or password:
        if not (username and password):
            raise ConfigError(
                f"{prefix}USERNAME and {prefix}PASSWORD go together: set both, or neither"
            )
        return Credentials(
            source=f"${prefix}USERNAME/PASSWORD", username=username, password=password
        )
    return None


def _home() -> Path:
    return Path(os.environ.get("HOME") or Path.home())


def pypi_credentials(target: str, url: str, *, section: str | None = None) -> Credentials:
    """Credentials for a PyPI-compatible target (see the module docstring for the order).

    Args:
        target: the target's configured name.
        url: its upload URL (a ``~/.pypirc`` section whose ``repository`` is it matches).
        section: the ``~/.pypirc`` section to use (the target's ``pypirc`` setting).

    Raises:
        ConfigError: ``~/.pypirc`` does not parse, a named section is missing, or a section
            has a username without a password (the message names the file and section, never
            a secret).
    """
    found = _from_env(target)
    if found is not None:
        return found
    path = _home() / ".pypirc"
    if not path.is_file():
        if section is not None:
            raise ConfigError(
                f"{path}: not found (the target {target!r} names section {section!r})"
            )
        return ANONYMOUS
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid .pypirc: {exc}") from exc
    chosen = section
    if chosen is None:
        if parser.has_section(target):
            chosen = target
        else:
            wanted = url.rstrip("/")
            chosen = next(
                (
                    name
                    for name in parser.sections()
                    if parser.get(name, "repository", fallback="").rstrip("/") == wanted
                ),
                None,
            )
    if chosen is None:
        return ANONYMOUS
    if not parser.has_section(chosen):
        raise ConfigError(f"{path}: no section [{chosen}] (named by the target {target!r})")
    username = parser.get(chosen, "username", fallback=None)
    password = parser.get(chosen, "password", fallback=None)
    if username and not password:
        raise ConfigError(
            f"{path}: [{chosen}] has a username but no password; add it, or set "
            f"{env_prefix(target)}PASSWORD"
        )
    if not password:
        return ANONYMOUS
    return Credentials(
        source=f"{path} [{chosen}]", username=username or "__token__", password=password
    )


def _npmrc_key(url: str) -> str:
    """npm's "nerf dart" of a registry URL: ``//host[:port]/path/`` (no scheme, no query)."""
    parts = urllib.parse.urlsplit(url)
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"//{parts.netloc}{path}"


def _expand(value: str) -> str:
    """npm's ``${VAR}`` expansion of an ``.npmrc`` value (an unset variable stays as it is)."""
    return re.sub(r"\$\{([^}]+)\}", lambda m: os.environ.get(m[1], m[0]), value)


def npm_credentials(target: str, url: str) -> Credentials:
    """Credentials for an npm registry target (see the module docstring for the order).

    Raises:
        ConfigError: a matching ``_auth`` line is not base64 ``user:password``.
    """
    found = _from_env(target)
    if found is not None:
        return found
    path = _home() / ".npmrc"
    if not path.is_file():
        return ANONYMOUS
    key = _npmrc_key(url)
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith(("#", ";")) or "=" not in stripped:
            continue
        name, _, value = stripped.partition("=")
        values[name.strip()] = _expand(value.strip().strip("\"'"))
    token = values.get(f"{key}:_authToken")
    if token:
        return Credentials(source=f"{path} ({key})", token=token)
    auth = values.get(f"{key}:_auth")
    if auth:
        try:
            user, sep, password = base64.b64decode(auth, validate=True).decode().partition(":")
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: {key}:_auth is not base64 user:password") from exc
        if not sep:
            raise ConfigError(f"{path}: {key}:_auth is not base64 user:password")
        return Credentials(source=f"{path} ({key})", username=user, password=password)
    return ANONYMOUS
