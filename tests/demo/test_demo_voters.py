"""64 participants vote at once on the demo, served as ``tashawur demo`` serves it (gunicorn,
DEBUG off) on its own SQLite file: no answer 5xx, every acknowledged vote stored exactly once.

Before the demo served through gunicorn, Django's runserver gave each connection a thread: the
64 voters were 64 writers polling SQLite's lock, and some waited past the busy timeout ("database
is locked", a 500 with a traceback) or were reset by its listen queue of 10.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tashawur.demo.command import DEMO_SERVER_OPTIONS, gunicorn_command

from .voters import voters_run

VOTERS = 64
#: Voters who sign in through the form (a real PBKDF2 check, a second of processor each); the
#: others come with a session, as if they had signed in before the vote opened.
LOGINS = 4
VOTES_EACH = 3
ROOT = Path(__file__).resolve().parents[2]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        bool(os.environ.get("DATABASE_URL")),
        reason="the demo serves SQLite whatever the suite's database: the SQLite pass runs it",
    ),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _voters_command(env: dict[str, str], *args: str, stdin: str | None = None) -> dict:
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-m", "tests.demo.voters", *args],
        env=env,
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our server
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_64_voters_at_once_get_no_5xx_and_every_acknowledged_vote_is_stored_once(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "TASHAWUR_"))
    }
    env.update(
        TASHAWUR_ENV="demo",
        TASHAWUR_DATA_DIR=str(tmp_path / "var"),
        DJANGO_SETTINGS_MODULE="tashawur.config.settings",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    )
    seed = _voters_command(env, "prepare", str(VOTERS), str(LOGINS))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(  # noqa: S603 - our own interpreter
            gunicorn_command(f"127.0.0.1:{port}", DEMO_SERVER_OPTIONS),
            env=env,
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 120
            while server.poll() is None and time.monotonic() < deadline:
                try:
                    if _get(f"{base}/login/")[0] == 200:
                        break
                except OSError:
                    time.sleep(0.3)
            unknown = _get(f"{base}/api/no-such-thing")
            stylesheet = _get(f"{base}/static/tashawur/site.css")
            result = voters_run(base, seed, votes_each=VOTES_EACH)
        finally:
            server.terminate()
            server.wait(timeout=30)
    check = _voters_command(env, "check", stdin=json.dumps(result.acknowledged))
    print(result.summary())

    # DEBUG is off (no URL list, no traceback) and the static files are still served.
    assert unknown[0] == 404 and "URLconf" not in unknown[1]
    assert stylesheet[0] == 200 and "{" in stylesheet[1]
    assert result.server_errors == 0, log.read_text(errors="replace")[-5000:]
    assert result.failures == []
    assert len(result.statuses) == VOTERS * (1 + VOTES_EACH) + LOGINS * 2
    assert len(result.acknowledged) == VOTERS * VOTES_EACH
    assert check == {
        "acknowledged": VOTERS * VOTES_EACH,
        "stored": VOTERS * VOTES_EACH,
        "lost": [],
        "wrong": [],
        "duplicated": [],
        "unasked": [],
        "counters_off": [],
    }
