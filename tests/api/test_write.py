"""The write API: POST a contribution or a vote with a token or a session (CSRF), idempotent,
scoped to the user's rights, every refusal a JSON error with a stable code."""

from __future__ import annotations

import datetime as dt
import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from tashawur.actors.models import Participant
from tashawur.consultations.models import Attendance, Workshop
from tashawur.contributions.models import Channel, Contribution, Vote
from tashawur.core.models import ApiToken, User
from tashawur.core.roles import Role
from tashawur.core.tokens import api_token_create, api_token_revoke
from tests.actors.factories import UserFactory
from tests.contributions.factories import ContributionFactory

from .conftest import Site, author

pytestmark = pytest.mark.django_db


def _participant_user(**kwargs: Any) -> tuple[User, Participant]:
    user = UserFactory()
    participant = author(user=user, **kwargs)
    return user, participant


def _key(user: User, kind: str = ApiToken.Kind.PERSONAL) -> str:
    return api_token_create(user=user, name="phone", kind=kind, created_by=user)[1]


def _post(client: Client, url: str, body: Any, key: str | None = None, **headers: str) -> Any:
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(url, data, content_type="application/json", headers=headers)


def _contribution(**overrides: Any) -> dict[str, Any]:
    return {
        "text": "نقترح تبسيط مساطر التعاونيات",
        "dimension": "proposal",
        "language": "ar",
        "idempotency_key": "phone-1:item-1",
        **overrides,
    }


def _url(site: Site) -> str:
    return f"/api/workshops/{site.workshop.pk}/contributions"


def test_first_receipt_201_then_200_with_the_same_body(site: Site, client: Client) -> None:
    user, participant = _participant_user()
    key = _key(user)

    first = _post(client, _url(site), _contribution(), key)
    again = _post(client, _url(site), _contribution(), key)
    changed = _post(client, _url(site), _contribution(text="نص آخر"), key)

    assert first.status_code == 201
    assert again.status_code == changed.status_code == 200
    assert first.content == again.content == changed.content
    body = first.json()
    stored = Contribution.objects.get()
    assert body["id"] == body["number"] == stored.pk
    assert body["workshop"] == site.workshop.pk
    assert (body["dimension"], body["language"], body["channel"]) == ("proposal", "ar", "api")
    assert body["moderation_status"] == "published"
    assert stored.author == participant and stored.recorded_by is None
    assert first["Cache-Control"] == "no-store"


def test_offline_channel_is_kept_and_others_refused(site: Site, client: Client) -> None:
    user, _participant = _participant_user()
    key = _key(user)

    offline = _post(client, _url(site), _contribution(channel="offline"), key)
    web = _post(client, _url(site), _contribution(channel="web", idempotency_key="k2"), key)

    assert offline.status_code == 201 and offline.json()["channel"] == Channel.OFFLINE
    assert web.status_code == 422
    assert web.json()["error"]["code"] == "invalid"
    assert set(web.json()["error"]["fields"]) == {"channel"}


def test_facilitator_records_for_a_speaker_with_oral_consent(site: Site, client: Client) -> None:
    facilitator = UserFactory(role=Role.FACILITATOR)
    Workshop.objects.filter(pk=site.workshop.pk).update(facilitator=facilitator)
    speaker = author(consented=False)
    Attendance.objects.create(workshop=site.workshop, participant=speaker)
    key = _key(facilitator, ApiToken.Kind.DEVICE)

    no_consent = _post(client, _url(site), _contribution(speaker=speaker.pk), key)
    stranger = _post(client, _url(site), _contribution(speaker=author().pk, oral_consent=True), key)
    recorded = _post(client, _url(site), _contribution(speaker=speaker.pk, oral_consent=True), key)
    room = _post(client, _url(site), _contribution(idempotency_key="room-1"), key)

    assert no_consent.status_code == 422
    assert set(no_consent.json()["error"]["fields"]) == {"oral_consent"}
    assert stranger.status_code == 422
    assert set(stranger.json()["error"]["fields"]) == {"speaker"}
    assert recorded.status_code == 201
    assert room.status_code == 201
    mine = Contribution.objects.get(pk=recorded.json()["id"])
    assert (mine.author, mine.recorded_by, mine.channel) == (speaker, facilitator, "api")
    assert Contribution.objects.get(pk=room.json()["id"]).author is None


def test_a_participant_token_cannot_record_for_someone_else(site: Site, client: Client) -> None:
    user, _participant = _participant_user()
    other = author()
    Attendance.objects.create(workshop=site.workshop, participant=other)

    response = _post(
        client, _url(site), _contribution(speaker=other.pk, oral_consent=True), _key(user)
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert not Contribution.objects.exists()


def test_staff_without_a_role_here_is_refused(site: Site, client: Client) -> None:
    outsider = UserFactory(role=Role.FACILITATOR)
    response = _post(client, _url(site), _contribution(), _key(outsider))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_revoked_expired_unknown_and_missing_tokens(site: Site, client: Client) -> None:
    user, _participant = _participant_user()
    token, revoked = api_token_create(user=user, name="old", created_by=user)
    api_token_revoke(token=token)
    expiring, expired = api_token_create(
        user=user, name="soon", created_by=user, expires_at=timezone.now() + timedelta(hours=1)
    )
    ApiToken.objects.filter(pk=expiring.pk).update(expires_at=timezone.now() - timedelta(1))

    answers = {
        "revoked": _post(client, _url(site), _contribution(), revoked),
        "expired": _post(client, _url(site), _contribution(), expired),
        "unknown": _post(client, _url(site), _contribution(), "tsh_nothing"),
        "basic": _post(client, _url(site), _contribution(), Authorization="Basic eDp5"),
        "none": _post(client, _url(site), _contribution()),
    }

    codes = {name: (r.status_code, r.json()["error"]["code"]) for name, r in answers.items()}
    assert codes == {
        "revoked": (401, "token_revoked"),
        "expired": (401, "token_expired"),
        "unknown": (401, "not_authenticated"),
        "basic": (401, "not_authenticated"),
        "none": (401, "not_authenticated"),
    }
    assert answers["none"]["WWW-Authenticate"] == "Bearer"
    assert answers["revoked"]["WWW-Authenticate"].startswith("Bearer error=")
    assert not Contribution.objects.exists()


def test_a_deactivated_user_token_opens_nothing(site: Site, client: Client) -> None:
    user, _participant = _participant_user()
    key = _key(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = _post(client, _url(site), _contribution(), key)
    assert response.status_code == 401


def test_session_needs_the_csrf_header_and_a_token_does_not(site: Site) -> None:
    user, _participant = _participant_user()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    page = browser.get("/me/")  # any page sets the CSRF cookie
    assert page.status_code == 200
    csrf = browser.cookies["csrftoken"].value

    refused = _post(browser, _url(site), _contribution())
    accepted = _post(browser, _url(site), _contribution(), **{"X-CSRFToken": csrf})
    by_token = _post(
        Client(enforce_csrf_checks=True),
        _url(site),
        _contribution(idempotency_key="k-2"),
        _key(user),
    )

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "csrf_failed"
    assert accepted.status_code == 201
    assert by_token.status_code == 201


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_json"),
        (b"\xff\xfe{}", 400, "invalid_json"),
        (b"[" * 50_000 + b"]" * 10_000, 400, "invalid_json"),
        (json.dumps({"text": "x" * 70_000}).encode(), 413, "too_large"),
    ],
)
def test_unreadable_bodies(site: Site, client: Client, body: bytes, status: int, code: str) -> None:
    user, _participant = _participant_user()
    response = _post(client, _url(site), body, _key(user))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_invalid_fields_are_listed(site: Site, client: Client) -> None:
    user, _participant = _participant_user()
    response = _post(
        client,
        _url(site),
        {"text": 3, "dimension": "wish", "language": "xx", "idempotency_key": "bad key!"},
        _key(user),
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"text", "dimension", "language", "idempotency_key"}


def test_messages_follow_accept_language(site: Site, client: Client) -> None:
    user, _participant = _participant_user()
    other = author()
    key = _key(user)
    body = _contribution(speaker=other.pk, oral_consent=True)
    french = _post(client, _url(site), body, key, **{"Accept-Language": "fr"})
    arabic = _post(client, _url(site), body, key)
    assert french.json()["error"] == {
        "code": "forbidden",
        "message": "Vous ne pouvez pas faire cela.",
    }
    assert arabic.json()["error"]["message"] != french.json()["error"]["message"]
    invalid = _post(
        client, _url(site), _contribution(dimension="wish"), key, **{"Accept-Language": "fr"}
    )
    with translation.override("fr"):
        assert invalid.json()["error"]["message"] == gettext("Some fields are missing or wrong.")


def test_unknown_or_hidden_workshop_is_not_found(site: Site, client: Client) -> None:
    user, _participant = _participant_user()
    response = _post(client, "/api/workshops/999999/contributions", _contribution(), _key(user))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_closed_workshop_refuses_new_items_but_answers_replays(site: Site, client: Client) -> None:
    user, _participant = _participant_user()
    key = _key(user)
    first = _post(client, _url(site), _contribution(), key)
    Workshop.objects.filter(pk=site.workshop.pk).update(
        status=Workshop.Status.CLOSED, closed_at=timezone.now()
    )

    replay = _post(client, _url(site), _contribution(), key)
    new = _post(client, _url(site), _contribution(idempotency_key="late"), key)

    assert (replay.status_code, replay.content) == (200, first.content)
    assert new.status_code == 409
    assert new.json()["error"]["code"] == "workshop_closed"


def test_participant_without_consent_is_told_so(site: Site, client: Client) -> None:
    user, _participant = _participant_user(consented=False)
    response = _post(client, _url(site), _contribution(), _key(user))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "consent_required"


def test_rate_limited_but_replays_are_not_counted(
    site: Site, client: Client, settings: Any, frozen_rate_windows: None
) -> None:
    settings.TASHAWUR_RATE_CONTRIBUTIONS = "2/m"
    user, _participant = _participant_user()
    key = _key(user)
    statuses = [
        _post(client, _url(site), _contribution(idempotency_key=k), key).status_code
        for k in ("a", "a", "a", "b", "c")
    ]
    assert statuses == [201, 200, 200, 201, 429]
    limited = _post(client, _url(site), _contribution(idempotency_key="d"), key)
    assert limited.json()["error"]["code"] == "rate_limited"
    assert int(limited["Retry-After"]) > 0


def test_get_is_not_allowed(site: Site, client: Client) -> None:
    response = client.get(_url(site))
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"


# -- votes ---------------------------------------------------------------------------------------


def _vote_url(contribution: Contribution) -> str:
    return f"/api/contributions/{contribution.pk}/votes"


def test_vote_201_then_200_and_a_change_updates(site: Site, client: Client) -> None:
    proposal = ContributionFactory(workshop=site.workshop, author=author())
    user, participant = _participant_user()
    key = _key(user)

    first = _post(client, _vote_url(proposal), {"value": "agree", "idempotency_key": "v1"}, key)
    again = _post(client, _vote_url(proposal), {"value": "agree", "idempotency_key": "v1"}, key)
    changed = _post(client, _vote_url(proposal), {"value": "disagree"}, key)

    assert (first.status_code, again.status_code, changed.status_code) == (201, 200, 200)
    assert first.content == again.content
    assert first.json() == {"contribution": proposal.pk, "value": "agree"}
    assert changed.json()["value"] == "disagree"
    assert Vote.objects.get().value == Vote.Value.DISAGREE
    proposal.refresh_from_db()
    assert (proposal.agree_count, proposal.disagree_count) == (0, 1)
    assert Vote.objects.get().participant == participant


def test_vote_refusals(site: Site, client: Client) -> None:
    proposal = ContributionFactory(workshop=site.workshop, author=author())
    question = ContributionFactory(workshop=site.workshop, author=author(), dimension="question")
    user, _participant = _participant_user()
    key = _key(user)
    staff_key = _key(UserFactory(role=Role.NATIONAL_COORDINATOR))

    answers = {
        "bad value": _post(client, _vote_url(proposal), {"value": 1}, key),
        "not votable": _post(client, _vote_url(question), {"value": "agree"}, key),
        "no participant": _post(client, _vote_url(proposal), {"value": "agree"}, staff_key),
        "unknown": _post(client, "/api/contributions/999999/votes", {"value": "pass"}, key),
        "anonymous": _post(client, _vote_url(proposal), {"value": "pass"}),
    }

    codes = {name: (r.status_code, r.json()["error"]["code"]) for name, r in answers.items()}
    assert codes == {
        "bad value": (422, "invalid"),
        "not votable": (409, "not_votable"),
        "no participant": (403, "forbidden"),
        "unknown": (404, "not_found"),
        "anonymous": (401, "not_authenticated"),
    }


def test_vote_replay_after_the_workshop_closed(site: Site, client: Client) -> None:
    proposal = ContributionFactory(workshop=site.workshop, author=author())
    user, _participant = _participant_user()
    key = _key(user)
    _post(client, _vote_url(proposal), {"value": "pass"}, key)
    Workshop.objects.filter(pk=site.workshop.pk).update(
        status=Workshop.Status.CLOSED, closed_at=timezone.now()
    )

    replay = _post(client, _vote_url(proposal), {"value": "pass"}, key)
    changed = _post(client, _vote_url(proposal), {"value": "agree"}, key)

    assert replay.status_code == 200
    assert (changed.status_code, changed.json()["error"]["code"]) == (409, "workshop_closed")


# -- imports -------------------------------------------------------------------------------------


def _notes(*rows: str) -> SimpleUploadedFile:
    content = "\n".join(["text,dimension,language,speaker", *rows]).encode()
    return SimpleUploadedFile("notes.csv", content, content_type="text/csv")


def test_import_stores_every_row_once_then_says_already(site: Site, client: Client) -> None:
    facilitator = UserFactory(role=Role.FACILITATOR)
    Workshop.objects.filter(pk=site.workshop.pk).update(facilitator=facilitator)
    headers = {"Authorization": f"Bearer {_key(facilitator, ApiToken.Kind.DEVICE)}"}
    url = f"/api/workshops/{site.workshop.pk}/imports"
    rows = ("نقترح تعاونية,proposal,ar,", "Manque d'eau,challenge,fr,")

    preview = client.post(url, {"file": _notes(*rows), "dry_run": "true"}, headers=headers)
    first = client.post(url, {"file": _notes(*rows)}, headers=headers)
    again = client.post(url, {"file": _notes(*rows)}, headers=headers)

    assert preview.status_code == 200 and preview.json()["ok"] and preview.json()["new"] == 2
    assert (first.status_code, first.json()["created"]) == (201, 2)
    assert (again.status_code, again.json()["created"], again.json()["already"]) == (200, 0, 2)
    assert set(Contribution.objects.values_list("channel", flat=True)) == {"import"}
    assert Contribution.objects.count() == 2


def test_import_refusals(site: Site, client: Client) -> None:
    facilitator = UserFactory(role=Role.FACILITATOR)
    Workshop.objects.filter(pk=site.workshop.pk).update(facilitator=facilitator)
    key = _key(facilitator)
    user, _participant = _participant_user()
    url = f"/api/workshops/{site.workshop.pk}/imports"

    def send(data: dict[str, Any], bearer: str) -> Any:
        return client.post(url, data, headers={"Authorization": f"Bearer {bearer}"})

    bad_row = send({"file": _notes("نص,proposal,ar,", "نص,souhait,ar,")}, key)
    no_file = send({}, key)
    participant = send({"file": _notes("نص,proposal,ar,")}, _key(user))

    assert bad_row.status_code == 422
    error = bad_row.json()["error"]
    assert error["code"] == "import_refused"
    assert [row["number"] for row in error["rows"]] == [3]
    assert (no_file.status_code, no_file.json()["error"]["code"]) == (422, "invalid")
    assert (participant.status_code, participant.json()["error"]["code"]) == (403, "forbidden")
    assert not Contribution.objects.exists()


def test_the_answers_match_the_openapi_document(site: Site, client: Client) -> None:
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    user, _participant = _participant_user()
    key = _key(user)
    stored = _post(client, _url(site), _contribution(), key).json()
    proposal = ContributionFactory(workshop=site.workshop, author=author())
    vote = _post(client, _vote_url(proposal), {"value": "pass"}, key).json()
    assert list(stored) == schemas["ContributionOut"]["required"]
    assert list(vote) == schemas["VoteOut"]["required"]
    document = client.get("/api/openapi.json").json()
    operation = document["paths"]["/api/workshops/{pk}/contributions"]["post"]
    assert {"bearer", "session"} <= set(document["components"]["securitySchemes"])
    assert {"200", "201", "401", "403", "409", "413", "422", "429"} <= set(operation["responses"])


# -- when it was said ----------------------------------------------------------------------------


def test_said_at_is_stored_and_answered_and_checked(site: Site, client: Client) -> None:
    user, _participant = _participant_user()
    key = _key(user)
    said = timezone.now().replace(microsecond=0) - dt.timedelta(hours=2)

    stored = _post(client, _url(site), _contribution(said_at=said.isoformat()), key)
    future = _post(
        client,
        _url(site),
        _contribution(
            idempotency_key="phone-1:item-2",
            said_at=(timezone.now() + dt.timedelta(hours=1)).isoformat(),
        ),
        key,
    )
    naive = _post(
        client,
        _url(site),
        _contribution(idempotency_key="phone-1:item-3", said_at="2018-08-04T10:30:00"),
        key,
    )

    assert stored.status_code == 201
    assert dt.datetime.fromisoformat(stored.json()["said_at"]) == said
    assert Contribution.objects.get().said_at == said
    assert (future.status_code, list(future.json()["error"]["fields"])) == (422, ["said_at"])
    assert (naive.status_code, list(naive.json()["error"]["fields"])) == (422, ["said_at"])


def test_a_long_notes_file_is_left_to_the_worker_and_its_status_read(
    site: Site, client: Client, settings, django_capture_on_commit_callbacks
) -> None:
    settings.TASHAWUR_NOTES_IMPORT_BACKGROUND_ROWS = 2
    facilitator = UserFactory(role=Role.FACILITATOR)
    Workshop.objects.filter(pk=site.workshop.pk).update(facilitator=facilitator)
    headers = {"Authorization": f"Bearer {_key(facilitator, ApiToken.Kind.DEVICE)}"}
    rows = ("نقترح تعاونية,proposal,ar,", "Manque d'eau,challenge,fr,", "Routes,challenge,fr,")

    with django_capture_on_commit_callbacks(execute=True):
        queued = client.post(
            f"/api/workshops/{site.workshop.pk}/imports", {"file": _notes(*rows)}, headers=headers
        )
    status = client.get(queued.json()["url"], headers=headers)
    user, _participant = _participant_user()
    stranger = client.get(queued.json()["url"], headers={"Authorization": f"Bearer {_key(user)}"})

    assert queued.status_code == 202
    assert queued.json()["status"] == "queued" and queued.json()["rows"] == 3
    assert status.status_code == 200
    assert (status.json()["status"], status.json()["created"]) == ("done", 3)
    assert (stranger.status_code, stranger.json()["error"]["code"]) == (404, "not_found")
    assert Contribution.objects.filter(channel="import").count() == 3
