"""A round table's notes imported over HTTP (``/w/<pk>/import/``): who may, the preview and its
confirmation, the template, and the refusals (row errors in French, zip bomb, closed table)."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tashawur.consultations.models import Consultation, Workshop
from tashawur.contributions.models import Channel, Contribution, ModerationStatus, NotesImport
from tashawur.contributions.note_files import COLUMNS
from tashawur.core.roles import Role
from tests.actors.factories import UserFactory
from tests.callbacks import queued as not_bumps
from tests.consultations.factories import WorkshopFactory

pytestmark = pytest.mark.django_db

ARABIC = "نقترح إحداث شباك موحد لمواكبة التعاونيات الفلاحية"
WHO = [
    "anonymous",
    "participant",
    "facilitator",
    "rapporteur",
    "coordinator",
    "other_facilitator",
    "national",
]
MAY_IMPORT = {"facilitator", "rapporteur", "coordinator", "national"}


@pytest.fixture
def workshop() -> Workshop:
    return WorkshopFactory(
        facilitator=UserFactory(role=Role.FACILITATOR),
        rapporteur=UserFactory(role=Role.RAPPORTEUR),
        meeting__consultation__status=Consultation.Status.OPEN,
    )


def _client(workshop: Workshop, who: str) -> Client:
    client = Client()
    if who == "anonymous":
        return client
    if who == "facilitator":
        user = workshop.facilitator
    elif who == "rapporteur":
        user = workshop.rapporteur
    else:
        role = {
            "participant": Role.PARTICIPANT,
            "coordinator": Role.REGIONAL_COORDINATOR,
            "other_facilitator": Role.FACILITATOR,
            "national": Role.NATIONAL_COORDINATOR,
        }[who]
        user = UserFactory(role=role)
        if who == "coordinator":
            workshop.meeting.consultation.coordinators.add(user)
    client.force_login(user)
    return client


def _url(workshop: Workshop, name: str = "contributions:workshop_import") -> str:
    return reverse(name, args=[workshop.pk])


def _csv(*rows: str, encoding: str = "utf-8", bom: bool = False) -> bytes:
    text = "text,dimension,language,speaker\r\n" + "\r\n".join(rows) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def _upload(content: bytes, name: str = "notes.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def _token(html: str) -> str:
    return html.split('name="confirm" value="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize(
    "name", ["contributions:workshop_import", "contributions:workshop_import_template"]
)
def test_the_import_and_its_template_are_for_the_tables_staff_and_managers(
    workshop: Workshop, who: str, name: str
) -> None:
    response = _client(workshop, who).get(_url(workshop, name))

    if who == "anonymous":
        assert response.status_code == 302
        assert "login" in response["Location"]
    elif who in MAY_IMPORT:
        assert response.status_code == 200
        assert "private" in response["Cache-Control"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("who", ["participant", "other_facilitator"])
def test_a_refused_user_can_neither_upload_nor_confirm(workshop: Workshop, who: str) -> None:
    client = _client(workshop, who)

    assert (
        client.post(_url(workshop), {"file": _upload(_csv(f"{ARABIC},proposal,ar,"))}).status_code
        == 403
    )
    assert client.post(_url(workshop), {"confirm": "anything"}).status_code == 403
    assert Contribution.objects.count() == 0


def test_the_workshop_page_links_to_the_import_for_its_staff_only(workshop: Workshop) -> None:
    link = f'href="{_url(workshop)}"'

    assert (
        link
        in _client(workshop, "rapporteur")
        .get(_url(workshop, "contributions:workshop"))
        .content.decode()
    )
    assert (
        link
        not in _client(workshop, "participant")
        .get(_url(workshop, "contributions:workshop"))
        .content.decode()
    )


def test_the_upload_previews_then_the_confirmation_imports(workshop: Workshop) -> None:
    client = _client(workshop, "facilitator")

    preview = client.post(
        _url(workshop),
        {"file": _upload(_csv(f"{ARABIC},proposal,ar,", "Manque d'eau,Contrainte,fr,Nobody"))},
    )

    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'name="confirm"' in html
    assert "Nobody" in html  # the unmatched speaker, said in the row's result
    assert Contribution.objects.count() == 0  # not yet

    done = client.post(_url(workshop), {"confirm": _token(html)})

    assert done.status_code == 302
    assert done["Location"] == _url(workshop, "contributions:workshop")
    stored = Contribution.objects.order_by("pk")
    assert [(c.text, c.channel, c.recorded_by_id, c.author_id) for c in stored] == [
        (ARABIC, Channel.IMPORT, workshop.facilitator_id, None),
        ("Manque d'eau", Channel.IMPORT, workshop.facilitator_id, None),
    ]
    # The same confirmation again imports nothing more and says why.
    again = client.post(_url(workshop), {"confirm": _token(html)})
    assert again.status_code == 422
    assert Contribution.objects.count() == 2


def test_uploading_the_same_file_again_says_it_was_already_imported(workshop: Workshop) -> None:
    client = _client(workshop, "facilitator")
    content = _csv(f"{ARABIC},proposal,ar,")
    first = client.post(_url(workshop), {"file": _upload(content)})
    client.post(_url(workshop), {"confirm": _token(first.content.decode())})

    second = client.post(_url(workshop), {"file": _upload(content)}, HTTP_ACCEPT_LANGUAGE="en")
    html = second.content.decode()

    assert second.status_code == 200
    assert 'name="confirm"' not in html
    assert Contribution.objects.count() == 1


def test_a_windows_1256_file_with_a_bad_row_is_refused_in_french(workshop: Workshop) -> None:
    client = _client(workshop, "facilitator")
    url = "/fr" + _url(workshop).removeprefix("/ar")
    content = _csv(f"{ARABIC},proposal,ar,", f"{ARABIC},souhait,ar,", encoding="cp1256")

    response = client.post(url, {"file": _upload(content)}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 422
    html = response.content.decode()
    assert "Ligne 3" in html
    assert "« souhait » n&#x27;est pas une dimension" in html
    assert ARABIC in html  # read back from Windows-1256
    assert 'name="confirm"' not in html
    assert Contribution.objects.count() == 0


def test_a_file_with_a_byte_order_mark_imports(workshop: Workshop) -> None:
    client = _client(workshop, "rapporteur")
    preview = client.post(
        _url(workshop), {"file": _upload(_csv(f"{ARABIC},proposal,ar,", bom=True))}
    )

    client.post(_url(workshop), {"confirm": _token(preview.content.decode())})

    assert Contribution.objects.get().text == ARABIC


def test_pre_moderation_says_the_import_waits_for_a_moderator(workshop: Workshop) -> None:
    Consultation.objects.filter(pk=workshop.meeting.consultation_id).update(
        moderation=Consultation.Moderation.PRE
    )
    client = _client(workshop, "rapporteur")
    preview = client.post(_url(workshop), {"file": _upload(_csv(f"{ARABIC},proposal,ar,"))})

    client.post(_url(workshop), {"confirm": _token(preview.content.decode())})

    assert Contribution.objects.get().moderation_status == ModerationStatus.PENDING


def test_a_zip_bomb_upload_is_refused(workshop: Workshop) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))

    response = _client(workshop, "national").post(
        _url(workshop), {"file": SimpleUploadedFile("notes.xlsx", buffer.getvalue())}
    )

    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()


def test_a_file_over_the_limit_is_refused(workshop: Workshop, settings) -> None:
    settings.TASHAWUR_NOTES_FILE_MAX_BYTES = 50

    response = _client(workshop, "facilitator").post(
        _url(workshop), {"file": _upload(_csv(f"{ARABIC},proposal,ar,"))}
    )

    assert response.status_code == 422
    assert Contribution.objects.count() == 0


def test_a_closed_workshop_refuses_the_import(workshop: Workshop) -> None:
    client = _client(workshop, "facilitator")
    preview = client.post(_url(workshop), {"file": _upload(_csv(f"{ARABIC},proposal,ar,"))})
    Workshop.objects.filter(pk=workshop.pk).update(
        status=Workshop.Status.CLOSED, closed_at=timezone.now()
    )

    page = client.get(_url(workshop))
    done = client.post(_url(workshop), {"confirm": _token(preview.content.decode())})

    assert 'type="file"' not in page.content.decode()
    assert done.status_code == 422
    assert Contribution.objects.count() == 0


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_template_as_downloaded_previews_without_error(workshop: Workshop, kind: str) -> None:
    client = _client(workshop, "coordinator")
    query = "?format=csv" if kind == "csv" else ""
    template = client.get(_url(workshop, "contributions:workshop_import_template") + query)
    if kind == "xlsx":
        header = next(
            load_workbook(io.BytesIO(template.content)).active.iter_rows(values_only=True)
        )
        assert list(header) == list(COLUMNS)

    response = client.post(
        _url(workshop), {"file": SimpleUploadedFile(f"t.{kind}", template.content)}
    )

    assert response.status_code == 200, response.content.decode()[-2000:]
    assert 'name="confirm"' in response.content.decode()


def test_a_long_file_previews_its_first_rows_and_counts_the_rest(workshop: Workshop) -> None:
    rows = [f"{ARABIC} {n},proposal,ar," for n in range(201)]

    response = _client(workshop, "facilitator").post(
        "/en" + _url(workshop).removeprefix("/ar"), {"file": _upload(_csv(*rows))}
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert f"{ARABIC} 199<" in html
    assert f"{ARABIC} 200<" not in html
    assert "And 1 more row, not shown here." in html


# --- a long file, imported by the worker ----------------------------------------------------------


def test_a_long_file_is_imported_in_the_background_and_its_page_says_how_it_went(
    workshop: Workshop, settings, django_capture_on_commit_callbacks
) -> None:
    settings.TASHAWUR_NOTES_IMPORT_BACKGROUND_ROWS = 3
    client = _client(workshop, "facilitator")
    rows = [f"{ARABIC} {n},proposal,ar," for n in range(5)]
    preview = client.post(
        "/en" + _url(workshop).removeprefix("/ar"), {"file": _upload(_csv(*rows))}
    )

    with django_capture_on_commit_callbacks(execute=True) as queued:
        done = client.post(_url(workshop), {"confirm": _token(preview.content.decode())})

    assert done.status_code == 302
    job = NotesImport.objects.get()
    assert done["Location"].endswith(f"/w/{workshop.pk}/import/{job.pk}/")
    assert len(not_bumps(queued)) == 1  # the task, queued once the job was committed
    job.refresh_from_db()
    assert (job.status, job.rows, job.created_count, job.stored_path) == ("done", 5, 5, "")
    assert Contribution.objects.filter(channel=Channel.IMPORT).count() == 5
    page = client.get(done["Location"])
    assert page.status_code == 200
    assert "5 notes imported." in page.content.decode()
    assert 'http-equiv="refresh"' not in page.content.decode()
    # Another round table's staff do not see it; the import form lists it.
    assert _client(workshop, "other_facilitator").get(done["Location"]).status_code == 403
    assert job.filename in client.get(_url(workshop)).content.decode()


def test_a_long_file_refused_by_the_worker_lists_its_rows_and_stores_nothing(
    workshop: Workshop, settings
) -> None:
    from tashawur.contributions.services import notes_import_execute, notes_import_queue

    settings.TASHAWUR_NOTES_IMPORT_BACKGROUND_ROWS = 1
    content = _csv(f"{ARABIC},proposal,ar,", "texte,souhait,fr,")
    job = notes_import_queue(
        workshop=workshop, data=content, filename="n.csv", by=workshop.facilitator, rows=2
    )
    Workshop.objects.filter(pk=workshop.pk).update(status=Workshop.Status.OPEN)

    ended = notes_import_execute(notes_import=job)
    again = notes_import_execute(notes_import=job)  # a second delivery of the task

    assert ended.status == NotesImport.Status.REFUSED
    assert [row["number"] for row in ended.errors] == [3]
    assert again.status == NotesImport.Status.REFUSED and again.finished_at == ended.finished_at
    assert not Contribution.objects.exists()
    page = _client(workshop, "facilitator").get(
        reverse("contributions:workshop_import_status", args=[workshop.pk, job.pk])
    )
    assert page.status_code == 200


def test_a_queued_import_page_refreshes_itself(workshop: Workshop) -> None:
    job = NotesImport.objects.create(
        workshop=workshop, uploaded_by=workshop.facilitator, filename="n.xlsx", rows=5000
    )

    page = _client(workshop, "rapporteur").get(
        reverse("contributions:workshop_import_status", args=[workshop.pk, job.pk])
    )

    assert page.status_code == 200
    assert 'http-equiv="refresh"' in page.content.decode()
