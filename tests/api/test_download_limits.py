"""The open-data ZIP is cached under the hash of its content (a change in the data is in the
next download at once); anonymous networks are throttled on the ZIP and the JSON pages with
the API's translated JSON error."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client, override_settings

from tashawur.api import views
from tashawur.contributions.models import Contribution, ModerationStatus
from tashawur.contributions.services import contribution_moderate, vote_cast
from tests.actors.factories import UserFactory
from tests.contributions.factories import ContributionFactory

from .conftest import Site, author

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_rate_windows")]

ZIP_URL = "/api/consultations/souss-massa-2018/open-data.zip"
JSON_URL = "/api/consultations/souss-massa-2018/contributions.json"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the ZIPs written (the real writer still writes them)."""
    count: list[int] = []
    real = views.open_data_zip

    def counted(data: object) -> bytes:
        count.append(1)
        return real(data)  # type: ignore[arg-type]

    monkeypatch.setattr(views, "open_data_zip", counted)
    return count


def _contributions_csv(content: bytes) -> str:
    archive = zipfile.ZipFile(io.BytesIO(content))
    name = next(n for n in archive.namelist() if n.endswith("contributions.csv"))
    return archive.read(name).decode("utf-8-sig")


def _contribution(site: Site, text: str) -> Contribution:
    return ContributionFactory(workshop=site.workshop, author=author(), text=text)


def test_an_unchanged_consultation_gives_the_cached_zip(site: Site, builds: list[int]) -> None:
    _contribution(site, "نقترح شباكًا موحدًا")

    first = Client().get(ZIP_URL)
    second = Client().get(ZIP_URL)

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert len(builds) == 1


def test_a_new_contribution_is_in_the_next_zip_at_once(site: Site, builds: list[int]) -> None:
    _contribution(site, "نقترح شباكًا موحدًا")
    assert "سوقًا أسبوعيًا" not in _contributions_csv(Client().get(ZIP_URL).content)

    _contribution(site, "نقترح سوقًا أسبوعيًا")

    assert "سوقًا أسبوعيًا" in _contributions_csv(Client().get(ZIP_URL).content)
    assert len(builds) == 2


def test_a_vote_and_a_moderation_are_in_the_next_zip_at_once(site: Site, builds: list[int]) -> None:
    kept = _contribution(site, "نقترح شباكًا موحدًا")
    taken_down = _contribution(site, "نص سيُسحب")
    before = _contributions_csv(Client().get(ZIP_URL).content)
    assert "نص سيُسحب" in before

    vote_cast(contribution=kept, participant=author(), value=1)
    after_vote = _contributions_csv(Client().get(ZIP_URL).content)
    # The moderation service writes with a bulk update (no save(), no signal): still seen.
    contribution_moderate(
        contribution=taken_down, status=ModerationStatus.REJECTED, reason="off_topic"
    )
    after_moderation = _contributions_csv(Client().get(ZIP_URL).content)

    assert after_vote != before
    assert "نص سيُسحب" not in after_moderation
    assert len(builds) == 3


@override_settings(TASHAWUR_RATE_DOWNLOADS="3/m")
def test_anonymous_downloads_past_the_rate_get_the_json_error(site: Site) -> None:
    visitor = Client()
    assert [visitor.get(url).status_code for url in (ZIP_URL, JSON_URL, ZIP_URL)] == [200] * 3

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
    assert Client(REMOTE_ADDR="198.51.100.20").get(ZIP_URL).status_code == 200
    member = Client()
    member.force_login(UserFactory())
    assert member.get(ZIP_URL).status_code == 200
