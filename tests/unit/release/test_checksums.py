from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from liturgia.errors import DigestError, InputError
from liturgia.release.checksums import parse_sha256sums, render_sha256sums, verify_sha256sums


def test_render_matches_coreutils_and_round_trips(tmp_path: Path) -> None:
    (tmp_path / "b.bin").write_bytes(b"\x00\x01" * 1000)
    (tmp_path / "a.txt").write_text("hello\n")
    text = render_sha256sums(tmp_path, ["b.bin", "a.txt"])
    hello = hashlib.sha256(b"hello\n").hexdigest()
    assert text.splitlines()[0] == f"{hello}  a.txt"
    (tmp_path / "SHA256SUMS").write_text(text)
    if shutil.which("sha256sum"):
        check = subprocess.run(
            ["sha256sum", "--check", "--strict", "SHA256SUMS"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
    parsed = parse_sha256sums(text)
    assert sorted(parsed) == ["a.txt", "b.bin"]
    verify_sha256sums(tmp_path, parsed)


def test_binary_mode_marker_and_upper_case_are_accepted() -> None:
    digest = "A" * 64
    assert parse_sha256sums(f"{digest} *file.whl\n\n") == {"file.whl": "a" * 64}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nothex  f\n", "line 1 is not"),
        (f"{'a' * 64}  f\n{'b' * 64}  f\n", "line 2: f is listed twice"),
        (f"{'a' * 63}  f\n", "line 1"),
    ],
)
def test_malformed_lines(text: str, message: str) -> None:
    with pytest.raises(DigestError, match=message):
        parse_sha256sums(text)


def test_verify_reports_missing_changed_and_escaping(tmp_path: Path) -> None:
    (tmp_path / "f").write_bytes(b"data")
    good = hashlib.sha256(b"data").hexdigest()
    verify_sha256sums(tmp_path, {"f": good})
    with pytest.raises(DigestError, match="f: SHA-256 differs"):
        verify_sha256sums(tmp_path, {"f": "0" * 64})
    with pytest.raises(DigestError, match="g: listed in SHA256SUMS but missing"):
        verify_sha256sums(tmp_path, {"g": good})
    with pytest.raises(DigestError, match="leaves the release folder"):
        verify_sha256sums(tmp_path, {"../f": good})


def test_refuses_names_it_cannot_write(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="newlines or backslashes"):
        render_sha256sums(tmp_path, ["a\\b"])
