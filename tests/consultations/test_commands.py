from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from tashawur.contributions.models import Contribution

pytestmark = pytest.mark.django_db

DEMO_FIXTURES = Path(__file__).parent.parent / "demo" / "fixtures"


def run(*args):
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_load_reference_data_reports_what_it_created_then_that_nothing_changed():
    first = run("load_reference_data")
    second = run("load_reference_data")

    assert first.splitlines() == [
        "territories: 1591 created, 0 updated, 0 unchanged",
        "actor types: 40 created, 0 updated, 0 unchanged",
        "quality signs: 13 created, 0 updated, 0 unchanged",
        "consent texts: 1 created, 0 updated, 0 unchanged",
        "themes: 60 created, 0 updated, 0 unchanged",
    ]
    assert second.splitlines() == [
        "territories: 0 created, 0 updated, 1591 unchanged",
        "actor types: 0 created, 0 updated, 40 unchanged",
        "quality signs: 0 created, 0 updated, 13 unchanged",
        "consent texts: 0 created, 0 updated, 1 unchanged",
        "themes: 0 created, 0 updated, 60 unchanged",
    ]


def test_load_demo_loads_the_given_folder():
    out = run("load_demo", "--data-dir", str(DEMO_FIXTURES))

    assert out.startswith("demo: 3 organisations, 6 participants, 2 workshops, 8 contributions, ")
    assert Contribution.objects.count() == 8
