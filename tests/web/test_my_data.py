"""'My data': a signed-in participant downloads what the platform holds about them, and only
that (Law 09-08)."""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tashawur.actors.models import Participant
from tashawur.contributions.services import contribution_submit, participant_erase, vote_cast
from tashawur.web.exports import EXPORT_SECTIONS

from .world import World

pytestmark = pytest.mark.django_db

PAGE, JSON_URL, ZIP_URL = "/me/data/", "/me/data/export.json", "/me/data/export.zip"
DATED_NAME = re.compile(r'attachment; filename="tashawur-my-data-\d{4}-\d{2}-\d{2}\.(json|zip)"')


def _say(world: World, text: str) -> None:
    contribution_submit(
        workshop=world.workshop,
        text=text,
        dimension="proposal",
        channel="web",
        author=world.participant,
        language="ar",
    )


def test_anonymous_visitor_is_sent_to_sign_in(world: World, client: Client) -> None:
    for url in (PAGE, JSON_URL, ZIP_URL):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")


def test_page_says_what_is_held_in_arabic_right_to_left(
    world: World, participant_client: Client
) -> None:
    html = participant_client.get(PAGE).content.decode()

    assert '<html lang="ar" dir="rtl">' in html
    assert "<h1>بياناتي</h1>" in html
    assert "مساهماتك" in html
    assert f'href="{ZIP_URL}"' in html
    assert f'href="{JSON_URL}"' in html


def test_page_in_french_is_left_to_right(world: World, participant_client: Client) -> None:
    html = participant_client.get(f"/fr{PAGE}").content.decode()

    assert '<html lang="fr" dir="ltr">' in html
    assert "<h1>Mes données</h1>" in html
    assert "Vos contributions" in html
    assert f'href="/fr{JSON_URL}"' in html


def test_signed_in_menu_links_to_my_data(world: World, participant_client: Client) -> None:
    html = participant_client.get("/fr/").content.decode()

    assert f'<a href="/fr{PAGE}">Mes données</a>' in html


def test_json_holds_the_participants_data_and_no_one_elses(
    world: World, participant_client: Client
) -> None:
    _say(world, "نقترح شباكا موحدا للتعاونيات")
    vote_cast(contribution=world.proposal, participant=world.participant, value=1)

    response = participant_client.get(JSON_URL)
    export = json.loads(response.content)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert DATED_NAME.fullmatch(response["Content-Disposition"])
    assert "no-store" in response["Cache-Control"]
    assert export["format_version"] == 1
    assert export["exported_at"]
    assert export["participant"]["display_name"] == "فاطمة أ."
    assert export["participant"]["username"] == "participant"
    assert [c["text"] for c in export["contributions"]] == ["نقترح شباكا موحدا للتعاونيات"]
    assert [(v["contribution_id"], v["value"]) for v in export["votes"]] == [(world.proposal.pk, 1)]
    assert [c["granted"] for c in export["consents"]] == [True]
    assert [o["name"] for o in export["organisations"]] == ["تعاونية أركان تيوت"]
    assert [a["workshop"] for a in export["attendances"]] == ["الحصول على علامات الجودة"]
    everything = response.content.decode()
    assert "Ahmed B." not in everything
    assert world.challenge.text not in everything


def test_zip_holds_escaped_csv_with_a_byte_order_mark(
    world: World, participant_client: Client
) -> None:
    _say(world, '=HYPERLINK("http://example.org","انقر")')

    response = participant_client.get(ZIP_URL)
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    folder = response["Content-Disposition"].split('"')[1].removesuffix(".zip")
    data = archive.read(f"{folder}/contributions.csv")
    header, *rows = csv.reader(io.StringIO(data.decode("utf-8-sig")))

    assert response["Content-Type"] == "application/zip"
    assert DATED_NAME.fullmatch(response["Content-Disposition"])
    assert "no-store" in response["Cache-Control"]
    assert data.startswith(b"\xef\xbb\xbf")
    assert [row[header.index("text")] for row in rows] == [
        '\'=HYPERLINK("http://example.org","انقر")'
    ]
    assert len(archive.namelist()) == len(EXPORT_SECTIONS) == 8


def test_user_without_participant_is_told_there_is_nothing_to_export(
    world: World, client: Client
) -> None:
    client.force_login(world.facilitator)
    message = "Votre compte n&#x27;est lié à aucun participant"

    page = client.get(f"/fr{PAGE}")
    download = client.get(f"/fr{JSON_URL}")

    assert page.status_code == 200
    assert message in page.content.decode()
    assert download.status_code == 404
    assert message in download.content.decode()
    assert "Content-Disposition" not in download


def test_erased_participant_is_told_their_data_is_gone_and_gets_no_file(
    world: World, participant_client: Client
) -> None:
    # Erasure also unlinks and disables the account; a participant marked erased while still
    # signed in must still get no file.
    Participant.objects.filter(pk=world.participant.pk).update(erased_at=timezone.now())

    page = participant_client.get(PAGE)
    download = participant_client.get(ZIP_URL)

    assert "لقد مُحيت بياناتك: لم يبق شيء لتصديره." in page.content.decode()
    assert download.status_code == 404
    assert "لقد مُحيت بياناتك: لم يبق شيء لتصديره." in download.content.decode()
    assert "Content-Disposition" not in download


def test_erasure_signs_the_person_out_of_my_data(world: World, participant_client: Client) -> None:
    participant_erase(participant=world.participant)

    response = participant_client.get(JSON_URL)

    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={JSON_URL}"


def _queries_for(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return len(queries.captured_queries)


@pytest.mark.parametrize("url", [JSON_URL, ZIP_URL])
def test_download_queries_do_not_grow_with_the_data(
    world: World, participant_client: Client, url: str
) -> None:
    before = _queries_for(participant_client, url)
    for n in range(10):
        _say(world, f"مقترح {n}")
    vote_cast(contribution=world.proposal, participant=world.participant, value=0)

    after = _queries_for(participant_client, url)

    assert after == before
    assert after <= 12
