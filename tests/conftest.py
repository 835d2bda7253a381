import os

import pytest


def pytest_report_header(config):
    url = os.environ.get("DATABASE_URL")
    return f"database: {'PostgreSQL ' + url.rsplit('@', 1)[-1] if url else 'SQLite'}"


#: Set by scripts/run-tests for its PostgreSQL pass: that pass runs only the tests that use the
#: database; the SQLite pass before it ran every test, and a test that never opens the database
#: checks nothing new the second time.
DATABASE_ONLY = "TASHAWUR_TESTS_DATABASE_ONLY"
#: pytest-django's fixtures that open the test database (``live_server`` serves it to a browser;
#: a module- or session-scoped fixture fills it through ``django_db_setup``). A test without one
#: of them, nor a ``django_db`` mark, cannot reach the database: pytest-django refuses it.
#: (``django_db_blocker`` is in every test's closure, through an autouse fixture of pytest-django,
#: so it tells nothing.)
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
        "django_db_setup",
    }
)


def uses_database(item: pytest.Item) -> bool:
    """Whether the test can open the test database (a mark or a fixture of pytest-django's)."""
    if item.get_closest_marker("django_db") is not None:
        return True
    return not DATABASE_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


#: What a file's tests cost, in seconds of the SQLite pass on the 2-core machine (one worker,
#: measured from the suite's JUnit report; only the order matters). pytest-xdist hands files to
#: its workers in the order they are collected (``--dist loadfile``, reordering by test count
#: turned off below): the heaviest go first, so that no long file starts last and runs alone on
#: one worker while the other core idles, and the many small files at the end fill the gaps. A
#: file not listed weighs ``SECONDS_PER_TEST`` a test.
FILE_SECONDS = {
    "tests/web/test_privacy_crawl.py": 800,
    "tests/web/test_hostile_input.py": 500,
    "tests/web/test_role_matrix.py": 60,
    "tests/demo/test_demo_voters.py": 145,
    "tests/contributions/test_note_files.py": 145,
    "tests/demo/test_demo_command.py": 140,
    "tests/browser/test_accessibility.py": 100,
    "tests/demo/test_demo_programme.py": 95,
    "tests/demo/test_demo_regions.py": 65,
    "tests/browser/test_programme_page.py": 62,
    "tests/demo/test_demo_loader.py": 60,
    "tests/diagnosis/test_worker_death.py": 57,
    "tests/demo/test_demo_diagnosis_shipped.py": 57,
    "tests/synthesis/test_langid.py": 57,
    "tests/browser/test_taroudant_day.py": 55,
    "tests/synthesis/test_dask_processes.py": 53,
}
SECONDS_PER_TEST = 0.3
#: Files whose tests share nothing wider than a test (no module- or class-scoped fixture): each
#: of their tests is a work unit of its own, so that both workers share them.
SPLIT_FILES = frozenset({"tests/web/test_hostile_input.py", "tests/web/test_role_matrix.py"})


def _file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def _heaviest_files_first(items: list[pytest.Item]) -> None:
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(_file_of(item.nodeid), []).append(item)
    order = sorted(
        files,
        key=lambda name: -FILE_SECONDS.get(name, SECONDS_PER_TEST * len(files[name])),
    )
    items[:] = [item for name in order for item in files[name]]


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadfile``, in the collection's order (heaviest files first), with the tests of
    ``SPLIT_FILES`` handed out one by one."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class HeaviestFirst(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            name = _file_of(nodeid)
            return nodeid if name in SPLIT_FILES else name

    config.option.loadscopereorder = False
    return HeaviestFirst(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _heaviest_files_first(items)
    if os.environ.get(DATABASE_ONLY) != "1":
        return
    kept = [item for item in items if uses_database(item)]
    left = [item for item in items if not uses_database(item)]
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
    summary = (
        f"{DATABASE_ONLY}=1: {len(left)} tests that use no database deselected (no django_db "
        f"mark, none of {', '.join(sorted(DATABASE_FIXTURES))}; the SQLite pass runs them), "
        f"{len(kept)} kept"
    )
    if hasattr(config, "workeroutput"):  # a pytest-xdist worker: its controller prints it
        config.workeroutput["tashawur_database_only"] = summary
    else:
        config.stash[_DATABASE_ONLY_SUMMARY] = summary


_DATABASE_ONLY_SUMMARY = pytest.StashKey[str]()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error):
    """pytest-xdist's controller: keep what a worker said about the tests it deselected."""
    summary = getattr(node, "workeroutput", {}).get("tashawur_database_only")
    if summary:
        node.config.stash[_DATABASE_ONLY_SUMMARY] = summary


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    summary = config.stash.get(_DATABASE_ONLY_SUMMARY, None)
    if summary:
        terminalreporter.write_sep("=", "PostgreSQL pass: database tests only")
        terminalreporter.write_line(summary)


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


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters and built downloads live in the cache: each test starts without
    another's (the test settings use a per-process memory cache)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _private_media(tmp_path_factory, settings):
    """Private files (evidence, uploads waiting for confirmation) go to a folder of the test
    session's, never to the checkout's var/private."""
    settings.TASHAWUR_PRIVATE_MEDIA_ROOT = tmp_path_factory.getbasetemp() / "private"


@pytest.fixture(autouse=True)
def _similar_index(settings):
    """ "Already said" indexes live in memory only, emptied around each test: ids restart with
    each test's database, so an index kept from another test would describe other texts."""
    from tashawur.contributions.similar import similar_index_forget

    settings.TASHAWUR_SIMILAR_DIR = ""
    similar_index_forget()
    yield
    similar_index_forget()


@pytest.fixture
def frozen_rate_windows(monkeypatch):
    """django-ratelimit counts in fixed windows that end at a time of their own: a test that
    sends N + 1 requests could straddle an end and see the count start over. Here every window
    ends 30 seconds after the test starts."""
    import time

    import django_ratelimit.core

    end = int(time.time()) + 30
    monkeypatch.setattr(django_ratelimit.core, "_get_window", lambda value, period: end)


@pytest.fixture(autouse=True)
def _default_language():
    """A request to a /fr/ page leaves French active in the thread (LocaleMiddleware does not
    undo it): each test starts in the site's default language, whatever ran before."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)
