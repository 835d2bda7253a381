"""The curation screen: forms on the finding page and the diagnosis page, for those who may run
the synthesis; without JavaScript (POST, redirect, errors next to the fields with 422) and with
HTMX (a part of the page)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils.html import escape

from tashawur.diagnosis.models import CurationEvent, Finding, FindingContribution, SynthesisRun
from tashawur.diagnosis.services import findings_merge
from tests.actors.factories import UserFactory
from tests.consultations.factories import ConsultationFactory, analyst_of

from .conftest import HTMX, Corpus, run_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst(client: Client, corpus: Corpus) -> Any:
    user = analyst_of(corpus.consultation)
    client.force_login(user)
    return user


def url(corpus: Corpus, finding: Finding, action: str = "", prefix: str = "") -> str:
    base = f"{prefix}/c/{corpus.consultation.slug}/diagnosis/findings/{finding.pk}/"
    return f"{base}{action}/" if action else base


def first_two(run: SynthesisRun) -> tuple[Finding, Finding]:
    first, second = run.findings.order_by("position")[:2]
    return first, second


def two_member_finding(run: SynthesisRun) -> Finding:
    for finding in run.findings.order_by("position"):
        if finding.citations.filter(duplicate_of__isnull=True).count() >= 2:
            return finding
    raise AssertionError("the corpus should give a finding with two members")


# -- who may curate -----------------------------------------------------------------------------

ALLOWED = {
    "national": True,
    "own_regional": True,
    "other_regional": False,
    "analyst": True,
    "unassigned_analyst": False,
    "other_analyst": False,  # assigned to another consultation
    "facilitator": False,
    "rapporteur": False,
    "participant": False,
}
ROLES = {
    "national": "national_coordinator",
    "own_regional": "regional_coordinator",
    "other_regional": "regional_coordinator",
    "analyst": "analyst",
    "unassigned_analyst": "analyst",
    "other_analyst": "analyst",
    "facilitator": "facilitator",
    "rapporteur": "rapporteur",
    "participant": "participant",
}


def _sign_in(client: Client, corpus: Corpus, who: str) -> None:
    user = UserFactory(role=ROLES[who])
    if who == "own_regional":
        corpus.consultation.coordinators.add(user)
    if who == "analyst":
        corpus.consultation.analysts.add(user)
    if who == "other_analyst":
        ConsultationFactory(analysts=[user])
    if who == "facilitator":
        corpus.workshops[0].facilitator = user
        corpus.workshops[0].save()
    if who == "rapporteur":
        corpus.workshops[0].rapporteur = user
        corpus.workshops[0].save()
    client.force_login(user)


def _actions(run: SynthesisRun, corpus: Corpus) -> dict[str, tuple[Finding, dict[str, Any]]]:
    first, second = first_two(run)
    splittable = two_member_finding(run)
    member = splittable.citations.filter(duplicate_of=None).first().contribution_id
    return {
        "rename": (first, {"title_ar": "عنوان", "title_fr": "Titre"}),
        "status": (first, {"status": "accepted"}),
        "merge": (second, {"target": first.pk}),
        "split": (splittable, {"contributions": [member], "title_fr": "Nouveau"}),
    }


@pytest.mark.parametrize("action", ["rename", "status", "merge", "split"])
@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_curation_rights(
    corpus: Corpus, run: SynthesisRun, client: Client, who: str, action: str
) -> None:
    _sign_in(client, corpus, who)
    finding, data = _actions(run, corpus)[action]

    response = client.post(url(corpus, finding, action), data)

    if ALLOWED[who]:
        assert response.status_code == 302
        assert CurationEvent.objects.count() == 1
    else:
        assert response.status_code == 403
        assert CurationEvent.objects.count() == 0


@pytest.mark.parametrize("action", ["rename", "status", "merge", "split"])
def test_anonymous_curation_goes_to_sign_in(
    corpus: Corpus, run: SynthesisRun, client: Client, action: str
) -> None:
    finding, data = _actions(run, corpus)[action]

    response = client.post(url(corpus, finding, action), data)

    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert CurationEvent.objects.count() == 0


@pytest.mark.parametrize("action", ["rename", "status", "merge", "split"])
def test_get_on_a_curation_url_is_not_allowed(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any, action: str
) -> None:
    assert client.get(url(corpus, run.findings.first(), action)).status_code == 405


def test_a_finding_of_another_consultation_is_not_found(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    from .conftest import corpus_build

    other = corpus_build()
    finding = run.findings.first()

    response = client.post(
        f"/c/{other.consultation.slug}/diagnosis/findings/{finding.pk}/rename/",
        {"title_ar": "عنوان"},
    )

    assert response.status_code == 404


def test_finding_page_shows_the_curation_forms_to_an_analyst_only(
    corpus: Corpus, run: SynthesisRun, client: Client
) -> None:
    finding = two_member_finding(run)
    public = client.get(url(corpus, finding, prefix="/en")).content.decode()
    client.force_login(UserFactory(role="participant"))
    participant = client.get(url(corpus, finding, prefix="/en")).content.decode()
    client.force_login(UserFactory(role="analyst"))
    unassigned = client.get(url(corpus, finding, prefix="/en")).content.decode()
    client.force_login(analyst_of(corpus.consultation))
    html = client.get(url(corpus, finding, prefix="/en")).content.decode()

    for form in ("rename-form", "status-form", "merge-form", "split-form"):
        assert f'id="{form}"' in html
        assert f'id="{form}"' not in public
        assert f'id="{form}"' not in participant
        assert f'id="{form}"' not in unassigned
    assert "htmx.min.js" in html
    assert f"You are curating synthesis run #{run.pk}, the one the diagnosis shows." in html
    for citation in finding.citations.filter(duplicate_of=None):
        assert f'name="contributions" value="{citation.contribution_id}"' in html
    others = run.findings.exclude(pk=finding.pk)
    for other in others:
        assert f'<option value="{other.pk}">' in html


# -- rename -------------------------------------------------------------------------------------


def test_rename_without_javascript_saves_and_redirects(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = run.findings.order_by("position").first()

    response = client.post(
        url(corpus, finding, "rename", "/fr"), {"title_ar": "الماء", "title_fr": "L'eau"}
    )

    assert response.status_code == 302
    assert response["Location"] == url(corpus, finding, prefix="/fr")
    html = client.get(response["Location"]).content.decode()
    assert "Le titre du constat est enregistré." in html
    assert "<h1><bdi>L&#x27;eau</bdi></h1>" in html
    finding.refresh_from_db()
    assert (finding.title_override_ar, finding.title_override_fr) == ("الماء", "L'eau")


def test_rename_error_without_javascript_shows_the_page_with_the_error_by_its_field(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = run.findings.order_by("position").first()

    response = client.post(
        url(corpus, finding, "rename"), {"title_ar": "الماء \u202e", "title_fr": ""}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert '<html lang="ar" dir="rtl">' in html
    field = html.split('<div class="field has-error">', 1)[1].split("</div>", 1)[0]
    assert 'name="title_ar"' in field
    assert (
        escape(
            "يحتوي العنوان على رموز خفية للتحكم في اتجاه الكتابة (مثل U+202E) قد تخفي ما يقوله؛ "
            "احذفها وأرسله مرة أخرى."
        )
        in field
    )
    finding.refresh_from_db()
    assert finding.title_override_ar == ""


def test_rename_with_htmx_returns_the_head_of_the_page(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = run.findings.order_by("position").first()

    response = client.post(
        url(corpus, finding, "rename"), {"title_ar": "الماء", "title_fr": ""}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert html.strip().startswith('<div id="finding-head">')
    assert "<h1><bdi>الماء</bdi></h1>" in html
    assert "HX-Request" in response["Vary"]


def test_rename_error_with_htmx_returns_the_head_with_the_error_as_422(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = run.findings.order_by("position").first()

    response = client.post(
        url(corpus, finding, "rename"), {"title_ar": "", "title_fr": "é" * 301}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in html
    assert "العنوان طويل جدًا: 301 حرف، والحد الأقصى 300." in html


# -- accept, reject -----------------------------------------------------------------------------


def test_accept_from_the_diagnosis_page_goes_back_there_and_readers_see_it(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = run.findings.order_by("position").first()
    diagnosis = client.get(f"/en/c/{corpus.consultation.slug}/diagnosis/").content.decode()
    assert f'action="{url(corpus, finding, "status", "/en")}"' in diagnosis

    response = client.post(
        url(corpus, finding, "status", "/en"), {"status": "accepted", "back": "diagnosis"}
    )

    assert response.status_code == 302
    assert response["Location"] == (
        f"/en/c/{corpus.consultation.slug}/diagnosis/#finding-{finding.key}"
    )
    client.logout()
    html = client.get(f"/en/c/{corpus.consultation.slug}/diagnosis/").content.decode()
    card = html.split(f'id="finding-{finding.key}"', 1)[1].split("</li>", 1)[0]
    assert '<span class="badge finding-status accepted">Accepted</span>' in card
    assert "/status/" not in html


def test_rejected_finding_is_set_aside_for_curators_and_hidden_from_the_public(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = run.findings.order_by("position").first()

    response = client.post(url(corpus, finding, "status"), {"status": "rejected"})

    assert response.status_code == 302
    html = client.get(f"/en/c/{corpus.consultation.slug}/diagnosis/").content.decode()
    set_aside = html.split('id="set-aside"', 1)[1]
    assert f'id="finding-{finding.key}"' in set_aside
    assert f'id="finding-{finding.key}"' not in html.split('id="set-aside"', 1)[0]
    client.logout()
    public = client.get(f"/en/c/{corpus.consultation.slug}/diagnosis/").content.decode()
    assert f'id="finding-{finding.key}"' not in public
    assert 'id="set-aside"' not in public


def test_status_with_htmx_returns_the_head_with_the_new_badge(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = run.findings.order_by("position").first()

    response = client.post(url(corpus, finding, "status", "/en"), {"status": "rejected"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<span class="badge finding-status rejected">Rejected</span>' in html
    assert 'name="status" value="proposed"' in html


def test_an_unknown_status_is_refused_with_422(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = run.findings.order_by("position").first()

    response = client.post(url(corpus, finding, "status"), {"status": "merged"})

    assert response.status_code == 422
    assert "اختر القبول أو الرفض أو الإرجاع إلى مقترحة." in response.content.decode()
    finding.refresh_from_db()
    assert finding.status == "proposed"


# -- merge --------------------------------------------------------------------------------------


def test_merge_without_javascript_goes_to_the_target(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first, second = first_two(run)
    moved = set(second.citations.values_list("contribution_id", flat=True))

    response = client.post(url(corpus, second, "merge", "/en"), {"target": first.pk})

    assert response.status_code == 302
    assert response["Location"] == url(corpus, first, prefix="/en")
    html = client.get(response["Location"]).content.decode()
    assert "The finding is merged: this finding now cites its contributions." in html
    for contribution_id in moved:
        assert f'id="c-{contribution_id}"' in html
    merged = client.get(url(corpus, second, prefix="/en")).content.decode()
    assert "This finding was merged into another one" in merged
    assert f'href="{url(corpus, first, prefix="/en")}"' in merged
    assert 'id="merge-form"' not in merged


def test_merge_with_htmx_redirects_the_browser(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first, second = first_two(run)

    response = client.post(url(corpus, second, "merge"), {"target": first.pk}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == url(corpus, first)
    assert FindingContribution.objects.filter(finding=second).count() == 0


def test_merge_into_a_rejected_finding_shows_the_error_by_the_list(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    first, second = first_two(run)
    Finding.objects.filter(pk=first.pk).update(status="rejected")

    response = client.post(url(corpus, second, "merge"), {"target": first.pk}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 422
    assert "<html" not in html
    field = html.split('id="merge-form"', 1)[1].split("</form>", 1)[0]
    assert "يجب أن تكون الخلاصة التي يُدمج فيها معروضة في التشخيص" in field
    second.refresh_from_db()
    assert second.status == "proposed"


def test_merge_into_a_finding_of_another_consultation_is_refused(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    from .conftest import corpus_build

    other = run_now(corpus_build())
    second = first_two(run)[1]

    response = client.post(url(corpus, second, "merge"), {"target": other.findings.first().pk})

    assert response.status_code == 422
    assert "اختر خلاصة من القائمة." in response.content.decode()


def test_merge_without_a_target_is_refused(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    response = client.post(url(corpus, first_two(run)[1], "merge"), {"target": ""})

    assert response.status_code == 422
    assert "اختر الخلاصة التي تُدمج فيها هذه الخلاصة." in response.content.decode()


# -- split --------------------------------------------------------------------------------------


def test_split_without_javascript_goes_to_the_new_finding(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = two_member_finding(run)
    member = finding.citations.filter(duplicate_of=None).order_by("contribution_id").last()

    response = client.post(
        url(corpus, finding, "split", "/fr"),
        {"contributions": [member.contribution_id], "title_fr": "Autre idée"},
    )

    assert response.status_code == 302
    new = Finding.objects.get(key=f"{finding.key}-1", run=run)
    assert response["Location"] == url(corpus, new, prefix="/fr")
    html = client.get(response["Location"]).content.decode()
    assert "Les contributions choisies forment désormais ce nouveau constat." in html
    assert "<h1><bdi>Autre idée</bdi></h1>" in html
    assert f'id="c-{member.contribution_id}"' in html


def test_split_error_without_javascript_keeps_the_ticks_and_says_why(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = two_member_finding(run)
    members = list(
        finding.citations.filter(duplicate_of=None).values_list("contribution_id", flat=True)
    )

    response = client.post(
        url(corpus, finding, "split"), {"contributions": members, "title_ar": "عنوان"}
    )

    html = response.content.decode()
    assert response.status_code == 422
    assert '<html lang="ar" dir="rtl">' in html
    assert "اترك مساهمة واحدة على الأقل في هذه الخلاصة: لا يمكن للتقسيم أن يأخذها كلها." in html
    for member in members:
        assert f'name="contributions" value="{member}" checked' in html
    assert Finding.objects.filter(run=run).count() == len(run.result["findings"])


def test_split_error_with_htmx_returns_the_members_part(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = two_member_finding(run)

    response = client.post(url(corpus, finding, "split"), {"title_ar": "عنوان"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 422
    assert html.strip().startswith('<div id="members">')
    assert "اختر المساهمات التي تشكّل الخلاصة الجديدة." in html


def test_split_with_htmx_redirects_the_browser_to_the_new_finding(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    finding = two_member_finding(run)
    member = finding.citations.filter(duplicate_of=None).first().contribution_id

    response = client.post(
        url(corpus, finding, "split"),
        {"contributions": [member], "title_ar": "عنوان"},
        **HTMX,
    )

    new = Finding.objects.get(key=f"{finding.key}-1", run=run)
    assert response.status_code == 200
    assert response["HX-Redirect"] == url(corpus, new)


# -- which run ----------------------------------------------------------------------------------


def test_diagnosis_page_says_which_run_is_curated(
    corpus: Corpus, run: SynthesisRun, client: Client
) -> None:
    public = client.get(f"/en/c/{corpus.consultation.slug}/diagnosis/").content.decode()
    client.force_login(analyst_of(corpus.consultation))
    findings_merge(
        target=first_two(run)[0],
        sources=[first_two(run)[1]],
        user=analyst_of(corpus.consultation),
    )

    html = client.get(f"/en/c/{corpus.consultation.slug}/diagnosis/").content.decode()

    assert f"You are curating synthesis run #{run.pk}: 1 curation action so far." in html
    assert 'id="curated-run"' not in public


def test_a_finding_of_an_earlier_run_says_so_and_offers_no_forms(
    corpus: Corpus, run: SynthesisRun, client: Client, analyst: Any
) -> None:
    newer = run_now(corpus)
    old = run.findings.order_by("position").first()

    html = client.get(url(corpus, old, prefix="/en")).content.decode()

    assert (
        f"This finding belongs to synthesis run #{run.pk}; the diagnosis shows run "
        f"#{newer.pk}, and only its findings can be curated."
    ) in html
    assert 'id="rename-form"' not in html
    assert 'id="split-form"' not in html
