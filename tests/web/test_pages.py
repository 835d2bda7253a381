"""The public pages: direction and language, counts, the workshop page's filters and partials."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tashawur.actors.models import Participant
from tashawur.consultations.models import Consultation, Meeting, Registration
from tashawur.contributions.services import contribution_submit

from .world import World

pytestmark = pytest.mark.django_db


def test_arabic_is_the_default_language_and_direction(world: World, client: Client) -> None:
    html = client.get("/").content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "المشاورات الجهوية" in html


def test_french_pages_are_left_to_right(world: World, client: Client) -> None:
    html = client.get("/fr/").content.decode()
    assert '<html lang="fr" dir="ltr">' in html
    assert "Concertations régionales" in html


def test_home_lists_consultations_with_arabic_plural_counts(world: World, client: Client) -> None:
    html = client.get("/").content.decode()
    assert "التشاور الجهوي سوس ماسة" in html
    # One meeting, two round tables, three contributions, one vote: four Arabic plural forms.
    assert "<li>لقاء واحد</li>" in html
    assert "<li>مائدتان مستديرتان</li>" in html
    assert "<li>3 مساهمات</li>" in html
    assert "<li>صوت واحد</li>" in html


def test_home_hides_draft_consultations(world: World, client: Client) -> None:
    Consultation.objects.filter(pk=world.consultation.pk).update(status="draft")
    html = client.get("/").content.decode()
    assert "التشاور الجهوي سوس ماسة" not in html
    assert "لا يوجد تشاور مفتوح بعد." in html


def test_language_switch_posts_to_set_language(world: World, client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "fr", "next": f"/w/{world.workshop.pk}/"})
    assert response.status_code == 302
    assert response["Location"] == f"/fr/w/{world.workshop.pk}/"


def test_language_switch_back_to_arabic_leaves_the_french_address(
    world: World, client: Client
) -> None:
    response = client.post(
        "/i18n/setlang/", {"language": "ar", "next": f"/fr/w/{world.workshop.pk}/?page=2"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/w/{world.workshop.pk}/?page=2"
    assert response.cookies["django_language"].value == "ar"


def test_consultation_page_lists_meetings_and_workshops(world: World, client: Client) -> None:
    html = client.get(f"/fr/c/{world.consultation.slug}/").content.decode()
    assert "Rencontre régionale de Taroudant" in html
    assert f'href="/fr/w/{world.workshop.pk}/"' in html
    assert "<li>2 tables rondes</li>" in html


def test_meeting_page_shows_agenda_with_times_and_workshops(world: World, client: Client) -> None:
    html = client.get(f"/fr/m/{world.meeting.slug}/").content.decode()
    assert "Dar INDH, Taroudant" in html
    assert '<time datetime="09:30">09:30 – 10:30</time>' in html
    assert "Séance d&#x27;ouverture" in html
    assert "Obtenir des labels de qualité" in html
    assert "Éducation financière" in html


@pytest.mark.parametrize(
    ("starts_in_hours", "ends_in_hours", "status", "shown_ar", "shown_fr"),
    [
        (24, 32, Meeting.Status.PLANNED, "مرتقب", "À venir"),
        (-1, 7, Meeting.Status.PLANNED, "جارية", "En cours"),
        # A meeting whose end has passed was held, though a round table stays open online.
        (-32, -24, Meeting.Status.OPEN, "انعقد", "Tenu"),
    ],
)
def test_a_meeting_shows_the_phase_its_dates_give(
    world: World,
    client: Client,
    starts_in_hours: int,
    ends_in_hours: int,
    status: str,
    shown_ar: str,
    shown_fr: str,
) -> None:
    now = timezone.now()
    Meeting.objects.filter(pk=world.meeting.pk).update(
        starts_at=now + dt.timedelta(hours=starts_in_hours),
        ends_at=now + dt.timedelta(hours=ends_in_hours),
        status=status,
    )
    for prefix, shown in (("", shown_ar), ("/fr", shown_fr)):
        for page in (f"{prefix}/m/{world.meeting.slug}/", f"{prefix}/c/{world.consultation.slug}/"):
            html = client.get(page).content.decode()
            assert re.search(rf'<span class="badge \w+">{re.escape(shown)}</span>', html), page


def test_workshop_page_shows_question_roster_and_facilitator(
    world: World, client: Client, settings: Any
) -> None:
    settings.TASHAWUR_OPEN_DATA_K = 2
    html = client.get(f"/w/{world.workshop.pk}/").content.decode()
    assert "ما الذي يعيق حصول التعاونيات على علامات الجودة؟" in html
    assert "<li><bdi>تعاونية</bdi> <span>2</span></li>" in html
    assert "المنشّط: <bdi>Samira</bdi>" in html


def test_workshop_roster_counts_actor_types_under_k_together(world: World, client: Client) -> None:
    html = client.get(f"/fr/w/{world.workshop.pk}/").content.decode()
    roster = html.split('<ul class="roster">')[1].split("</ul>")[0]
    assert "Coopérative" not in roster
    assert "<li>Autres types d’acteurs, chacun moins de 5 personnes <span>2</span></li>" in roster


def test_workshop_cards_carry_language_and_auto_direction(world: World, client: Client) -> None:
    html = client.get(f"/w/{world.workshop.pk}/").content.decode()
    assert '<p class="text" lang="zgh" dir="auto">ⴰⵔⴳⴰⵏ ⵏ ⵜⵉⵡⵓⵜ</p>' in html
    assert '<p class="text" lang="fr" dir="auto">Créer un guichet unique' in html


def _card_ids(html: str) -> list[str]:
    return re.findall(r'<li class="card contribution" id="c-(\d+)">', html)


def test_workshop_filters_contributions_by_dimension(world: World, client: Client) -> None:
    html = client.get(f"/w/{world.workshop.pk}/?dimension=proposal").content.decode()
    assert _card_ids(html) == [str(world.proposal.pk)]
    assert 'hx-boost="true" hx-target="#contribution-list" hx-swap="outerHTML"' in html
    assert re.search(r'<a href="\?dimension=proposal"[^>]*aria-current="page"', html)


def test_workshop_ignores_an_unknown_dimension(world: World, client: Client) -> None:
    html = client.get(f"/w/{world.workshop.pk}/?dimension=nonsense").content.decode()
    assert len(_card_ids(html)) == 3


def test_workshop_filter_over_htmx_returns_only_the_list(
    world: World, client: Client, htmx_headers: dict[str, str]
) -> None:
    response = client.get(f"/w/{world.workshop.pk}/?dimension=challenge", headers=htmx_headers)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="contribution-list"')
    assert "<html" not in html
    assert _card_ids(html) == [str(world.challenge.pk)]


def test_anonymous_visitor_is_invited_to_sign_in(world: World, client: Client) -> None:
    html = client.get(f"/w/{world.workshop.pk}/").content.decode()
    assert 'id="contribution-form"' not in html
    assert f'<a href="/login/?next=/w/{world.workshop.pk}/">سجّل الدخول</a>' in html
    assert "سجّل الدخول للتصويت" in html


def test_closed_workshop_shows_no_form(world: World, participant_client: Client) -> None:
    html = participant_client.get(f"/w/{world.closed_workshop.pk}/").content.decode()
    assert 'id="contribution-form"' not in html
    assert "هذه المائدة المستديرة غير مفتوحة: المساهمات والتصويت مغلقة." in html


def test_draft_consultation_workshop_is_forbidden_to_the_public(
    world: World, client: Client
) -> None:
    Consultation.objects.filter(pk=world.consultation.pk).update(status="draft")
    assert client.get(f"/w/{world.workshop.pk}/").status_code == 403


def test_unknown_workshop_is_404(world: World, client: Client) -> None:
    assert client.get("/w/999999/").status_code == 404


def test_not_found_page_is_translated_and_rtl(world: World, client: Client) -> None:
    response = client.get("/w/999999/")
    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "<h1>الصفحة غير موجودة</h1>" in html


def test_forbidden_page_is_translated(world: World, client: Client) -> None:
    Consultation.objects.filter(pk=world.consultation.pk).update(status="draft")
    html = client.get(f"/fr/w/{world.workshop.pk}/").content.decode()
    assert "<h1>Action non autorisée</h1>" in html


def _queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries.captured_queries)


def test_workshop_page_queries_do_not_grow_with_contributions(
    world: World, participant_client: Client
) -> None:
    url = f"/w/{world.workshop.pk}/"
    before = _queries_for(participant_client, url)
    for n in range(10):
        contribution_submit(
            workshop=world.workshop,
            text=f"مقترح {n}",
            dimension="proposal",
            channel="web",
            author=world.participant,
            language="ar",
        )
    assert _queries_for(participant_client, url) == before


def test_region_name_shows_in_tifinagh_too(world: World, client: Client) -> None:
    html = client.get("/").content.decode()
    assert '<bdi>سوس ماسة</bdi> <span lang="zgh">ⵙⵓⵙ ⵎⴰⵙⵙⴰ</span>' in html


def test_closed_workshop_tells_anonymous_visitors_it_is_closed(
    world: World, client: Client
) -> None:
    html = client.get(f"/w/{world.closed_workshop.pk}/").content.decode()
    assert "هذه المائدة المستديرة غير مفتوحة: المساهمات والتصويت مغلقة." in html
    assert "/login/?next=" not in html.split('<main id="main"')[1]


def test_facilitator_is_told_they_record_for_the_table(world: World, client: Client) -> None:
    client.force_login(world.facilitator)
    html = client.get(f"/w/{world.workshop.pk}/").content.decode()
    assert 'id="contribution-form"' in html
    assert "أنت تسجّل ما تقوله المائدة المستديرة: ستظهر المساهمة على أنها مسجّلة من طرف المنشّط." in (
        html
    )


def test_facilitators_page_asks_who_is_speaking_table_first(world: World, client: Client) -> None:
    registered = Participant.objects.create(display_name="آمنة ر.")
    Registration.objects.create(meeting=world.meeting, participant=registered)
    client.force_login(world.facilitator)

    html = client.get(f"/fr/w/{world.workshop.pk}/").content.decode()

    choices = re.search(r'<div id="speaker-choices"[^>]*>(.*?)</div>', html, flags=re.DOTALL)
    assert choices
    options = re.findall(
        r'<label><input type="radio" name="author"[^>]*>(?:<bdi>)?([^<]*)', choices.group(1)
    )
    assert options[0] == "Non précisé"
    assert sorted(options[1:3]) == sorted(["Ahmed B.", "فاطمة أ."])
    assert options[3:] == ["آمنة ر."]
    assert "Qui parle ?" in html


def test_participants_page_has_no_speaker_choice(world: World, client: Client) -> None:
    client.force_login(world.participant_user)

    html = client.get(f"/w/{world.workshop.pk}/").content.decode()

    assert 'id="contribution-form"' in html
    assert 'name="author"' not in html
    assert "من المتحدث؟" not in html


def test_only_the_workshop_page_loads_htmx(world: World, client: Client) -> None:
    assert "htmx.min.js" not in client.get("/").content.decode()
    assert "htmx.min.js" not in client.get(f"/m/{world.meeting.slug}/").content.decode()
    assert "htmx.min.js" in client.get(f"/w/{world.workshop.pk}/").content.decode()


@pytest.mark.django_db
def test_the_home_page_links_each_strategys_national_picture(client) -> None:
    from tests.consultations.factories import ConsultationFactory

    consultation = ConsultationFactory()
    strategy = consultation.strategy
    strategy.status = "active"
    strategy.save(update_fields=["status"])

    html = client.get("/fr/").content.decode()

    assert f'href="/fr/s/{strategy.slug}/"' in html
    assert "1 région consultée sur 12" in html
