"""The PostgreSQL pass of scripts/run-tests runs only the tests that can open the database
(``TASHAWUR_TESTS_DATABASE_ONLY=1``, tests/conftest.py): how a test is told to be one."""

from __future__ import annotations

import pytest

from tests.conftest import uses_database


def test_a_test_without_a_database_mark_or_fixture_uses_no_database(request, settings, tmp_path):
    assert not uses_database(request.node)


def test_the_db_fixture_uses_the_database(request, db):
    assert uses_database(request.node)


def test_transactional_db_uses_the_database(request, transactional_db):
    assert uses_database(request.node)


@pytest.mark.django_db
def test_the_django_db_mark_uses_the_database(request):
    assert uses_database(request.node)


@pytest.fixture
def filled(django_db_setup, django_db_blocker):
    """As the demo tests fill a database once for a module."""
    return None


def test_a_fixture_that_fills_the_database_through_django_db_setup_uses_it(request, filled):
    assert uses_database(request.node)
