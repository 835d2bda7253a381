"""``tashawur demo`` end to end: a fresh data folder, a free port, then a clean stop."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tashawur.demo.accounts import DEMO_PASSWORD, DEMO_USERS
from tashawur.demo.command import _logins_text


def test_logins_text_lists_every_demo_account_and_the_password():
    text = _logins_text("http://127.0.0.1:8000/")

    assert "Tashawur demo: http://127.0.0.1:8000/" in text
    assert f"password for each: {DEMO_PASSWORD}" in text
    for username, (role, _, _) in DEMO_USERS.items():
        assert f"  {username.ljust(11)}  {role}" in text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_tashawur_demo_serves_then_stops_its_worker(tmp_path):
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "TASHAWUR_ENV", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(PORT=str(port), TASHAWUR_DATA_DIR=str(tmp_path / "var"))
    log = tmp_path / "demo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [sys.executable, "-m", "tashawur", "demo"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            status = None
            deadline = time.monotonic() + 120
            while status is None and time.monotonic() < deadline and demo.poll() is None:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
                        status = page.status
                except OSError:
                    time.sleep(0.5)
        finally:
            demo.send_signal(signal.SIGTERM)
            demo.wait(timeout=30)
    output = log.read_text(encoding="utf-8")

    assert status == 200, output
    assert f"Tashawur demo: http://127.0.0.1:{port}/" in output
    assert "demo: " in output and " contributions, " in output
    worker_pid = int(output.split("Background worker started (pid ", 1)[1].split(")", 1)[0])
    assert "Background worker stopped." in output
    assert _pid_alive(worker_pid) is False
