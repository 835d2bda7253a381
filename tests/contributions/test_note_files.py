"""A round table's notes from a file: reading (``note_files``, over ``core.tabular``) and the
all-or-nothing import (``services.importing``)."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from django.utils import translation

from tashawur.actors.models import Consent
from tashawur.consultations.models import Attendance, Consultation, Registration, Workshop
from tashawur.contributions import note_files
from tashawur.contributions.models import Channel, Contribution, Language, ModerationStatus
from tashawur.contributions.services import (
    NotesImportRefused,
    contributions_import,
    contributions_import_check,
)
from tashawur.contributions.services.importing import (
    ALREADY,
    AMBIGUOUS,
    NAMED,
    NEW,
    NOT_NAMED,
)
from tashawur.core import tabular
from tashawur.core.errors import DomainError
from tashawur.core.roles import Role
from tests.actors.factories import ConsentTextFactory, ParticipantFactory, UserFactory
from tests.consultations.factories import WorkshopFactory

ARABIC = "نقترح إحداث شباك موحد لمواكبة التعاونيات الفلاحية"
HEADER = ["text", "dimension", "language", "speaker", "organisation", "said_at"]


def csv_bytes(rows, *, header=HEADER, encoding="utf-8", bom=False, delimiter=","):
    lines = [delimiter.join(header)] + [delimiter.join(row) for row in rows]
    text = "\r\n".join(lines) + "\r\n"
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding)


def xlsx_bytes(rows, *, header=HEADER):
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("notes")
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bomb() -> bytes:
    """A "workbook" whose one sheet unpacks from a few kilobytes to 20 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


# --- reading ------------------------------------------------------------------------------------


def test_a_utf8_csv_is_read_with_its_row_numbers():
    rows = note_files.read(
        name="notes.csv", content=csv_bytes([[ARABIC, "proposal", "ar", "", "", ""]])
    )

    assert [(row.number, row.cells["text"], row.cells["dimension"]) for row in rows] == [
        (2, ARABIC, "proposal")
    ]
    assert rows[0].cells["speaker"] is None


def test_a_csv_with_a_byte_order_mark_reads_its_first_column_name():
    rows = note_files.read(
        name="notes.csv", content=csv_bytes([[ARABIC, "challenge", "", "", "", ""]], bom=True)
    )

    assert rows[0].cells["text"] == ARABIC


def test_a_windows_1256_csv_reads_its_arabic_text_back():
    content = csv_bytes([[ARABIC, "التحديات", "", "", "", ""]], encoding="cp1256", delimiter=";")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")

    rows = note_files.read(name="notes.csv", content=content)

    assert rows[0].cells["text"] == ARABIC
    assert rows[0].cells["dimension"] == "التحديات"


def test_only_text_and_dimension_columns_are_required():
    rows = note_files.read(
        name="notes.csv", content=csv_bytes([[ARABIC, "proposal"]], header=["Dimension", "TEXT"])
    )

    assert rows[0].cells["dimension"] == ARABIC  # the header's order is the file's
    assert rows[0].cells["said_at"] is None


def test_a_missing_required_column_refuses_the_file():
    with pytest.raises(DomainError) as caught:
        note_files.read(name="notes.csv", content=csv_bytes([[ARABIC]], header=["text"]))

    assert caught.value.code == "file_header"
    assert caught.value.message.startswith("Row 1: the column “dimension” is missing.")


def test_an_unknown_column_refuses_the_file():
    with pytest.raises(DomainError) as caught:
        note_files.read(
            name="notes.csv", content=csv_bytes([["a", "b", "c"]], header=[*HEADER[:2], "votes"])
        )

    assert caught.value.code == "file_header"


def test_a_formula_escaped_cell_is_read_back_without_its_apostrophe():
    rows = note_files.read(
        name="notes.csv", content=csv_bytes([["'=1+1", "proposal"]], header=HEADER[:2])
    )

    assert rows[0].cells["text"] == "=1+1"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(settings):
    settings.TASHAWUR_NOTES_FILE_MAX_BYTES = 100

    with pytest.raises(DomainError) as caught:
        note_files.read(
            name="notes.csv", content=csv_bytes([[ARABIC, "proposal"]] * 10, header=HEADER[:2])
        )

    assert caught.value.code == "file_too_large"


def test_rows_over_the_limit_refuse_the_file(settings):
    settings.TASHAWUR_NOTES_FILE_MAX_ROWS = 3

    with pytest.raises(DomainError) as caught:
        note_files.read(
            name="notes.csv", content=csv_bytes([["x", "proposal"]] * 4, header=HEADER[:2])
        )

    assert (caught.value.code, caught.value.message) == (
        "file_too_many_rows",
        "The file has more than 3 note rows.",
    )


def test_a_zip_bomb_is_refused_before_the_workbook_is_opened(monkeypatch):
    def never(*args, **kwargs):
        raise AssertionError("openpyxl opened the zip bomb")

    monkeypatch.setattr(openpyxl, "load_workbook", never)

    with pytest.raises(DomainError) as caught:
        note_files.read(name="notes.xlsx", content=zip_bomb())

    assert caught.value.code == "file_zip_bomb"


def test_too_many_zip_members_are_refused_from_the_directory():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        for index in range(tabular.MAX_MEMBERS + 1):
            book.writestr(f"m{index}", b"")

    with pytest.raises(DomainError) as caught:
        tabular.check_archive(buffer.getvalue())

    assert caught.value.code == "file_unreadable"


def test_an_xlsx_file_is_read_and_its_times_kept():
    content = xlsx_bytes([[ARABIC, "proposal", "ar", "", "", "10:30"]])

    rows = note_files.read(name="notes.xlsx", content=content)

    assert rows[0].cells["text"] == ARABIC
    assert rows[0].cells["said_at"] == "10:30"


def test_the_template_reads_back_as_its_example_rows():
    for kind in ("csv", "xlsx"):
        rows = note_files.read(name=f"t.{kind}", content=note_files.write_template(kind=kind))
        assert [row.cells["dimension"] for row in rows] == ["proposal", "challenge"]


def test_the_measures_import_uses_the_same_shared_checks():
    from tashawur.programmes import measure_files

    assert measure_files.check_archive is tabular.check_archive
    assert measure_files.decode_csv is tabular.decode_csv
    assert measure_files.escape_cell is tabular.escape_cell


# --- the import -----------------------------------------------------------------------------------


@pytest.fixture
def consent_text(db):
    return ConsentTextFactory()


@pytest.fixture
def facilitator(db):
    return UserFactory(role=Role.FACILITATOR)


@pytest.fixture
def workshop(facilitator):
    return WorkshopFactory(facilitator=facilitator)


def notes(*rows):
    return csv_bytes([list(row) + [""] * (len(HEADER) - len(row)) for row in rows])


@pytest.mark.django_db
def test_the_check_writes_nothing_and_says_what_each_row_gives(workshop, facilitator):
    plan = contributions_import_check(
        workshop=workshop,
        data=notes([ARABIC, "proposal", "ar"], ["Manque d'eau", "Contrainte", "fr"]),
        filename="notes.csv",
        by=facilitator,
    )

    assert plan.ok
    assert [(r.number, r.dimension, r.language, r.action) for r in plan.rows] == [
        (2, "proposal", "ar", NEW),
        (3, "challenge", "fr", NEW),
    ]
    assert Contribution.objects.count() == 0


@pytest.mark.django_db
def test_dimension_labels_are_read_in_arabic_and_french(workshop, facilitator):
    plan = contributions_import_check(
        workshop=workshop,
        data=notes([ARABIC, "مقترح"], [ARABIC, "Proposition"], [ARABIC, "QUESTION"]),
        filename="notes.csv",
        by=facilitator,
    )

    assert [r.dimension for r in plan.rows] == ["proposal", "proposal", "question"]


@pytest.mark.django_db
def test_the_import_stores_each_row_through_the_submission_service(workshop, facilitator):
    result = contributions_import(
        workshop=workshop,
        data=notes([ARABIC, "proposal", "ar"], ["Manque d'eau", "challenge", "fr"]),
        filename="notes.csv",
        by=facilitator,
    )

    stored = list(Contribution.objects.order_by("pk"))
    assert result.created == 2
    assert [c.text for c in stored] == [ARABIC, "Manque d'eau"]
    assert {(c.channel, c.recorded_by_id, c.author_id, c.workshop_id) for c in stored} == {
        (Channel.IMPORT, facilitator.pk, None, workshop.pk)
    }
    assert [c.idempotency_key for c in stored] == [r.idempotency_key for r in result.plan.rows]
    assert all(c.moderation_status == ModerationStatus.PUBLISHED for c in stored)


@pytest.mark.django_db
def test_one_bad_row_refuses_the_whole_file_with_its_row_number(workshop, facilitator):
    content = notes([ARABIC, "proposal"], [ARABIC, "wishes"], [ARABIC, "challenge"])

    with pytest.raises(NotesImportRefused) as caught:
        contributions_import(workshop=workshop, data=content, filename="n.csv", by=facilitator)

    assert caught.value.message == (
        "Row 3: dimension: “wishes” is not a dimension; use one of: potential, specificity, "
        "challenge, proposal, question, coordination."
    )
    assert [r.number for r in caught.value.plan.refused] == [3]
    assert Contribution.objects.count() == 0


@pytest.mark.django_db
def test_an_empty_text_is_a_row_error_in_french(workshop, facilitator):
    with translation.override("fr"):
        plan = contributions_import_check(
            workshop=workshop, data=notes(["", "proposal", "ar"]), filename="n.csv", by=facilitator
        )

    assert plan.refused[0].errors == ["text: Ce champ est obligatoire."]


@pytest.mark.django_db
def test_importing_the_same_file_twice_stores_it_once(workshop, facilitator):
    content = notes([ARABIC, "proposal", "ar"], ["Manque d'eau", "challenge", "fr"])
    contributions_import(workshop=workshop, data=content, filename="n.csv", by=facilitator)

    again = contributions_import(workshop=workshop, data=content, filename="n.csv", by=facilitator)

    assert (again.created, again.already) == (0, 2)
    assert [r.action for r in again.plan.rows] == [ALREADY, ALREADY]
    assert Contribution.objects.count() == 2


@pytest.mark.django_db
def test_the_same_file_from_the_rapporteur_after_the_facilitator_stores_nothing(
    workshop, facilitator
):
    rapporteur = UserFactory(role=Role.RAPPORTEUR)
    Workshop.objects.filter(pk=workshop.pk).update(rapporteur=rapporteur)
    workshop.refresh_from_db()
    content = notes([ARABIC, "proposal", "ar"])
    contributions_import(workshop=workshop, data=content, filename="n.csv", by=facilitator)

    again = contributions_import(workshop=workshop, data=content, filename="n.csv", by=rapporteur)

    assert again.created == 0
    assert Contribution.objects.count() == 1


@pytest.mark.django_db
def test_speakers_are_matched_by_name_phone_or_email_else_not_named(
    workshop, facilitator, consent_text
):
    by_name = ParticipantFactory(display_name="فاطمة الزهراء", consented=True)
    Attendance.objects.create(workshop=workshop, participant=by_name)
    by_phone = ParticipantFactory(
        display_name="Hassan", user=UserFactory(username="+212612345678"), consented=True
    )
    Registration.objects.create(meeting=workshop.meeting, participant=by_phone)
    by_email = ParticipantFactory(
        display_name="Mina", user=UserFactory(email="mina@example.ma"), consented=True
    )
    Attendance.objects.create(workshop=workshop, participant=by_email)
    elsewhere = ParticipantFactory(display_name="Elsewhere", consented=True)

    result = contributions_import(
        workshop=workshop,
        data=notes(
            [ARABIC, "proposal", "ar", " فاطمة  الزهراء "],
            [ARABIC, "proposal", "ar", "06 12 34 56 78"],
            [ARABIC, "proposal", "ar", "MINA@example.ma"],
            [ARABIC, "proposal", "ar", "Elsewhere"],
            [ARABIC, "proposal", "ar", ""],
        ),
        filename="n.csv",
        by=facilitator,
    )

    assert [r.speaker_status for r in result.plan.rows] == [
        NAMED,
        NAMED,
        NAMED,
        NOT_NAMED,
        "no_speaker",
    ]
    authors = list(Contribution.objects.order_by("pk").values_list("author_id", flat=True))
    assert authors == [by_name.pk, by_phone.pk, by_email.pk, None, None]
    assert elsewhere.contributions.count() == 0


@pytest.mark.django_db
def test_namesakes_are_told_apart_by_their_organisation(workshop, facilitator, consent_text):
    from tests.actors.factories import OrganisationFactory

    first, second = (ParticipantFactory(display_name="Ahmed", consented=True) for _ in "ab")
    cooperative = OrganisationFactory(name="تعاونية الأمل", name_fr="Coopérative Al Amal")
    second.organisations.add(cooperative)
    for person in (first, second):
        Attendance.objects.create(workshop=workshop, participant=person)

    plan = contributions_import_check(
        workshop=workshop,
        data=notes(
            [ARABIC, "proposal", "ar", "Ahmed", "coopérative al amal"],
            [ARABIC, "proposal", "ar", "Ahmed"],
        ),
        filename="n.csv",
        by=facilitator,
    )

    assert [r.author for r in plan.rows] == [second, None]
    assert [r.speaker_status for r in plan.rows] == [NAMED, AMBIGUOUS]


@pytest.mark.django_db
def test_a_speaker_never_asked_has_their_oral_consent_recorded(workshop, facilitator, consent_text):
    person = ParticipantFactory(display_name="Youssef")
    Attendance.objects.create(workshop=workshop, participant=person)

    contributions_import(
        workshop=workshop,
        data=notes([ARABIC, "proposal", "ar", "Youssef"], [ARABIC, "challenge", "ar", "Youssef"]),
        filename="n.csv",
        by=facilitator,
    )

    consent = Consent.objects.get(participant=person)
    assert (consent.method, consent.granted, consent.recorded_by) == (
        Consent.Method.ORAL,
        True,
        facilitator,
    )


@pytest.mark.django_db
def test_a_speaker_who_declined_refuses_the_row(workshop, facilitator, consent_text):
    from tashawur.actors.services import consent_record

    person = ParticipantFactory(display_name="Youssef")
    Attendance.objects.create(workshop=workshop, participant=person)
    consent_record(participant=person, granted=False, method=Consent.Method.PAPER)

    plan = contributions_import_check(
        workshop=workshop,
        data=notes([ARABIC, "proposal", "ar", "Youssef"]),
        filename="n.csv",
        by=facilitator,
    )

    assert not plan.ok
    assert plan.refused[0].errors[0].startswith("speaker: This participant declined")


@pytest.mark.django_db
def test_pre_moderation_keeps_a_rapporteurs_import_pending(workshop):
    Consultation.objects.filter(pk=workshop.meeting.consultation_id).update(
        moderation=Consultation.Moderation.PRE
    )
    rapporteur = UserFactory(role=Role.RAPPORTEUR)
    Workshop.objects.filter(pk=workshop.pk).update(rapporteur=rapporteur)
    workshop.refresh_from_db()

    result = contributions_import(
        workshop=workshop, data=notes([ARABIC, "proposal", "ar"]), filename="n.csv", by=rapporteur
    )

    assert result.pending is True
    assert Contribution.objects.get().moderation_status == ModerationStatus.PENDING


@pytest.mark.django_db
def test_a_closed_workshop_refuses_the_import(facilitator):
    workshop = WorkshopFactory(facilitator=facilitator, status=Workshop.Status.CLOSED)

    with pytest.raises(DomainError) as caught:
        contributions_import(
            workshop=workshop, data=notes([ARABIC, "proposal"]), filename="n.csv", by=facilitator
        )

    assert caught.value.code == "workshop_not_open"
    assert Contribution.objects.count() == 0


@pytest.mark.django_db
def test_someone_who_does_not_run_the_table_may_not_import(workshop):
    other = UserFactory(role=Role.FACILITATOR)

    with pytest.raises(DomainError) as caught:
        contributions_import_check(
            workshop=workshop, data=notes([ARABIC, "proposal"]), filename="n.csv", by=other
        )

    assert caught.value.code == "import_forbidden"


@pytest.mark.django_db
def test_a_row_without_language_is_identified_after_the_import(
    workshop, facilitator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        contributions_import(
            workshop=workshop,
            data=notes(["Le manque d'eau potable freine l'élevage dans la vallée", "challenge"]),
            filename="n.csv",
            by=facilitator,
        )

    assert Contribution.objects.get().language == Language.FRENCH


def _many(count: int) -> bytes:
    return xlsx_bytes(
        [f"{ARABIC} رقم {n}", "proposal" if n % 2 else "challenge", "ar", "", "", ""]
        for n in range(count)
    )


def _imports(workshop, facilitator, content: bytes, count: int) -> None:
    result = contributions_import(
        workshop=workshop, data=content, filename="notes.xlsx", by=facilitator
    )
    assert result.created == count
    assert Contribution.objects.filter(channel=Channel.IMPORT).count() == count


@pytest.mark.django_db
def test_five_hundred_rows_import_in_one_transaction(workshop, facilitator, monkeypatch):
    from tashawur.contributions.services import importing

    content = _many(500)
    submit = importing.contribution_submit
    calls = []

    def failing_at_the_last_row(**kwargs):
        calls.append(kwargs["idempotency_key"])
        if len(calls) == 50:
            raise DomainError("The database went away.", code="boom")
        return submit(**kwargs)

    monkeypatch.setattr(importing, "contribution_submit", failing_at_the_last_row)
    with pytest.raises(NotesImportRefused) as caught:
        contributions_import(workshop=workshop, data=content, filename="n.xlsx", by=facilitator)
    assert caught.value.message == "Row 51: The database went away."
    assert Contribution.objects.count() == 0  # the 49 rows before it were rolled back

    monkeypatch.setattr(importing, "contribution_submit", submit)
    _imports(workshop, facilitator, content, 500)


@pytest.mark.slow
@pytest.mark.django_db
def test_ten_thousand_rows_import_in_one_transaction(workshop, facilitator):
    _imports(workshop, facilitator, _many(10_000), 10_000)


@pytest.mark.django_db
def test_a_bad_last_row_of_many_writes_nothing(workshop, facilitator):
    rows = [[f"{ARABIC} {n}", "proposal", "ar"] for n in range(300)] + [["", "proposal"]]

    with pytest.raises(NotesImportRefused) as caught:
        contributions_import(
            workshop=workshop, data=xlsx_bytes(rows), filename="n.xlsx", by=facilitator
        )

    assert caught.value.message == "Row 302: text: This field is required."
    assert Contribution.objects.count() == 0


# --- references and when it was said ------------------------------------------------------------

REF_HEADER = [*HEADER, "reference"]


@pytest.mark.django_db
def test_a_corrected_file_with_the_same_references_stores_only_the_new_rows(workshop, facilitator):
    first = csv_bytes([[ARABIC, "proposal", "ar", "", "", "", "T1-01"]], header=REF_HEADER)
    corrected = csv_bytes(
        [
            [ARABIC + " (corrigé)", "proposal", "ar", "", "", "", "T1-01"],
            ["Manque d'eau", "challenge", "fr", "", "", "", "T1-02"],
        ],
        header=REF_HEADER,
    )

    contributions_import(workshop=workshop, data=first, filename="n.csv", by=facilitator)
    result = contributions_import(
        workshop=workshop, data=corrected, filename="n.csv", by=facilitator
    )

    assert (result.created, result.already) == (1, 1)
    assert sorted(Contribution.objects.values_list("idempotency_key", flat=True)) == [
        f"import:{workshop.pk}:ref:T1-01",
        f"import:{workshop.pk}:ref:T1-02",
    ]


@pytest.mark.django_db
def test_a_reference_given_twice_refuses_both_rows(workshop, facilitator):
    content = csv_bytes(
        [
            [ARABIC, "proposal", "ar", "", "", "", "T1-01"],
            ["Manque d'eau", "challenge", "fr", "", "", "", "T1-01"],
            ["Autre", "challenge", "fr", "", "", "", "bad ref!"],
        ],
        header=REF_HEADER,
    )

    plan = contributions_import_check(
        workshop=workshop, data=content, filename="n.csv", by=facilitator
    )

    assert [row.number for row in plan.refused] == [2, 3, 4]
    assert "T1-01" in plan.refused[0].errors[0] and "2" in plan.refused[0].errors[0]
    assert plan.refused[2].errors[0].startswith("reference: ")
    with pytest.raises(NotesImportRefused):
        contributions_import(workshop=workshop, data=content, filename="n.csv", by=facilitator)
    assert not Contribution.objects.exists()


@pytest.mark.django_db
def test_said_at_is_stored_on_the_meetings_day_in_its_time_zone(workshop, facilitator, settings):
    import datetime as dt
    import zoneinfo

    from django.utils import timezone

    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    meeting = workshop.meeting
    meeting.starts_at = dt.datetime(2018, 8, 4, 9, 0, tzinfo=zone)
    meeting.save(update_fields=["starts_at"])
    content = notes([ARABIC, "proposal", "ar", "", "", "10:30"], ["Sans heure", "challenge", "fr"])

    contributions_import(workshop=workshop, data=content, filename="n.csv", by=facilitator)

    said = dict(Contribution.objects.values_list("text", "said_at"))
    assert timezone.localtime(said[ARABIC], zone).replace(tzinfo=None) == dt.datetime(
        2018, 8, 4, 10, 30
    )
    assert said["Sans heure"] is None
