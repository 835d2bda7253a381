"""The measures' files over HTTP: who may export, download the template and import; the
preview and its confirmation."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from tashawur.core.roles import Role
from tashawur.programmes.measure_files import COLUMNS
from tashawur.programmes.models import Measure, Programme
from tests.actors.factories import UserFactory
from tests.programmes.factories import MeasureFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db

SLUG = "souss-massa"


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.TASHAWUR_PRIVATE_MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def programme() -> Programme:
    programme = ProgrammeFactory(consultation__slug=SLUG)
    MeasureFactory(programme=programme, code="1", title_fr="=SUM(A1)", budget=Decimal("10.50"))
    return programme


def _client(programme: Programme, who: str) -> Client:
    client = Client()
    if who == "anonymous":
        return client
    role = {
        "participant": Role.PARTICIPANT,
        "coordinator": Role.REGIONAL_COORDINATOR,
        "other_coordinator": Role.REGIONAL_COORDINATOR,
        "national": Role.NATIONAL_COORDINATOR,
    }[who]
    user = UserFactory(role=role)
    if who == "coordinator":
        programme.consultation.coordinators.add(user)
    elif who == "other_coordinator":
        ProgrammeFactory().consultation.coordinators.add(user)
    client.force_login(user)
    return client


WHO = ["anonymous", "participant", "coordinator", "other_coordinator", "national"]
MAY_EDIT = {"coordinator", "national"}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", ["programmes:measures_export", "programmes:measures_export_csv"])
def test_a_draft_programme_exports_only_to_those_who_edit_it(
    programme: Programme, who: str, name: str
) -> None:
    response = _client(programme, who).get(reverse(name, args=[SLUG]))
    if who in MAY_EDIT:
        assert response.status_code == 200
        assert "private" in response["Cache-Control"]
        assert "attachment" in response["Content-Disposition"]
    else:
        assert response.status_code == 403


@pytest.mark.parametrize("who", WHO)
def test_an_adopted_programme_exports_to_anyone(programme: Programme, who: str) -> None:
    programme.status = Programme.Status.ADOPTED
    programme.adopted_at = timezone.now()
    programme.save()
    programme.consultation.status = "open"
    programme.consultation.save()
    response = _client(programme, who).get(reverse("programmes:measures_export", args=[SLUG]))
    assert response.status_code == 200
    assert "private" not in response.get("Cache-Control", "")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == list(COLUMNS)
    assert sheet.cell(row=2, column=4).value == "'=SUM(A1)"  # formula-escaped


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("name", ["programmes:measures_import", "programmes:measures_template"])
def test_the_import_and_template_are_for_those_who_edit(
    programme: Programme, who: str, name: str
) -> None:
    response = _client(programme, who).get(reverse(name, args=[SLUG]))
    if who == "anonymous":
        assert response.status_code == 302
        assert "/login" in response["Location"] or "next=" in response["Location"]
    elif who in MAY_EDIT:
        assert response.status_code == 200
    else:
        assert response.status_code == 403


def test_the_template_has_the_header_and_one_example_row(programme: Programme) -> None:
    client = _client(programme, "coordinator")
    response = client.get(reverse("programmes:measures_template", args=[SLUG]))
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == 2
    csv = client.get(reverse("programmes:measures_template", args=[SLUG]) + "?format=csv")
    assert csv.content.decode("utf-8-sig").splitlines()[0] == ",".join(COLUMNS)


def _upload(text: str, name: str = "measures.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def _csv(*rows: str) -> str:
    return ",".join(COLUMNS) + "\n" + "\n".join(rows) + "\n"


def test_the_upload_previews_then_the_confirmation_imports(programme: Programme) -> None:
    client = _client(programme, "coordinator")
    url = reverse("programmes:measures_import", args=[SLUG])
    content = _csv(
        "2,,محور 2,Axe 2,,,,,2000.00,,,,,",
        "2.1,2,إجراء,Action,,,,,,2020-01-01,2020-12-31,50,in_progress,1",
    )

    preview = client.post(url, {"file": _upload(content)})

    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'name="confirm"' in html
    assert not Measure.objects.filter(programme=programme, code="2").exists()  # not yet
    token = html.split('name="confirm" value="', 1)[1].split('"', 1)[0]

    done = client.post(url, {"confirm": token})

    assert done.status_code == 302
    assert done["Location"] == reverse("programmes:programme", args=[SLUG])
    child = Measure.objects.get(programme=programme, code="2.1")
    assert child.parent.code == "2"
    assert child.status == Measure.Status.IN_PROGRESS
    # The same confirmation again imports nothing more and says why.
    again = client.post(url, {"confirm": token})
    assert again.status_code == 422
    assert Measure.objects.filter(programme=programme).count() == 3


def test_a_bad_row_is_refused_in_french_with_its_row_number(programme: Programme) -> None:
    client = _client(programme, "coordinator")
    url = "/fr" + reverse("programmes:measures_import", args=[SLUG]).removeprefix("/ar")
    content = _csv("2,,محور 2,Axe 2,,,,,2000.00,,,,,", "3,9,محور 3,Axe 3,,,,,-5,,,,,")

    response = client.post(url, {"file": _upload(content)}, HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 422
    html = response.content.decode()
    assert "Ligne 3" in html
    assert "Aucune mesure n&#x27;a le code 9" in html or "Aucune mesure n'a le code 9" in html
    assert "négatif" in html
    assert 'name="confirm"' not in html
    assert not Measure.objects.filter(programme=programme, code="2").exists()


def test_another_coordinator_cannot_confirm_an_upload(programme: Programme) -> None:
    url = reverse("programmes:measures_import", args=[SLUG])
    other = _client(programme, "other_coordinator")
    assert other.post(url, {"confirm": "anything"}).status_code == 403
    assert other.post(url, {"file": _upload(_csv("2,,a,b,,,,,,,,,,"))}).status_code == 403
    assert not Measure.objects.filter(programme=programme, code="2").exists()


def test_a_zip_bomb_upload_is_refused(programme: Programme) -> None:
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    client = _client(programme, "national")
    upload = SimpleUploadedFile("m.xlsx", buffer.getvalue())
    response = client.post(reverse("programmes:measures_import", args=[SLUG]), {"file": upload})
    assert response.status_code == 422
    assert 'role="alert"' in response.content.decode()


def test_a_file_over_the_limit_is_refused(programme: Programme, settings) -> None:
    settings.TASHAWUR_MEASURES_FILE_MAX_BYTES = 50
    client = _client(programme, "national")
    response = client.post(
        reverse("programmes:measures_import", args=[SLUG]),
        {"file": _upload(_csv("2,,محور 2,Axe 2,,,,,,,,,,"))},
    )
    assert response.status_code == 422
    assert not Measure.objects.filter(programme=programme, code="2").exists()


@pytest.mark.parametrize("kind", ["xlsx", "csv"])
def test_the_template_as_downloaded_previews_without_error(programme: Programme, kind: str) -> None:
    client = _client(programme, "coordinator")
    query = "?format=csv" if kind == "csv" else ""
    template = client.get(reverse("programmes:measures_template", args=[SLUG]) + query)
    upload = SimpleUploadedFile(f"template.{kind}", template.content)
    response = client.post(reverse("programmes:measures_import", args=[SLUG]), {"file": upload})
    assert response.status_code == 200, response.content.decode()[-2000:]
    assert 'name="confirm"' in response.content.decode()
