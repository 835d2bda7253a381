"""The open-data ZIP is the last one built, served from its file: a vote or a new contribution
queues one deferred rebuild and builds nothing in the request; a takedown is never served from
an older ZIP (``api.archives``). Anonymous networks are throttled on the ZIP and the JSON pages
with the API's translated JSON error."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client, override_settings
from django_tasks import TaskResult, default_task_backend

from tashawur.api import archives
from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.contributions.services import contribution_moderate, vote_cast
from tashawur.contributions.services.erasure import participant_erase
from tests.actors.factories import UserFactory
from tests.contributions.factories import ContributionFactory

from .conftest import Site, author, response_bytes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_rate_windows")]

ZIP_URL = "/api/consultations/souss-massa-2018/open-data.zip"
JSON_URL = "/api/consultations/souss-massa-2018/contributions.json"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the ZIPs written (the real writer still writes them)."""
    count: list[int] = []
    real = archives.open_data_zip_write

    def counted(data: Any, out: Any) -> None:
        count.append(1)
        real(data, out)

    monkeypatch.setattr(archives, "open_data_zip_write", counted)
    return count


@pytest.fixture
def queued(settings: Any) -> list[TaskResult[Any]]:
    """The tasks enqueued, kept in the queue rather than run (as a worker would, later)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    results: list[TaskResult[Any]] = default_task_backend.results  # type: ignore[attr-defined]
    return results


def _zip(client: Client | None = None) -> tuple[bytes, Any]:
    response = (client or Client()).get(ZIP_URL)
    assert response.status_code == 200
    return response_bytes(response), response


def _status(client: Client, url: str) -> int:
    response = client.get(url)
    response_bytes(response)  # read to the end: the file it streams is closed
    return int(response.status_code)


def _contributions_csv(content: bytes) -> str:
    archive = zipfile.ZipFile(io.BytesIO(content))
    name = next(n for n in archive.namelist() if n.endswith("contributions.csv"))
    return archive.read(name).decode("utf-8-sig")


def _readme(content: bytes) -> str:
    archive = zipfile.ZipFile(io.BytesIO(content))
    name = next(n for n in archive.namelist() if n.endswith("README.txt"))
    return archive.read(name).decode()


def _contribution(site: Site, text: str) -> Contribution:
    return ContributionFactory(workshop=site.workshop, author=author(), text=text)


def test_an_unchanged_consultation_gives_the_same_zip(site: Site, builds: list[int]) -> None:
    _contribution(site, "نقترح شباكًا موحدًا")

    first, _ = _zip()
    second, response = _zip()

    assert second == first
    assert len(builds) == 1
    assert response["Content-Length"] == str(len(first))


def test_a_vote_or_a_contribution_queues_one_rebuild_and_builds_nothing_now(
    site: Site, builds: list[int], queued: list[TaskResult[Any]], settings: Any
) -> None:
    settings.TASHAWUR_OPEN_DATA_DEBOUNCE_SECONDS = 60
    kept = _contribution(site, "نقترح شباكًا موحدًا")
    first, first_response = _zip()

    vote_cast(contribution=kept, participant=author(), value=1)
    after_vote, _ = _zip()
    _contribution(site, "نقترح سوقًا أسبوعيًا")
    vote_cast(contribution=kept, participant=author(), value=-1)
    after_more, response = _zip()

    # The last ZIP, as it was: nothing built in the requests, one rebuild queued, deferred.
    assert after_vote == after_more == first
    assert len(builds) == 1
    (rebuild,) = queued
    assert rebuild.task.name == "open_data_archive_task"
    assert rebuild.args == [site.consultation.pk]
    assert rebuild.task.run_after is not None
    assert response["X-Open-Data-Version"] == first_response["X-Open-Data-Version"]

    assert rebuild.task.call(*rebuild.args) == "built"  # the worker, later

    fresh, fresh_response = _zip()
    assert len(builds) == 2
    assert "سوقًا أسبوعيًا" in _contributions_csv(fresh)
    assert fresh_response["X-Open-Data-Version"] != first_response["X-Open-Data-Version"]
    assert fresh_response["X-Open-Data-Version"] in _readme(fresh)
    assert len(queued) == 1  # the ZIP holds the current data: nothing more to queue
    assert rebuild.task.call(*rebuild.args) == "current"
    assert len(builds) == 2


def _reject(contribution: Contribution) -> None:
    contribution_moderate(
        contribution=contribution, status=ModerationStatus.REJECTED, reason="off_topic"
    )


def _delete(contribution: Contribution) -> None:
    contribution.delete()


def _erase(contribution: Contribution) -> None:
    assert contribution.author is not None
    participant_erase(participant=contribution.author)


def _edit(contribution: Contribution) -> None:
    contribution.text = "نص بعد التعديل"
    contribution.save()


def _pseudonym(content: bytes, contribution: Contribution) -> str:
    rows = csv.DictReader(io.StringIO(_contributions_csv(content)))
    return next(r["author_pseudonym"] for r in rows if r["id"] == str(contribution.pk))


@pytest.mark.parametrize(
    ("takedown", "gone"),
    [(_reject, "text"), (_delete, "text"), (_edit, "text"), (_erase, "pseudonym")],
)
def test_a_takedown_is_never_served_from_an_older_zip(
    site: Site,
    builds: list[int],
    queued: list[TaskResult[Any]],
    takedown: Callable[[Contribution], None],
    gone: str,
) -> None:
    kept = _contribution(site, "نقترح شباكًا موحدًا")
    taken_down = _contribution(site, "نص سيُسحب لأنه يذكر اسم جاري")
    before, _ = _zip()
    removed = "نص سيُسحب" if gone == "text" else _pseudonym(before, taken_down)
    assert removed in _contributions_csv(before)
    vote_cast(contribution=kept, participant=author(), value=1)
    _zip()  # a rebuild is queued and waits
    assert len(queued) == 1

    takedown(taken_down)
    after, _ = _zip()

    assert removed not in _contributions_csv(after)
    assert len(builds) == 2  # built in the request, not left to the queue
    # The older file is gone from the disk too.
    _, files = archives.archive_storage().listdir(str(site.consultation.pk))
    assert len(files) == 1


def test_a_takedown_is_in_the_json_pages_at_once(site: Site) -> None:
    taken_down = _contribution(site, "نص سيُسحب")
    assert Client().get(JSON_URL).json()["count"] == 1

    _reject(taken_down)

    assert Client().get(JSON_URL).json()["count"] == 0


def test_the_zip_answers_a_conditional_request(site: Site, builds: list[int]) -> None:
    _contribution(site, "نقترح شباكًا موحدًا")
    _, response = _zip()

    again = Client().get(ZIP_URL, headers={"If-None-Match": response["ETag"]})
    since = Client().get(ZIP_URL, headers={"If-Modified-Since": response["Last-Modified"]})

    assert again.status_code == since.status_code == 304
    assert len(builds) == 1


def test_the_zip_is_not_compressed_again(site: Site) -> None:
    _contribution(site, "نقترح شباكًا موحدًا")
    content, response = _zip(Client(headers={"Accept-Encoding": "gzip"}))

    assert not response.has_header("Content-Encoding")
    assert zipfile.ZipFile(io.BytesIO(content)).namelist()


@override_settings(TASHAWUR_RATE_DOWNLOADS="3/m")
def test_anonymous_downloads_past_the_rate_get_the_json_error(site: Site) -> None:
    visitor = Client()
    assert [_status(visitor, url) for url in (ZIP_URL, JSON_URL, ZIP_URL)] == [200] * 3

    zip_refused = visitor.get(ZIP_URL)
    json_refused = visitor.get(JSON_URL, headers={"Accept-Language": "fr"})

    assert zip_refused.status_code == json_refused.status_code == 429
    assert zip_refused["Content-Type"] == "application/json"
    assert 1 <= int(zip_refused["Retry-After"]) <= 60
    assert zip_refused.json() == {
        "error": {
            "code": "rate_limited",
            "message": "تحميلات كثيرة من شبكتك. أعد المحاولة بعد دقيقة واحدة.",
        }
    }
    assert json_refused.json()["error"]["message"] == (
        "Trop de téléchargements depuis votre réseau. Réessayez dans 1 minute."
    )
    # Another network, and a signed-in user, are not refused.
    assert _status(Client(REMOTE_ADDR="198.51.100.20"), ZIP_URL) == 200
    member = Client()
    member.force_login(UserFactory())
    assert _status(member, ZIP_URL) == 200
