"""``tashawur serve``: gunicorn with 2 × cores + 1 workers unless told otherwise."""

from __future__ import annotations

import sys

import pytest

from tashawur.demo.command import serve_command, serve_workers

GUNICORN = [sys.executable, "-m", "gunicorn", "tashawur.config.wsgi"]


def test_serve_starts_two_workers_a_core_and_one_by_default() -> None:
    command = serve_command([], {}, cpu_count=4)

    assert command == [*GUNICORN, "--bind", "127.0.0.1:8000", "--workers", "9"]


def test_serve_binds_to_the_host_and_port_of_the_environment() -> None:
    command = serve_command([], {"TASHAWUR_HOST": "0.0.0.0", "PORT": "9000"}, cpu_count=1)  # noqa: S104

    assert command[len(GUNICORN) : len(GUNICORN) + 2] == ["--bind", "0.0.0.0:9000"]


def test_the_setting_overrides_the_default_number_of_workers() -> None:
    command = serve_command(["--timeout", "60"], {"TASHAWUR_WEB_WORKERS": "3"}, cpu_count=16)

    assert command[-4:] == ["--workers", "3", "--timeout", "60"]


@pytest.mark.parametrize("named", [["--workers", "2"], ["--workers=2"], ["-w", "2"], ["-w2"]])
def test_workers_named_on_the_command_line_win(named: list[str]) -> None:
    command = serve_command(named, {"TASHAWUR_WEB_WORKERS": "7"}, cpu_count=16)

    assert command[len(GUNICORN) + 2 :] == named


def test_gunicorns_own_web_concurrency_is_left_to_gunicorn() -> None:
    command = serve_command([], {"WEB_CONCURRENCY": "4"}, cpu_count=16)

    assert "--workers" not in command


def test_an_unknown_processor_count_still_serves_with_three_workers() -> None:
    assert serve_workers({}, None) == 3


@pytest.mark.parametrize("bad", ["0", "many", "-2"])
def test_a_bad_setting_stops_serve_with_its_name(bad: str) -> None:
    with pytest.raises(SystemExit, match="TASHAWUR_WEB_WORKERS"):
        serve_workers({"TASHAWUR_WEB_WORKERS": bad}, 4)
