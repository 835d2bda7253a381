"""GET /api/consultations/<slug>/open-data.zip and /contributions.json."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tashawur.api import selectors, views
from tashawur.consultations.models import Consultation, Dimension
from tashawur.contributions.models import Channel, Contribution
from tashawur.diagnosis.models import Finding, FindingContribution, SynthesisRun
from tests.actors.factories import OrganisationFactory, UserFactory
from tests.contributions.factories import ContributionFactory

from .conftest import Site, author, response_bytes

pytestmark = pytest.mark.django_db

ZIP_URL = "/api/consultations/souss-massa-2018/open-data.zip"
JSON_URL = "/api/consultations/souss-massa-2018/contributions.json"
CONTRIBUTION_HEADER = [
    "id",
    "workshop_id",
    "theme",
    "dimension",
    "language",
    "channel",
    "created_on",
    "text",
    "translation_fr",
    "author_pseudonym",
    "author_actor_type",
    "author_province",
    "agree_count",
    "disagree_count",
    "pass_count",
]


def _files(response: object) -> dict[str, bytes]:
    archive = zipfile.ZipFile(io.BytesIO(response_bytes(response)))
    return {name.rsplit("/", 1)[-1]: archive.read(name) for name in archive.namelist()}


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def _run_with_finding(site: Site, members: list[int]) -> SynthesisRun:
    now = timezone.now()
    run = SynthesisRun.objects.create(
        consultation=site.consultation,
        status=SynthesisRun.Status.SUCCEEDED,
        started_at=now,
        finished_at=now,
        result={},
    )
    finding = Finding.objects.create(
        run=run,
        key="F1",
        theme_key="T1",
        label_ar="شباك موحد",
        label_fr="Guichet unique",
        size=max(1, len(members)),
        dimension=Dimension.PROPOSAL,
        position=1,
    )
    FindingContribution.objects.bulk_create(
        FindingContribution(run=run, finding=finding, contribution_id=pk) for pk in members
    )
    return run


# --- the ZIP ---------------------------------------------------------------------------------


def test_zip_holds_the_five_files_in_a_dated_folder(site: Site, client: Client) -> None:
    response = client.get(ZIP_URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    day = timezone.localdate().isoformat()
    stem = f"tashawur-souss-massa-2018-open-data-{day}"
    assert response["Content-Disposition"] == f'attachment; filename="{stem}.zip"'
    assert response["Cache-Control"] == "public, max-age=300"
    names = zipfile.ZipFile(io.BytesIO(response_bytes(response))).namelist()
    assert sorted(names) == [
        f"{stem}/{name}"
        for name in (
            "README.txt",
            "contributions.csv",
            "datapackage.json",
            "findings.csv",
            "votes.csv",
        )
    ]


def test_contributions_csv_has_exactly_the_open_columns(site: Site, client: Client) -> None:
    person = author(actor_type=site.cooperative, province=site.agadir)
    kept = ContributionFactory(
        workshop=site.workshop,
        author=person,
        text="نقترح شباكا موحدا",
        translation_fr="Nous proposons un guichet unique",
        agree_count=3,
        disagree_count=1,
    )
    rows = _csv(_files(client.get(ZIP_URL))["contributions.csv"])
    assert rows[0] == CONTRIBUTION_HEADER
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["id"] == str(kept.pk)
    assert row["workshop_id"] == str(site.workshop.pk)
    assert row["theme"] == site.workshop.theme.slug
    assert row["dimension"] == "proposal"
    assert row["channel"] == "web"
    assert row["created_on"] == timezone.localtime(kept.created_at).date().isoformat()
    assert row["text"] == "نقترح شباكا موحدا"
    assert row["translation_fr"] == "Nous proposons un guichet unique"
    assert re.fullmatch(r"p_[0-9a-f]{16}", row["author_pseudonym"])
    # A single cooperative member in Agadir is a small cell: suppressed.
    assert (row["author_actor_type"], row["author_province"]) == ("", "")
    assert (row["agree_count"], row["disagree_count"], row["pass_count"]) == ("3", "1", "0")


def test_no_personal_data_in_any_file(site: Site, client: Client) -> None:
    user = UserFactory(
        username="fatima-login", email="fatima.secret@example.org", first_name="Fatima"
    )
    person = author(display_name="فاطمة الزهراء السرية", user=user)
    person.organisations.add(OrganisationFactory(name="تعاونية الأمل الخاصة", name_fr="Coop Amal"))
    ContributionFactory(workshop=site.workshop, author=person)
    ContributionFactory(
        workshop=site.workshop,
        author=None,
        recorded_by=UserFactory(username="animateur-secret", email="anim@example.org"),
        channel=Channel.FACILITATOR,
    )
    secrets = [
        "فاطمة الزهراء السرية",
        "fatima-login",
        "fatima.secret@example.org",
        "تعاونية الأمل الخاصة",
        "Coop Amal",
        "animateur-secret",
        "anim@example.org",
        str(person.pseudonym),
    ]
    files = _files(client.get(ZIP_URL))
    files["contributions.json"] = client.get(JSON_URL).content
    for name, content in files.items():
        text = content.decode("utf-8-sig")
        for secret in secrets:
            assert secret not in text, (name, secret)


def test_cells_that_a_spreadsheet_would_run_are_escaped(site: Site, client: Client) -> None:
    ContributionFactory(
        workshop=site.workshop,
        author=None,
        recorded_by=UserFactory(),
        channel=Channel.FACILITATOR,
        text='=HYPERLINK("http://evil.example","clic")',
        translation_fr="+212 600 000 000",
    )
    rows = _csv(_files(client.get(ZIP_URL))["contributions.csv"])
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["text"] == '\'=HYPERLINK("http://evil.example","clic")'
    assert row["translation_fr"] == "'+212 600 000 000"


def test_votes_csv_is_aggregated_per_proposal(site: Site, client: Client) -> None:
    proposal = ContributionFactory(
        workshop=site.workshop, author=author(), agree_count=4, disagree_count=2, pass_count=1
    )
    ContributionFactory(workshop=site.workshop, author=author(), dimension=Dimension.CHALLENGE)
    rows = _csv(_files(client.get(ZIP_URL))["votes.csv"])
    assert rows == [
        ["statement_id", "agree_count", "disagree_count", "pass_count", "vote_count"],
        [str(proposal.pk), "4", "2", "1", "7"],
    ]


def test_findings_csv_cites_only_published_contributions(site: Site, client: Client) -> None:
    kept = ContributionFactory(workshop=site.workshop, author=author())
    hidden = ContributionFactory(workshop=site.workshop, author=author(consented=False))
    _run_with_finding(site, [kept.pk, hidden.pk])
    rows = _csv(_files(client.get(ZIP_URL))["findings.csv"])
    assert rows == [
        [
            "finding_key",
            "dimension",
            "theme_key",
            "theme_label_ar",
            "theme_label_fr",
            "label_ar",
            "label_fr",
            "size",
            "contribution_ids",
        ],
        ["F1", "proposal", "T1", "", "", "شباك موحد", "Guichet unique", "2", f"[{kept.pk}]"],
    ]


def test_findings_csv_reads_the_latest_successful_run(site: Site, client: Client) -> None:
    kept = ContributionFactory(workshop=site.workshop, author=author())
    old = _run_with_finding(site, [kept.pk])
    Finding.objects.filter(run=old).update(key="OLD")
    yesterday = timezone.now() - dt.timedelta(days=1)
    SynthesisRun.objects.filter(pk=old.pk).update(started_at=yesterday, finished_at=yesterday)
    _run_with_finding(site, [kept.pk])
    SynthesisRun.objects.create(
        consultation=site.consultation,
        status=SynthesisRun.Status.FAILED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        error_code="boom",
    )
    rows = _csv(_files(client.get(ZIP_URL))["findings.csv"])
    assert [row[0] for row in rows[1:]] == ["F1"]


def test_datapackage_describes_each_csv(site: Site, client: Client) -> None:
    ContributionFactory(workshop=site.workshop, author=author())
    files = _files(client.get(ZIP_URL))
    package = json.loads(files["datapackage.json"])
    assert package["name"] == "tashawur-souss-massa-2018-open-data"
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    assert set(package["attribution"]) == {"ar", "fr"}
    resources = {r["path"]: r for r in package["resources"]}
    assert set(resources) == {"contributions.csv", "votes.csv", "findings.csv"}
    for path, resource in resources.items():
        header = _csv(files[path])[0]
        fields = resource["schema"]["fields"]
        assert resource["encoding"] == "utf-8"
        assert files[path].startswith(b"\xef\xbb\xbf")
        assert [f["name"] for f in fields] == header
        assert all(f["type"] and f["description"] and f["description_fr"] for f in fields)


def test_readme_explains_in_arabic_and_french(site: Site, client: Client) -> None:
    readme = _files(client.get(ZIP_URL))["README.txt"].decode()
    assert "الاسم المستعار" in readme
    assert "Pseudonyme" in readme
    assert "HMAC-SHA256" in readme
    assert "moins de 5 auteurs" in readme
    assert "CC BY 4.0" in readme


# --- not found -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [ZIP_URL, JSON_URL])
def test_a_draft_consultation_is_not_found(site: Site, client: Client, url: str) -> None:
    Consultation.objects.filter(pk=site.consultation.pk).update(status="draft")
    response = client.get(url)
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "consultation_not_found",
            "message": "لا يوجد تشاور عمومي بهذا المعرّف.",
        }
    }


@pytest.mark.parametrize(
    "url",
    ["/api/consultations/nowhere/open-data.zip", "/api/consultations/nowhere/contributions.json"],
)
def test_an_unknown_consultation_is_not_found(site: Site, client: Client, url: str) -> None:
    response = client.get(url, headers={"accept-language": "fr"})
    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "consultation_not_found",
        "message": "Aucune consultation publique ne porte cet identifiant.",
    }


@pytest.mark.parametrize("url", [ZIP_URL, JSON_URL])
def test_writes_are_not_allowed(site: Site, url: str) -> None:
    response = Client(enforce_csrf_checks=True).post(url)
    assert response.status_code == 405


# --- JSON pages ------------------------------------------------------------------------------


def test_json_pages_carry_the_csv_fields(
    site: Site, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [ContributionFactory(workshop=site.workshop, author=author()) for _ in range(3)]
    first = client.get(JSON_URL)
    assert first.status_code == 200
    assert first["Cache-Control"] == "public, max-age=300"
    day = timezone.localdate().isoformat()
    assert first["Content-Disposition"] == (
        f'inline; filename="tashawur-souss-massa-2018-contributions-{day}-p1.json"'
    )
    body = first.json()
    assert (body["count"], body["page"], body["pages"]) == (3, 1, 2)
    assert body["previous"] is None
    assert body["next"] == f"http://testserver{JSON_URL}?page=2"
    assert [list(r) for r in body["results"]] == [CONTRIBUTION_HEADER] * 2
    second = client.get(body["next"]).json()
    assert second["next"] is None
    ids = [r["id"] for r in body["results"] + second["results"]]
    assert ids == [c.pk for c in made]


def test_json_pages_hash_the_pseudonyms_once_per_version_of_the_authors(
    site: Site, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    for _ in range(5):
        ContributionFactory(workshop=site.workshop, author=author())
    hashed: list[int] = []
    real = selectors.author_pseudonym

    def counted(*, consultation_id: int, participant_id: int) -> str:
        hashed.append(participant_id)
        return real(consultation_id=consultation_id, participant_id=participant_id)

    monkeypatch.setattr(selectors, "author_pseudonym", counted)
    rows = client.get(JSON_URL, {"page": "2"}).json()["results"]
    everyone = sorted(Contribution.objects.values_list("author_id", flat=True))
    assert sorted(hashed) == everyone  # the whole consultation's profile, once
    client.get(JSON_URL, {"page": "1"})
    client.get(JSON_URL, {"page": "3"})
    assert sorted(hashed) == everyone  # ...read from the cache by the other pages

    assert len(rows) == 2
    authors = dict(Contribution.objects.values_list("pk", "author_id"))
    assert {r["id"]: r["author_pseudonym"] for r in rows} == {
        r["id"]: real(consultation_id=site.consultation.pk, participant_id=authors[r["id"]])
        for r in rows
    }
    ContributionFactory(workshop=site.workshop, author=author())  # a new version
    client.get(JSON_URL, {"page": "1"})
    assert len(hashed) == 2 * len(everyone) + 1


def test_json_rows_match_the_csv_rows(site: Site, client: Client) -> None:
    ContributionFactory(workshop=site.workshop, author=author(), text="-سطر يبدأ بشرطة")
    csv_rows = _csv(_files(client.get(ZIP_URL))["contributions.csv"])
    json_row = client.get(JSON_URL).json()["results"][0]
    csv_row = dict(zip(csv_rows[0], csv_rows[1], strict=True))
    # Same values; only the CSV escapes what a spreadsheet would run.
    assert csv_row["text"] == "'" + json_row["text"]
    assert csv_row["author_pseudonym"] == json_row["author_pseudonym"]


@pytest.mark.parametrize("page", ["0", "-1", "abc", "٢"])
def test_a_page_that_is_not_a_whole_number_is_refused(
    site: Site, client: Client, page: str
) -> None:
    response = client.get(JSON_URL, {"page": page})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "page_invalid"


def test_a_page_past_the_last_is_not_found(site: Site, client: Client) -> None:
    response = client.get(JSON_URL, {"page": "2"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "page_not_found"


def _keyset_walk(client: Client, url: str, *, between: Any = None) -> list[int]:
    """The ids of every page from ``url``, following ``next``; ``between`` runs after each."""
    ids: list[int] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert (body["page"], body["previous"]) == (None, None)
        ids += [r["id"] for r in body["results"]]
        url = body["next"]
        if between is not None:
            between()
    return ids


def test_keyset_pages_follow_the_ids_and_name_the_next(
    site: Site, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [ContributionFactory(workshop=site.workshop, author=author()) for _ in range(3)]

    first = client.get(JSON_URL, {"after": "0"})

    body = first.json()
    assert (body["count"], body["page"], body["pages"]) == (3, None, 2)
    assert body["next"] == f"http://testserver{JSON_URL}?after={made[1].pk}"
    assert [list(r) for r in body["results"]] == [CONTRIBUTION_HEADER] * 2
    day = timezone.localdate().isoformat()
    assert first["Content-Disposition"] == (
        f'inline; filename="tashawur-souss-massa-2018-contributions-{day}-after0.json"'
    )
    last = client.get(body["next"]).json()
    assert [r["id"] for r in last["results"]] == [made[2].pk]
    assert last["next"] is None


def test_keyset_pages_give_every_row_once_while_rows_are_added(
    site: Site, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 3)
    for _ in range(7):
        ContributionFactory(workshop=site.workshop, author=author())
    added: list[int] = []

    def add() -> None:  # after the first and the second page
        if len(added) < 2:
            added.append(ContributionFactory(workshop=site.workshop, author=author()).pk)

    ids = _keyset_walk(client, f"{JSON_URL}?after=0", between=add)

    assert len(added) == 2
    assert ids == sorted(Contribution.objects.values_list("pk", flat=True))
    assert len(ids) == len(set(ids)) == 9


@pytest.mark.parametrize("after", ["-1", "abc", "٢", "1.5", "9" * 19, ""])
def test_an_after_that_is_not_an_id_is_refused(site: Site, client: Client, after: str) -> None:
    response = client.get(JSON_URL, {"after": after})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "after_invalid"
    assert "after" in response.json()["error"]["message"]


def test_a_page_and_an_after_together_are_refused(site: Site, client: Client) -> None:
    response = client.get(JSON_URL, {"after": "0", "page": "1"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "page_and_after"


def test_json_pages_count_once_per_version_of_the_data(site: Site, client: Client) -> None:
    ContributionFactory(workshop=site.workshop, author=author())
    assert client.get(JSON_URL).json()["count"] == 1
    Contribution.objects.update(moderation_status="rejected")  # behind every writer's back
    assert client.get(JSON_URL, {"after": "0"}).json()["count"] == 1  # counted once, cached

    ContributionFactory(workshop=site.workshop, author=author())  # a new version

    assert client.get(JSON_URL).json()["count"] == 1


# --- query count ------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_a_deep_keyset_page_takes_as_many_queries_as_the_first(
    site: Site, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    made = [ContributionFactory(workshop=site.workshop, author=author()) for _ in range(12)]
    client.get(JSON_URL)  # the profiles and the count, cached

    first = _queries(client, f"{JSON_URL}?after=0")
    deep = _queries(client, f"{JSON_URL}?after={made[9].pk}")

    assert deep == first
    assert first <= 3  # the consultation, the download limit's none, the rows


@pytest.mark.parametrize("url", [ZIP_URL, JSON_URL])
def test_queries_do_not_grow_with_the_data(site: Site, client: Client, url: str) -> None:
    def add(n: int) -> None:
        for _ in range(n):
            person = author(actor_type=site.cooperative, province=site.agadir)
            ContributionFactory(workshop=site.workshop, author=person)
        ContributionFactory(
            workshop=site.workshop, author=None, recorded_by=UserFactory(), channel="facilitator"
        )

    add(2)
    _run_with_finding(site, [])
    small = _queries(client, url)
    add(10)
    assert _queries(client, url) == small
    assert small <= 8
