import os

import pytest


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL")
    return f"database: {'PostgreSQL ' + url.rsplit('@', 1)[-1] if url else 'SQLite'}"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """On SQLite, test in a file rather than in memory: an in-memory database shared between
    threads locks whole tables ("database table is locked") instead of queueing writers on the
    busy timeout, so the concurrency tests could not run as production does."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    test = database.setdefault("TEST", {})
    if database["ENGINE"] == "django.db.backends.sqlite3" and not test.get("NAME"):
        test["NAME"] = str(tmp_path_factory.mktemp("sqlite") / "tashawur-test.sqlite3")
