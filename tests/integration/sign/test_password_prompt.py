"""The password prompt on a real terminal (a pseudo-terminal): entered twice, must match."""

from __future__ import annotations

import os
import pty
import select
import signal
import sys
import time
from pathlib import Path

from liturgia.sign import load_signer


def _run_on_tty(args: list[str], answers: list[bytes], env: dict[str, str]) -> tuple[int, str]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: a controlling terminal on the pty, as a user's shell gives
        os.execve(sys.executable, [sys.executable, "-m", "liturgia", *args], env)  # noqa: S606
    output = b""
    pending = list(answers)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
        # Answer each prompt once it is shown: getpass flushes input typed before it.
        prompts = output.count(b"Password")
        if pending and prompts > len(answers) - len(pending) and output.rstrip().endswith(b":"):
            os.write(fd, pending.pop(0) + b"\n")
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() > deadline:  # still waiting for input: end it rather than hang
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.05)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "LITURGIA_PASSWORD"}
    env["COLUMNS"] = "200"
    return env


def test_generate_prompts_twice(tmp_path: Path) -> None:
    prefix = tmp_path / "k"
    code, out = _run_on_tty(
        ["keys", "generate", "--prefix", str(prefix)], [b"s3cret", b"s3cret"], _env()
    )
    assert code == 0, out
    assert "Password for the new private key:" in out
    assert "Password for the new private key again:" in out
    assert load_signer(f"{prefix}.key", password=b"s3cret").key_id in out


def test_generate_refuses_different_entries(tmp_path: Path) -> None:
    prefix = tmp_path / "k"
    code, out = _run_on_tty(["keys", "generate", "--prefix", str(prefix)], [b"one", b"two"], _env())
    assert code == 2, out
    assert "liturgia: error: the two passwords differ" in out
    assert not Path(f"{prefix}.key").exists()
