"""``tashawur demo`` end to end: a fresh data folder, a free port, then a clean stop."""

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tashawur.consultations.models import Consultation
from tashawur.demo.accounts import DEMO_PASSWORD, DEMO_USERS
from tashawur.demo.command import _logins_text, _synthesis_run_first
from tashawur.demo.loader import CONSULTATION_SLUG, demo_load
from tashawur.diagnosis.models import SynthesisRun

FIXTURES = Path(__file__).parent / "fixtures"


def test_logins_text_lists_every_demo_account_and_the_password():
    text = _logins_text("http://127.0.0.1:8000/")

    assert "Tashawur demo: http://127.0.0.1:8000/" in text
    assert f"password for each: {DEMO_PASSWORD}" in text
    for username, (role, _, _) in DEMO_USERS.items():
        assert f"  {username.ljust(11)}  {role}" in text


def test_logins_text_gives_the_diagnosis_its_publication_and_the_programme_once_run():
    text = _logins_text(
        "http://127.0.0.1:8000/",
        "/c/souss-massa-2018/diagnosis/",
        ready=True,
        published_path="/c/souss-massa-2018/diagnosis/published/",
        programme_path="/c/souss-massa-2018/programme/",
    )

    assert (
        "Diagnosis of the Souss-Massa consultation: "
        "http://127.0.0.1:8000/c/souss-massa-2018/diagnosis/\n"
        "Its published diagnosis: http://127.0.0.1:8000/c/souss-massa-2018/diagnosis/published/\n"
        "Its regional action programme: http://127.0.0.1:8000/c/souss-massa-2018/programme/\n"
    ) in text
    assert "in a few seconds" not in text


@pytest.fixture
def demo(db):
    demo_load(data_dir=FIXTURES)


def test_first_run_that_fails_leaves_a_run_queued_for_the_worker(demo, settings, capsys):
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "nonexistent"

    assert _synthesis_run_first() == (f"/c/{CONSULTATION_SLUG}/diagnosis/", False)

    out = capsys.readouterr().out
    assert out.startswith("Running the first synthesis…\nThe first synthesis failed after ")
    assert "(embedder_invalid: TASHAWUR_SYNTHESIS_EMBEDDER is 'nonexistent';" in out
    assert out.endswith("A new run is queued: the background worker will try again.\n")
    assert list(SynthesisRun.objects.order_by("pk").values_list("status", flat=True)) == [
        "failed",
        "queued",
    ]


def test_first_run_is_not_run_again_once_one_has_succeeded(demo, capsys):
    SynthesisRun.objects.create(
        consultation=Consultation.objects.get(),
        status=SynthesisRun.Status.SUCCEEDED,
        started_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        finished_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
        result={},
    )

    assert _synthesis_run_first() == (f"/c/{CONSULTATION_SLUG}/diagnosis/", True)

    assert capsys.readouterr().out == ""
    assert SynthesisRun.objects.count() == 1


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
    assert "Running the first synthesis…\nFirst synthesis done in " in output
    assert "findings and published the diagnosis: version 1, " in output
    assert (
        f"Its published diagnosis: http://127.0.0.1:{port}/c/{CONSULTATION_SLUG}/diagnosis/published/"
    ) in output
    assert "demo: " in output and " contributions, " in output
    worker_pid = int(output.split("Background worker started (pid ", 1)[1].split(")", 1)[0])
    assert "Background worker stopped." in output
    assert _pid_alive(worker_pid) is False
