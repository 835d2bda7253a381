"""The programme workspace, ``/c/<slug>/programme/edit/``: who gets in (each address × each
role), round trips through its forms, refusals shown translated with nothing written, and the
evidence of progress, private or public."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from tashawur.actors.models import Organisation
from tashawur.consultations.models import Consultation
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.programmes.models import (
    FundingLine,
    Indicator,
    Measure,
    Programme,
    ProgressUpdate,
)
from tashawur.programmes.services import progress_record
from tests.programmes.factories import finding_make

from .world import PASSWORD, World

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
ROLES = (
    "anonymous",
    "participant",
    "facilitator",
    "analyst",
    "coordinator",
    "other_coordinator",
    "national",
)
EDITORS = {"coordinator", "national"}


@pytest.fixture(autouse=True)
def private_media(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    root = tmp_path / "private"
    field = ProgressUpdate._meta.get_field("evidence")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=root))
    return root


def _user(username: str, role: str) -> User:
    return User.objects.create_user(username=username, password=PASSWORD, role=role)


@pytest.fixture
def users(world: World) -> dict[str, User | None]:
    people: dict[str, User | None] = {
        "anonymous": None,
        "participant": world.participant_user,
        "facilitator": world.facilitator,
    }
    people["analyst"] = _user("analyst", Role.ANALYST)
    world.consultation.analysts.add(people["analyst"])
    people["coordinator"] = _user("coordinator", Role.REGIONAL_COORDINATOR)
    world.consultation.coordinators.add(people["coordinator"])
    other = Consultation.objects.create(
        strategy=world.consultation.strategy,
        region=world.consultation.region.parent,
        slug="another-region",
        title_ar="تشاور آخر",
        title_fr="Une autre concertation",
        status=Consultation.Status.OPEN,
    )
    people["other_coordinator"] = _user("other-coordinator", Role.REGIONAL_COORDINATOR)
    other.coordinators.add(people["other_coordinator"])
    people["national"] = _user("national", Role.NATIONAL_COORDINATOR)
    return people


def _client(users: dict[str, User | None], role: str) -> Client:
    client = Client()
    user = users[role]
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def coordinator(users: dict[str, User | None]) -> Client:
    return _client(users, "coordinator")


@pytest.fixture
def organisation(world: World) -> Organisation:
    return Organisation.objects.get(slug="cooperative-argan-tiout")


@pytest.fixture
def programme(world: World, organisation: Organisation) -> Programme:
    programme = Programme.objects.create(
        consultation=world.consultation,
        title_ar="برنامج العمل",
        title_fr="Programme d'action",
        starts_on=dt.date(2019, 1, 1),
        ends_on=dt.date(2025, 12, 31),
    )
    axis = Measure.objects.create(
        programme=programme, code="1", title_ar="محور", title_fr="Axe",
        owner=organisation, budget=Decimal("1000000"),
    )  # fmt: skip
    Measure.objects.create(
        programme=programme, code="1.1", title_ar="إجراء", title_fr="Mesure", parent=axis,
        owner=organisation, budget=Decimal("500000"), position=0,
    )  # fmt: skip
    return programme


def _measure(programme: Programme, code: str) -> Measure:
    return Measure.objects.get(programme=programme, code=code)


@pytest.fixture
def indicator(programme: Programme) -> Indicator:
    return Indicator.objects.create(
        measure=_measure(programme, "1.1"),
        name_ar="عدد التعاونيات",
        name_fr="Coopératives",
        unit="تعاونية",
        baseline=Decimal(10),
        target=Decimal(50),
    )


@pytest.fixture
def update(programme: Programme) -> ProgressUpdate:
    return progress_record(
        measure=_measure(programme, "1.1"),
        on=dt.date(2020, 3, 1),
        percent=20,
        recorded_by=None,
        evidence=SimpleUploadedFile("chantier.png", PNG, content_type="image/png"),
    )


# --- who gets in -----------------------------------------------------------------------------

Address = Callable[[Programme, Indicator], str]
PAGES: list[tuple[str, Address]] = [
    ("edit", lambda p, i: f"/c/{p.consultation.slug}/programme/edit/"),
    ("measure_new", lambda p, i: f"/c/{p.consultation.slug}/programme/edit/measures/new/"),
    ("measure", lambda p, i: f"/c/{p.consultation.slug}/programme/edit/measures/{i.measure_id}/"),
    (
        "funding",
        lambda p, i: f"/c/{p.consultation.slug}/programme/edit/measures/{i.measure_id}/funding/",
    ),
    (
        "findings",
        lambda p, i: f"/c/{p.consultation.slug}/programme/edit/measures/{i.measure_id}/findings/",
    ),
    (
        "indicator_new",
        lambda p, i: (
            f"/c/{p.consultation.slug}/programme/edit/measures/{i.measure_id}/indicators/new/"
        ),
    ),
    (
        "progress",
        lambda p, i: f"/c/{p.consultation.slug}/programme/edit/measures/{i.measure_id}/progress/",
    ),
    ("indicator", lambda p, i: f"/c/{p.consultation.slug}/programme/edit/indicators/{i.pk}/"),
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("page", "address"), PAGES, ids=[name for name, _ in PAGES])
def test_who_gets_in(
    users: dict[str, User | None],
    programme: Programme,
    indicator: Indicator,
    page: str,
    address: Address,
    role: str,
) -> None:
    response = _client(users, role).get(address(programme, indicator))
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif role in EDITORS:
        assert response.status_code == 200
        assert (
            response["Cache-Control"].startswith("no-store")
            or "private" in (response["Cache-Control"])
        )
    else:
        assert response.status_code == 403


POSTS = [
    "/c/{slug}/programme/edit/adopt/",
    "/c/{slug}/programme/edit/measures/{measure}/move/",
    "/c/{slug}/programme/edit/measures/{measure}/delete/",
    "/c/{slug}/programme/edit/indicators/{indicator}/values/",
]


@pytest.mark.parametrize("role", sorted(set(ROLES) - EDITORS - {"anonymous"}))
@pytest.mark.parametrize("address", POSTS)
def test_post_only_addresses_refuse_others_and_change_nothing(
    users: dict[str, User | None],
    programme: Programme,
    indicator: Indicator,
    address: str,
    role: str,
) -> None:
    url = address.format(
        slug=programme.consultation.slug, measure=indicator.measure_id, indicator=indicator.pk
    )
    response = _client(users, role).post(
        url, {"direction": "up", "on": "2020-01-01", "value": "12"}
    )
    assert response.status_code == 403
    programme.refresh_from_db()
    assert programme.status == Programme.Status.DRAFT
    assert Measure.objects.count() == 2 and not ProgressUpdate.objects.exists()


@pytest.mark.parametrize("address", POSTS)
def test_post_only_addresses_send_the_anonymous_to_sign_in(
    programme: Programme, indicator: Indicator, address: str
) -> None:
    url = address.format(
        slug=programme.consultation.slug, measure=indicator.measure_id, indicator=indicator.pk
    )
    response = Client().post(url, {"direction": "up"})
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_get_is_not_allowed_on_post_only_addresses(coordinator: Client, programme: Programme):
    response = coordinator.get(f"/c/{programme.consultation.slug}/programme/edit/adopt/")
    assert response.status_code == 405


def test_unknown_addresses_are_404(coordinator: Client, programme: Programme) -> None:
    slug = programme.consultation.slug
    for url in (
        "/c/no-such-consultation/programme/edit/",
        f"/c/{slug}/programme/edit/measures/999999/",
        f"/c/{slug}/programme/edit/indicators/999999/",
        f"/c/{slug}/programme/edit/measures/new/?parent=999999",
        f"/c/{slug}/programme/edit/measures/new/?parent=٣",
    ):
        assert coordinator.get(url).status_code == 404, url


def test_another_programmes_measure_is_404_here(
    users: dict[str, User | None], programme: Programme, world: World
) -> None:
    """The national coordinator edits both; a measure is reached only under its own slug."""
    other = Programme.objects.create(
        consultation=Consultation.objects.get(slug="another-region"),
        title_ar="آخر",
        title_fr="Autre",
        starts_on=dt.date(2019, 1, 1),
        ends_on=dt.date(2020, 1, 1),
    )
    elsewhere = Measure.objects.create(programme=other, code="1", title_ar="م", title_fr="M")
    client = _client(users, "national")
    url = f"/c/{world.consultation.slug}/programme/edit/measures/{elsewhere.pk}/"
    assert client.get(url).status_code == 404


# --- round trips -----------------------------------------------------------------------------


def test_the_coordinator_creates_the_programme(coordinator: Client, world: World) -> None:
    url = f"/c/{world.consultation.slug}/programme/edit/"
    page = coordinator.get(url).content.decode()
    assert "إنشاء البرنامج" in page
    response = coordinator.post(
        url,
        {
            "title_ar": "برنامج سوس ماسة",
            "title_fr": "Programme Souss-Massa",
            "starts_on": "2024-01-01",
            "ends_on": "2027-12-31",
        },
    )
    assert response.status_code == 302 and response["Location"] == url
    programme = Programme.objects.get(consultation=world.consultation)
    assert (programme.title_fr, programme.ends_on) == (
        "Programme Souss-Massa",
        dt.date(2027, 12, 31),
    )
    assert "أُنشئ برنامج العمل." in coordinator.get(url).content.decode()


def test_a_reversed_period_is_refused_translated(coordinator: Client, world: World) -> None:
    response = coordinator.post(
        f"/c/{world.consultation.slug}/programme/edit/",
        {"title_ar": "ب", "title_fr": "P", "starts_on": "2027-01-01", "ends_on": "2024-01-01"},
    )
    assert response.status_code == 422
    assert "لا يمكن أن يسبق تاريخ النهاية تاريخ البداية." in response.content.decode()
    assert not Programme.objects.exists()


def _measure_data(**overrides: str) -> dict[str, str]:
    data = {
        "code": "1.2",
        "title_ar": "مواكبة التعاونيات",
        "title_fr": "Accompagner les coopératives",
        "description_ar": "",
        "description_fr": "",
        "owner": "",
        "budget": "200000",
        "starts_on": "2020-01-01",
        "ends_on": "2021-12-31",
        "weight": "50",
    }
    data.update(overrides)
    return data


def test_the_coordinator_adds_a_measure_under_a_parent(
    coordinator: Client, programme: Programme, organisation: Organisation
) -> None:
    axis = _measure(programme, "1")
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/new/?parent={axis.pk}"
    page = coordinator.get(url).content.decode()
    assert 'value="1.2"' in page  # the next free code under 1
    response = coordinator.post(
        url, _measure_data(owner=str(organisation.pk), partners=[str(organisation.pk)])
    )
    measure = _measure(programme, "1.2")
    assert response.status_code == 302
    assert (
        response["Location"]
        == f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/"
    )
    assert (measure.parent_id, measure.owner_id, measure.budget, measure.position) == (
        axis.pk,
        organisation.pk,
        Decimal("200000"),
        1,
    )
    assert list(measure.partners.all()) == [organisation]


def test_an_action_takes_no_sub_measure(coordinator: Client, programme: Programme) -> None:
    action = Measure.objects.create(
        programme=programme, code="1.1.1", title_ar="عملية", title_fr="Action",
        parent=_measure(programme, "1.1"),
    )  # fmt: skip
    slug = programme.consultation.slug
    tree = coordinator.get(f"/c/{slug}/programme/edit/").content.decode()
    assert f"?parent={_measure(programme, '1.1').pk}" in tree
    assert f"?parent={action.pk}" not in tree
    response = coordinator.post(
        f"/c/{slug}/programme/edit/measures/new/?parent={action.pk}",
        _measure_data(code="1.1.1.1", starts_on="", ends_on=""),
    )
    assert response.status_code == 422
    assert "للبرنامج ثلاثة مستويات (محور، إجراء، عملية): لا شيء يوضع تحت عملية." in (
        response.content.decode()
    )
    assert not Measure.objects.filter(code="1.1.1.1").exists()


def test_the_coordinator_edits_a_measure_and_its_status(
    coordinator: Client, programme: Programme, organisation: Organisation
) -> None:
    measure = _measure(programme, "1.1")
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/"
    response = coordinator.post(
        url,
        _measure_data(
            code="1.1",
            title_fr="Mesure revue",
            owner=str(organisation.pk),
            status="in_progress",
            budget="600000",
        ),
    )
    assert response.status_code == 302
    measure.refresh_from_db()
    assert (measure.title_fr, measure.status, measure.budget) == (
        "Mesure revue",
        "in_progress",
        Decimal("600000"),
    )


def test_a_measure_dated_outside_the_programme_is_refused(
    coordinator: Client, programme: Programme
) -> None:
    measure = _measure(programme, "1.1")
    response = coordinator.post(
        f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/",
        _measure_data(code="1.1", status="planned", ends_on="2030-01-01"),
    )
    assert response.status_code == 422
    measure.refresh_from_db()
    assert measure.ends_on is None and measure.title_fr == "Mesure"


def test_the_organisation_search_narrows_the_choices(
    coordinator: Client, programme: Programme, organisation: Organisation
) -> None:
    Organisation.objects.create(
        name="جمعية الواحة", name_fr="Association de l'oasis", slug="oasis",
        actor_type=organisation.actor_type, territory=organisation.territory,
        sector=organisation.sector,
    )  # fmt: skip
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/new/"
    assert "جمعية الواحة" in coordinator.get(url).content.decode()
    narrowed = coordinator.get(f"{url}?org_q=oasis").content.decode()
    assert "جمعية الواحة" in narrowed and "تعاونية أركان تيوت" not in narrowed


def test_move_up_and_down_without_javascript(coordinator: Client, programme: Programme) -> None:
    axis = _measure(programme, "1")
    second = Measure.objects.create(
        programme=programme, code="1.2", title_ar="ثان", title_fr="Deux", parent=axis, position=1
    )
    slug = programme.consultation.slug
    response = coordinator.post(
        f"/c/{slug}/programme/edit/measures/{second.pk}/move/", {"direction": "up"}
    )
    assert response.status_code == 302
    page = coordinator.get(f"/c/{slug}/programme/edit/").content.decode()
    assert page.index(f'id="measure-{second.pk}"') < page.index(
        f'id="measure-{_measure(programme, "1.1").pk}"'
    )
    public = coordinator.get(f"/c/{slug}/programme/").content.decode()
    assert public.index(f'id="measure-{second.pk}"') < public.index(
        f'id="measure-{_measure(programme, "1.1").pk}"'
    )


def test_delete_a_measure_and_refuse_one_with_children(
    coordinator: Client, programme: Programme
) -> None:
    slug = programme.consultation.slug
    axis, child = _measure(programme, "1"), _measure(programme, "1.1")
    refused = coordinator.post(f"/c/{slug}/programme/edit/measures/{axis.pk}/delete/", follow=True)
    assert "لهذا الإجراء إجراءات فرعية: احذفها أو انقلها أولا." in refused.content.decode()
    assert Measure.objects.count() == 2
    response = coordinator.post(f"/c/{slug}/programme/edit/measures/{child.pk}/delete/")
    assert response.status_code == 302
    assert list(Measure.objects.values_list("code", flat=True)) == ["1"]


def _funding(**lines: dict[str, str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for source in ("indh_p3", "regional_council", "ministry", "odco", "partners", "other"):
        for key in ("amount", "call", "cofinancing_rate", "cap"):
            data[f"{source}-{key}"] = lines.get(source, {}).get(key, "")
    return data


def test_the_coordinator_sets_funding_by_call(coordinator: Client, programme: Programme) -> None:
    measure = _measure(programme, "1.1")
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/funding/"
    response = coordinator.post(
        url,
        _funding(
            indh_p3={
                "amount": "300000",
                "call": "INDH P3 2024",
                "cofinancing_rate": "60",
                "cap": "400000",
            },
            regional_council={"amount": "200000"},
        ),
    )
    assert response.status_code == 302
    lines = {line.source: line for line in FundingLine.objects.filter(measure=measure)}
    assert lines["indh_p3"].call == "INDH P3 2024"
    assert lines["indh_p3"].cofinancing_rate == Decimal("60")
    assert lines["regional_council"].amount == Decimal("200000")
    page = coordinator.get(url).content.decode()
    assert 'value="INDH P3 2024"' in page


def test_funding_above_its_cap_is_refused_translated_and_nothing_written(
    coordinator: Client, programme: Programme
) -> None:
    measure = _measure(programme, "1.1")
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/funding/"
    response = coordinator.post(url, _funding(indh_p3={"amount": "300000", "cap": "200000"}))
    assert response.status_code == 422
    assert "يتجاوز سقف طلب المشاريع البالغ 200000.00 درهم." in response.content.decode()
    assert not FundingLine.objects.exists()


def test_funding_above_the_budget_is_refused(coordinator: Client, programme: Programme) -> None:
    measure = _measure(programme, "1.1")
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/funding/"
    response = coordinator.post(
        url, _funding(indh_p3={"amount": "300000"}, odco={"amount": "200000.01"})
    )
    assert response.status_code == 422
    assert "التمويل (500000.01 درهم) يتجاوز ميزانية الإجراء (500000.00 درهم)." in (
        response.content.decode()
    )
    assert not FundingLine.objects.exists()


def test_findings_are_searched_by_number_or_words_and_linked(
    coordinator: Client, programme: Programme, world: World
) -> None:
    first = finding_make(world.consultation, label_ar="كلفة شهادة الجودة")
    second = finding_make(world.consultation, label_ar="ضعف التسويق")
    measure = _measure(programme, "1.1")
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/findings/"
    for query in ("F2", "2", "التسويق"):
        page = coordinator.get(url, {"q": query}).content.decode()
        assert "ضعف التسويق" in page and "كلفة شهادة الجودة" not in page, query
    response = coordinator.post(url, {"finding": str(second.pk), "action": "link", "q": "F2 &x"})
    assert response.status_code == 302
    assert response["Location"] == f"{url}?q=F2+%26x"
    assert list(measure.findings.all()) == [second]
    coordinator.post(url, {"finding": str(second.pk), "action": "unlink"})
    assert not measure.findings.exists()
    assert first.measures.count() == 0


def test_another_consultations_finding_is_404(coordinator: Client, programme: Programme) -> None:
    elsewhere = finding_make(Consultation.objects.get(slug="another-region"), label_ar="أخرى")
    measure = _measure(programme, "1.1")
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/findings/"
    response = coordinator.post(url, {"finding": str(elsewhere.pk), "action": "link"})
    assert response.status_code == 404
    assert not measure.findings.exists()


def test_indicator_round_trip_and_values(coordinator: Client, programme: Programme) -> None:
    measure = _measure(programme, "1.1")
    slug = programme.consultation.slug
    response = coordinator.post(
        f"/c/{slug}/programme/edit/measures/{measure.pk}/indicators/new/",
        {
            "name_ar": "عدد التعاونيات المواكبة",
            "name_fr": "Coopératives accompagnées",
            "unit": "تعاونية",
            "baseline": "10",
            "target": "60",
            "direction": "up",
        },
    )
    indicator = Indicator.objects.get(measure=measure)
    assert response["Location"] == f"/c/{slug}/programme/edit/indicators/{indicator.pk}/"
    values_url = f"/c/{slug}/programme/edit/indicators/{indicator.pk}/values/"
    for on, value, key in (("2020-06-01", "18", "k-one"), ("2021-06-01", "31", "k-two")):
        assert (
            coordinator.post(
                values_url, {"on": on, "value": value, "idempotency_key": key}
            ).status_code
            == 302
        )
    # The same form posted twice records once.
    coordinator.post(values_url, {"on": "2021-06-01", "value": "31", "idempotency_key": "k-two"})
    assert list(indicator.values.order_by("on").values_list("indicator_value", flat=True)) == [
        Decimal("18"),
        Decimal("31"),
    ]
    page = coordinator.get(f"/c/{slug}/programme/edit/indicators/{indicator.pk}/")
    assert 'name="idempotency_key"' in page.content.decode()


def test_an_indicator_target_short_of_its_baseline_is_refused(
    coordinator: Client, indicator: Indicator, programme: Programme
) -> None:
    url = f"/c/{programme.consultation.slug}/programme/edit/indicators/{indicator.pk}/"
    response = coordinator.post(
        url,
        {"name_ar": "م", "name_fr": "I", "unit": "", "baseline": "10", "target": "5",
         "direction": "up"},
    )  # fmt: skip
    assert response.status_code == 422
    assert "في مؤشر يُرجى ارتفاعه، يجب أن تفوق القيمة المستهدفة القيمة المرجعية." in (
        response.content.decode()
    )
    indicator.refresh_from_db()
    assert indicator.target == Decimal(50)


# --- progress and its evidence ---------------------------------------------------------------


def _progress(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "on": "2020-05-01",
        "percent": "35",
        "note": "انطلقت الأشغال",
        "idempotency_key": "progress-key-1",
    }
    data.update(overrides)
    return data


def test_progress_with_a_photo_is_stored_privately(
    coordinator: Client, programme: Programme, private_media: Path
) -> None:
    measure = _measure(programme, "1.1")
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/progress/"
    assert 'name="idempotency_key"' in coordinator.get(url).content.decode()
    photo = SimpleUploadedFile("Fatima.png", PNG, content_type="image/png")
    response = coordinator.post(url, _progress(evidence=photo))
    assert response.status_code == 302
    update = ProgressUpdate.objects.get()
    assert (update.percent, update.evidence_public) == (35, False)
    assert "Fatima" not in update.evidence.name
    assert (private_media / update.evidence.name).read_bytes() == PNG
    # The same form sent again records once.
    coordinator.post(url, _progress(evidence=SimpleUploadedFile("x.png", PNG)))
    assert ProgressUpdate.objects.count() == 1


def test_evidence_of_another_type_is_refused_translated(
    coordinator: Client, programme: Programme, private_media: Path
) -> None:
    measure = _measure(programme, "1.1")
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/progress/"
    fake = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00 not a photo", content_type="image/jpeg")
    response = coordinator.post(url, _progress(evidence=fake))
    assert response.status_code == 422
    assert "يجب أن يكون الإثبات صورة (JPEG أو PNG أو WebP) أو ملف PDF." in (
        response.content.decode()
    )
    assert not ProgressUpdate.objects.exists()
    assert not private_media.exists()


def test_a_body_above_the_limit_is_refused_before_it_is_read(
    coordinator: Client, programme: Programme, settings: object, private_media: Path
) -> None:
    settings.TASHAWUR_EVIDENCE_MAX_BYTES = 1000  # type: ignore[attr-defined]
    measure = _measure(programme, "1.1")
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/progress/"
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 80_000, content_type="image/png")
    response = coordinator.post(url, _progress(evidence=big))
    assert response.status_code == 413
    assert "ملف الإثبات كبير جدا" in response.content.decode()
    assert not ProgressUpdate.objects.exists()


def test_a_file_above_the_limit_within_the_allowance_is_refused_too(
    coordinator: Client, programme: Programme, settings: object
) -> None:
    settings.TASHAWUR_EVIDENCE_MAX_BYTES = 50  # type: ignore[attr-defined]
    measure = _measure(programme, "1.1")
    url = f"/c/{programme.consultation.slug}/programme/edit/measures/{measure.pk}/progress/"
    response = coordinator.post(url, _progress(evidence=SimpleUploadedFile("p.png", PNG)))
    assert response.status_code == 422
    assert not ProgressUpdate.objects.exists()


@pytest.mark.parametrize("role", ROLES)
def test_private_evidence_is_for_editors_only(
    users: dict[str, User | None], update: ProgressUpdate, programme: Programme, role: str
) -> None:
    programme.status, programme.adopted_at = Programme.Status.ADOPTED, timezone.now()
    programme.save()
    url = f"/c/{programme.consultation.slug}/programme/evidence/{update.pk}/"
    response = _client(users, role).get(url)
    if role in EDITORS:
        assert response.status_code == 200
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]
        assert "private" in response["Cache-Control"]
        response.close()
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_public_evidence_of_an_adopted_programme_is_for_everyone(
    users: dict[str, User | None], update: ProgressUpdate, programme: Programme, role: str
) -> None:
    ProgressUpdate.objects.filter(pk=update.pk).update(evidence_public=True)
    programme.status, programme.adopted_at = Programme.Status.ADOPTED, timezone.now()
    programme.save()
    response = _client(users, role).get(
        f"/c/{programme.consultation.slug}/programme/evidence/{update.pk}/"
    )
    response.close()
    assert response.status_code == 200


def test_public_evidence_of_a_draft_programme_stays_private(
    users: dict[str, User | None], update: ProgressUpdate, programme: Programme
) -> None:
    ProgressUpdate.objects.filter(pk=update.pk).update(evidence_public=True)
    url = f"/c/{programme.consultation.slug}/programme/evidence/{update.pk}/"
    assert Client().get(url).status_code == 404
    assert _client(users, "participant").get(url).status_code == 404
    response = _client(users, "coordinator").get(url)
    response.close()
    assert response.status_code == 200


def test_evidence_under_another_slug_is_404(
    users: dict[str, User | None], update: ProgressUpdate
) -> None:
    response = _client(users, "national").get(f"/c/another-region/programme/evidence/{update.pk}/")
    assert response.status_code == 404


# --- adoption and the public page ------------------------------------------------------------


def test_adoption_goes_through_the_service(coordinator: Client, programme: Programme) -> None:
    slug = programme.consultation.slug
    Measure.objects.filter(code="1.1").update(owner=None)
    refused = coordinator.post(f"/c/{slug}/programme/edit/adopt/", follow=True)
    assert "1.1" in refused.content.decode()
    programme.refresh_from_db()
    assert programme.status == Programme.Status.DRAFT
    Measure.objects.filter(code="1.1").update(owner=Measure.objects.get(code="1").owner)
    coordinator.post(f"/c/{slug}/programme/edit/adopt/")
    programme.refresh_from_db()
    assert programme.status == Programme.Status.ADOPTED


def test_the_public_page_links_editors_to_the_workspace(
    users: dict[str, User | None], programme: Programme
) -> None:
    programme.status, programme.adopted_at = Programme.Status.ADOPTED, timezone.now()
    programme.save()
    url = f"/c/{programme.consultation.slug}/programme/"
    link = f'href="/c/{programme.consultation.slug}/programme/edit/"'
    assert link in _client(users, "coordinator").get(url).content.decode()
    assert link not in _client(users, "participant").get(url).content.decode()
    assert link not in Client().get(url).content.decode()
    assert "/admin/" not in _client(users, "national").get(url).content.decode()


def test_the_workspace_dashboard_links_to_the_programme_workspace(
    coordinator: Client, world: World
) -> None:
    html = coordinator.get("/manage/").content.decode()
    assert f'href="/c/{world.consultation.slug}/programme/edit/"' in html


def test_the_public_page_links_public_evidence_only(
    update: ProgressUpdate, programme: Programme
) -> None:
    """The accountability page links a measure's latest public evidence; private evidence is
    not even hinted at."""
    programme.status, programme.adopted_at = Programme.Status.ADOPTED, timezone.now()
    programme.save()
    page = f"/c/{programme.consultation.slug}/programme/"
    link = f"/c/{programme.consultation.slug}/programme/evidence/{update.pk}/"
    assert link not in Client().get(page).content.decode()
    update.evidence_public = True
    update.save(update_fields=["evidence_public"])  # a save: the cached page must follow it
    html = Client().get(page).content.decode()
    assert link in html
    with translation.override("ar"):
        assert gettext("See the evidence") in html
