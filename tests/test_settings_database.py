"""The settings of the demo's server and database, read in a fresh interpreter (settings are
read once, at import)."""

from __future__ import annotations

import os
import subprocess
import sys

PRINT = (
    "from tashawur.config import settings as s; "
    "o = s.DATABASES['default']['OPTIONS']; "
    "print(s.DEBUG, o['timeout'], o['transaction_mode'], o['init_command'].split(';')[-2])"
)


def _settings(tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "TASHAWUR_"))
    }
    environ.update(TASHAWUR_DATA_DIR=str(tmp_path), **env)
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", PRINT], env=environ, capture_output=True, text=True, timeout=60
    )


def test_the_demo_runs_without_debug_unless_asked_and_writers_wait_20_s(tmp_path):
    assert _settings(tmp_path, TASHAWUR_ENV="demo").stdout == (
        "False 20.0 IMMEDIATE PRAGMA busy_timeout=20000\n"
    )
    assert _settings(tmp_path, TASHAWUR_ENV="demo", TASHAWUR_DEBUG="1").stdout.startswith("True ")


def test_the_sqlite_timeout_is_a_setting_and_a_wrong_one_stops_the_start(tmp_path):
    assert _settings(tmp_path, TASHAWUR_ENV="demo", TASHAWUR_SQLITE_TIMEOUT="2.5").stdout == (
        "False 2.5 IMMEDIATE PRAGMA busy_timeout=2500\n"
    )
    wrong = _settings(tmp_path, TASHAWUR_ENV="demo", TASHAWUR_SQLITE_TIMEOUT="0")
    assert wrong.returncode == 1
    assert "TASHAWUR_SQLITE_TIMEOUT must be seconds, above 0, at most 600" in wrong.stderr
