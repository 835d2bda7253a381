"""The programme's public page is cached for anonymous readers under the versions of what it
shows (``core.caching``): an edit, a progress update, an indicator or funding change, or the
curation of a finding it cites is on the next request at once; a signed-in reader is never
served the cached page.

A change written behind the services' back (a raw ``update``, which bumps no version) is what
shows that a page came from the cache: the cached page still shows the old state.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from tashawur.diagnosis.services import finding_rename
from tashawur.programmes.models import Measure, Programme
from tashawur.programmes.services import (
    indicator_update,
    measure_set_funding,
    programme_update,
    progress_record,
)
from tashawur.programmes.templatetags.programmes import mad
from tests.actors.factories import UserFactory
from tests.consultations.factories import analyst_of
from tests.programmes.factories import IndicatorFactory

from .test_programme_page import adopted_programme

pytestmark = pytest.mark.django_db

URL = "/fr/c/souss-massa/programme/"


def page(client: Client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def quietly_retitle(programme: Programme, title: str) -> None:
    """A change no version records (a raw update): only an uncached page shows it."""
    Measure.objects.filter(programme=programme, code="1.1").update(title_fr=title)


def fair(programme: Programme) -> Measure:
    return programme.measures.get(code="1.1")


def test_the_second_anonymous_request_is_served_from_the_cache(client: Client) -> None:
    programme = adopted_programme()
    with CaptureQueriesContext(connection) as first:
        assert "Salon régional permanent" in page(client)
    quietly_retitle(programme, "Titre posé en douce")

    with CaptureQueriesContext(connection) as second:
        html = page(client)

    assert "Titre posé en douce" not in html
    assert "Salon régional permanent" in html
    assert len(second) < len(first)


def test_a_progress_update_is_shown_at_once(client: Client) -> None:
    programme = adopted_programme()
    assert 'value="100"' not in page(client)

    progress_record(measure=fair(programme), on=dt.date(2020, 6, 1), percent=100, recorded_by=None)

    # 1.1 now at 100 % (no measure was before).
    assert 'value="100"' in page(client)


def test_an_edit_of_the_programme_is_shown_at_once(client: Client) -> None:
    programme = adopted_programme()
    page(client)

    programme_update(
        programme=programme,
        title_ar="برنامج جديد",
        title_fr="Un programme renommé",
        starts_on=programme.starts_on,
        ends_on=programme.ends_on,
    )

    # In the page's body, not only its title (rendered for each request).
    assert "Un programme renommé" in page(client).split("</head>", 1)[1]


def test_an_indicator_change_is_shown_at_once(client: Client) -> None:
    programme = adopted_programme()
    indicator = IndicatorFactory(measure=fair(programme), name_fr="Exposants")
    assert "Exposants" in page(client)

    indicator_update(
        indicator=indicator,
        name_ar="عارضون",
        name_fr="Exposants inscrits",
        baseline=indicator.baseline,
        target=indicator.target,
        unit=indicator.unit,
        direction=indicator.direction,
    )

    assert "Exposants inscrits" in page(client)


def test_a_funding_change_is_shown_at_once(client: Client) -> None:
    programme = adopted_programme()
    before = page(client)

    measure_set_funding(measure=fair(programme), lines={"indh_p3": Decimal("1234567")})

    html = page(client)
    assert html != before
    with translation.override("fr"):
        assert mad(Decimal("1234567")) in html


def test_a_curation_of_a_cited_finding_is_shown_at_once(client: Client) -> None:
    programme = adopted_programme()
    assert "Les coopératives peinent à vendre" in page(client)

    finding = fair(programme).findings.get()
    finding_rename(
        finding=finding,
        user=analyst_of(programme.consultation),
        title_fr="Vendre reste difficile",
    )

    assert "Vendre reste difficile" in page(client)


def test_a_signed_in_reader_is_never_served_the_cached_page(client: Client) -> None:
    programme = adopted_programme()
    page(client)  # cached for the anonymous
    quietly_retitle(programme, "Titre posé en douce")

    client.force_login(UserFactory(role="participant"))
    assert "Titre posé en douce" in page(client)
    client.logout()
    assert "Titre posé en douce" not in page(client)
