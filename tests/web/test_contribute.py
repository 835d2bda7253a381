"""The contribution form: HTMX partials, the no-JS redirect, translated errors, idempotency."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tashawur.actors.models import Consent, Participant
from tashawur.actors.services import consent_record
from tashawur.consultations.models import Attendance, Registration
from tashawur.contributions.models import TEXT_MAX_LENGTH, Contribution

from .world import World

pytestmark = pytest.mark.django_db

TEXT = "نقترح تكوينًا في التلفيف والتسويق لفائدة التعاونيات النسائية"


def _post(client: Client, world: World, headers: dict[str, str] | None = None, **data: str):
    payload = {"text": TEXT, "dimension": "proposal", "idempotency_key": "", **data}
    return client.post(f"/w/{world.workshop.pk}/contribute/", payload, headers=headers or {})


def _errors(html: str) -> list[str]:
    return re.findall(
        r"<li>([^<]+)</li>", "".join(re.findall(r'<ul class="errors"[^>]*>(.*?)</ul>', html))
    )


def _field_errors(html: str, name: str) -> list[str]:
    """The errors shown inside the field that holds the input called ``name``."""
    fields = re.findall(r'<div class="field has-error">(.*?)</div>', html, flags=re.DOTALL)
    fields += re.findall(
        r'<fieldset class="field has-error">(.*?)</fieldset>', html, flags=re.DOTALL
    )
    inside = [field for field in fields if f'name="{name}"' in field]
    return re.findall(r"<li>([^<]+)</li>", "".join(inside))


def _speaker_options(html: str) -> list[str]:
    """The speaker picker's choices, as the facilitator reads them (name only)."""
    choices = re.search(r'<div id="speaker-choices"[^>]*>(.*?)</div>', html, flags=re.DOTALL)
    assert choices, "no speaker choice in the form"
    return re.findall(
        r'<label><input type="radio" name="author"[^>]*>(?:<bdi>)?([^<]*)', choices.group(1)
    )


def _speaker_checked(html: str) -> list[str]:
    choices = html.split('<div id="speaker-choices"')[1].split("</div>")[0]
    return re.findall(r'<input type="radio" name="author"[^>]*checked>(?:<bdi>)?([^<]*)', choices)


def _ahmed() -> Participant:
    return Participant.objects.get(display_name="Ahmed B.")


def test_htmx_submit_stores_and_returns_new_card_and_fresh_form(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    response = _post(participant_client, world, htmx_headers, idempotency_key="k1")
    html = response.content.decode()
    stored = Contribution.objects.get(text=TEXT)
    assert response.status_code == 200
    assert stored.author == world.participant
    assert stored.channel == "web"
    assert html.lstrip().startswith('<form id="contribution-form"')
    assert '<ol hx-swap-oob="afterbegin:#contributions">' in html
    assert f'<li class="card contribution" id="c-{stored.pk}">' in html
    assert "شكرًا: سُجّلت مساهمتك." in html
    # The fresh form is empty and carries a new key, so the next submit is a new contribution.
    assert TEXT not in html.split("<ol hx-swap-oob")[0]
    assert 'name="idempotency_key" value="k1"' not in html


def test_submit_without_javascript_redirects_to_the_new_card(
    world: World, participant_client: Client
) -> None:
    response = _post(participant_client, world)
    stored = Contribution.objects.get(text=TEXT)
    assert response.status_code == 302
    assert response["Location"] == f"/w/{world.workshop.pk}/#c-{stored.pk}"


def test_form_renders_a_fresh_idempotency_key_each_time(
    world: World, participant_client: Client
) -> None:
    pattern = r'name="idempotency_key" value="([0-9a-f]{32})"'
    first = re.search(pattern, participant_client.get(f"/w/{world.workshop.pk}/").content.decode())
    second = re.search(pattern, participant_client.get(f"/w/{world.workshop.pk}/").content.decode())
    assert first and second
    assert first.group(1) != second.group(1)


def test_double_submit_with_the_same_key_stores_once(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    first = _post(participant_client, world, htmx_headers, idempotency_key="same-key")
    second = _post(participant_client, world, htmx_headers, idempotency_key="same-key")
    assert Contribution.objects.filter(text=TEXT).count() == 1
    assert "hx-swap-oob" in first.content.decode()
    # The replay is acknowledged but adds no second card to the list.
    assert "hx-swap-oob" not in second.content.decode()
    assert "شكرًا: سُجّلت مساهمتك." in second.content.decode()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("   ", "المساهمة فارغة: اكتب أو سجّل شيئًا أولًا."),
        ("ا" * (TEXT_MAX_LENGTH + 1), "النص طويل جدًا: 2001 حرف، والحد الأقصى 2000."),
        (
            "مقترح \u202eمخفي",
            "يحتوي النص على رموز خفية للتحكم في اتجاه الكتابة (مثل U+202E) قد تُخفي مضمونه؛"
            " احذفها وأعد الإرسال.",
        ),
    ],
    ids=["empty", "too-long", "bidi-controls"],
)
def test_bad_text_gets_the_translated_error_inline(
    world: World,
    participant_client: Client,
    htmx_headers: dict[str, str],
    text: str,
    message: str,
) -> None:
    response = _post(participant_client, world, htmx_headers, text=text)
    assert response.status_code == 422
    assert _errors(response.content.decode()) == [message]
    assert Contribution.objects.count() == 3


def test_too_long_text_error_in_french(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    response = participant_client.post(
        f"/fr/w/{world.workshop.pk}/contribute/",
        {"text": "a" * (TEXT_MAX_LENGTH + 5), "dimension": "question"},
        headers=htmx_headers,
    )
    assert _errors(response.content.decode()) == [
        "Le texte est trop long : 2005 caractères, au plus 2000."
    ]


def test_missing_dimension_is_asked_for(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    response = _post(participant_client, world, htmx_headers, dimension="")
    assert response.status_code == 422
    assert _errors(response.content.decode()) == ["اختر نوع المساهمة."]


def test_errors_keep_what_was_typed(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    response = _post(participant_client, world, htmx_headers, dimension="")
    assert f">\n{TEXT}</textarea>" in response.content.decode()


def test_closed_workshop_refuses_with_the_translated_message(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    response = participant_client.post(
        f"/w/{world.closed_workshop.pk}/contribute/",
        {"text": TEXT, "dimension": "proposal"},
        headers=htmx_headers,
    )
    assert response.status_code == 422
    assert _errors(response.content.decode()) == [
        "هذه الورشة مغلقة: لم تعد تقبل المساهمات ولا التصويت."
    ]
    assert not Contribution.objects.filter(workshop=world.closed_workshop).exists()


def test_error_without_javascript_renders_the_whole_page(
    world: World, participant_client: Client
) -> None:
    response = _post(participant_client, world, text="")
    html = response.content.decode()
    assert response.status_code == 422
    assert '<html lang="ar" dir="rtl">' in html
    assert _errors(html) == ["المساهمة فارغة: اكتب أو سجّل شيئًا أولًا."]


def test_anonymous_submit_is_sent_to_sign_in(world: World, client: Client) -> None:
    response = _post(client, world)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert Contribution.objects.count() == 3


def test_facilitator_records_for_the_table(world: World, client: Client) -> None:
    client.force_login(world.facilitator)
    _post(client, world)
    stored = Contribution.objects.get(text=TEXT)
    assert (stored.channel, stored.recorded_by, stored.author) == (
        "facilitator",
        world.facilitator,
        None,
    )
    html = client.get(f"/w/{world.workshop.pk}/").content.decode()
    card = html.split(f'id="c-{stored.pk}"')[1].split("</li>")[0]
    assert "سجّلها المنشّط" in card


def test_new_proposal_card_can_be_voted_on_at_once(
    world: World, participant_client: Client, htmx_headers: dict[str, str]
) -> None:
    html = _post(participant_client, world, htmx_headers).content.decode()
    stored = Contribution.objects.get(text=TEXT)
    assert f'<form class="vote" id="vote-{stored.pk}"' in html
    # The fresh form has no dimension chosen: it starts over.
    assert "checked" not in html.split("<ol hx-swap-oob")[0]


def test_facilitator_names_who_is_speaking(world: World, client: Client) -> None:
    client.force_login(world.facilitator)
    speaker = Participant.objects.create(display_name="حسن م.")
    Attendance.objects.create(workshop=world.workshop, participant=speaker)

    response = _post(client, world, author=str(speaker.pk), oral_consent="on")

    stored = Contribution.objects.get(text=TEXT)
    assert response.status_code == 302
    assert (stored.channel, stored.recorded_by, stored.author) == (
        "facilitator",
        world.facilitator,
        speaker,
    )
    consent = Consent.objects.get(participant=speaker)
    assert (consent.granted, consent.method) == (True, Consent.Method.ORAL)
    html = client.get(f"/w/{world.workshop.pk}/").content.decode()
    card = html.split(f'id="c-{stored.pk}"')[1].split("</li>")[0]
    # The page names the contribution by its number, never the speaker (the form does).
    assert "حسن م." not in card
    assert f"المساهمة رقم {stored.pk}" in card
    assert "سجّلها المنشّط" in card


def test_facilitator_names_a_speaker_through_htmx_and_gets_a_fresh_unnamed_form(
    world: World, client: Client, htmx_headers: dict[str, str]
) -> None:
    client.force_login(world.facilitator)
    ahmed = _ahmed()

    html = _post(
        client, world, htmx_headers, author=str(ahmed.pk), oral_consent="on"
    ).content.decode()

    assert Contribution.objects.get(text=TEXT).author == ahmed
    form, card = html.split("<ol hx-swap-oob")
    assert "Ahmed B." not in card
    assert _speaker_checked(form) == ["غير محدد"]
    assert "سُجّلت المساهمة باسم Ahmed B." in form


def test_facilitators_form_lists_the_table_then_the_meetings_registered(
    world: World, client: Client, htmx_headers: dict[str, str]
) -> None:
    registered = Participant.objects.create(display_name="آمنة ر.")
    Registration.objects.create(meeting=world.meeting, participant=registered)
    erased = Participant.objects.create(display_name="محو", erased_at="2024-01-01T00:00Z")
    Attendance.objects.create(workshop=world.workshop, participant=erased)
    Participant.objects.create(display_name="غريب")
    client.force_login(world.facilitator)

    # A refused submission brings the facilitator's form back, with its choices.
    html = _post(client, world, htmx_headers, text="").content.decode()

    options = _speaker_options(html)
    assert options[0] == "غير محدد"
    assert sorted(options[1:3]) == sorted(["Ahmed B.", "فاطمة أ."])
    assert options[3:] == ["آمنة ر."]
    assert "من المتحدث؟" in html


def test_facilitator_naming_someone_off_the_list_is_refused_next_to_the_field(
    world: World, client: Client, htmx_headers: dict[str, str]
) -> None:
    stranger = Participant.objects.create(display_name="غريب")
    client.force_login(world.facilitator)

    response = _post(client, world, htmx_headers, author=str(stranger.pk))

    assert response.status_code == 422
    assert _field_errors(response.content.decode(), "author") == [
        "اختر شخصًا من القائمة، أو اترك الخانة على «غير محدد»."
    ]
    assert not Contribution.objects.filter(text=TEXT).exists()


def test_facilitator_naming_someone_who_declined_gets_the_reason_next_to_the_field(
    world: World, client: Client, htmx_headers: dict[str, str]
) -> None:
    declined = Participant.objects.create(display_name="رافض")
    Attendance.objects.create(workshop=world.workshop, participant=declined)
    consent_record(participant=declined, granted=False, method=Consent.Method.PAPER)
    client.force_login(world.facilitator)

    response = _post(client, world, htmx_headers, author=str(declined.pk), oral_consent="on")

    assert response.status_code == 422
    assert _field_errors(response.content.decode(), "author") == [
        "رفض هذا المشارك المشاركة: لا يمكن تسجيل كلامه إلا إذا أعطى موافقته."
    ]
    assert not Contribution.objects.filter(text=TEXT).exists()


def test_participant_cannot_name_someone_else_as_the_author(
    world: World, participant_client: Client
) -> None:
    response = _post(participant_client, world, author=str(_ahmed().pk))

    stored = Contribution.objects.get(text=TEXT)
    assert response.status_code == 302
    assert (stored.author, stored.channel, stored.recorded_by) == (world.participant, "web", None)
