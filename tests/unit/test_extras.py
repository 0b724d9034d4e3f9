"""One MissingExtraError for every optional backend: it names the feature and the extra."""

from __future__ import annotations

import sys

import pytest

from liturgia.errors import ConfigError, MissingExtraError
from liturgia.sign import load_signer, load_verification_key


@pytest.mark.parametrize(
    ("module", "extra", "action"),
    [
        ("hvac", "vault", lambda: load_signer("hashivault://release", password=None)),
        ("pkcs11", "hsm", lambda: load_verification_key("pkcs11:token=t;object=k")),
    ],
)
def test_signer_backends_name_their_extra(
    module: str, extra: str, action: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # what `import` sees when it is not installed
    monkeypatch.setenv("VAULT_ADDR", "http://127.0.0.1:9")
    monkeypatch.setenv("VAULT_TOKEN", "t")
    with pytest.raises(MissingExtraError) as caught:
        action()  # type: ignore[operator]
    error = caught.value
    assert (error.extra, error.package) == (extra, module)
    assert f"needs the '{extra}' extra ({module} is not installed)" in str(error)
    assert str(error).endswith(f"install liturgia[{extra}] (pip install 'liturgia[{extra}]')")
    assert isinstance(error, ConfigError) and error.exit_code == 2
