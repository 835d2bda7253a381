"""The analyst's curation survives a new synthesis run, in a real chromium, phone-sized: the
analyst renames and accepts a finding, writes and publishes the diagnosis on it; new
contributions arrive; the analyst runs the synthesis again (confirming what will carry over);
the title, the acceptance and the entry's source are still there, and the diagnosis
republishes (issue 11, part 1)."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.translation import ngettext
from playwright.sync_api import Page, expect

from tashawur.diagnosis.models import (
    CarryOverIssue,
    DiagnosisPublication,
    Finding,
    FindingContribution,
    SynthesisRun,
)
from tests.consultations.factories import analyst_of
from tests.diagnosis.conftest import corpus_build, run_now
from tests.diagnosis.test_carry_over import contributions_add

from .conftest import assert_accessible, assert_light

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "tashawur-test"  # tests.actors.factories.UserFactory's


@pytest.fixture(autouse=True)
def lexical_embedder(settings: object) -> None:
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "lexical"  # type: ignore[attr-defined]


def test_the_curation_survives_a_new_run_and_the_diagnosis_republishes(
    live_server: object, transactional_db: object, page: Page
) -> None:
    base = live_server.url  # type: ignore[attr-defined]
    corpus = corpus_build()
    analyst = analyst_of(corpus.consultation)
    run = run_now(corpus)
    water = FindingContribution.objects.get(run=run, contribution=corpus.by_key["water-fr"]).finding
    slug = corpus.consultation.slug

    page.goto(f"{base}/login/?next=/c/{slug}/diagnosis/")
    page.locator("#id_username").fill(analyst.username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"/c/{slug}/diagnosis/$"))
    page.locator(f"#finding-{water.key} form.curate button[value=accepted]").click()
    expect(page.locator(f"#finding-{water.key} .finding-status.accepted")).to_be_visible()

    page.goto(f"{base}/c/{slug}/diagnosis/findings/{water.pk}/")
    page.locator("#rename-form #id_title_ar").fill("الماء المقطوع عن الدوار")
    page.locator("#rename-form #id_title_fr").fill("L'eau coupée au douar")
    page.locator("#rename-form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("الماء المقطوع عن الدوار")

    page.goto(f"{base}/c/{slug}/diagnosis/write/")
    page.locator("#id_dimension").select_option("challenge")
    page.locator("#id_statement_ar").fill("الماء مقطوع في الدواوير منذ أسابيع.")
    page.locator(f'#findings-picker input[value="{water.pk}"]').check()
    page.locator("#entry-form button[type=submit]").click()
    expect(page.locator("li.entry")).to_have_count(1)
    page.locator("#publish-form button[type=submit]").click()
    expect(page.locator(f'#editor a[href="/c/{slug}/diagnosis/published/"]')).to_be_visible()
    assert DiagnosisPublication.objects.count() == 1

    contributions_add(corpus, count=40)

    page.goto(f"{base}/c/{slug}/diagnosis/")
    expect(page.locator("#curated-run")).to_be_visible()
    page.locator("#run-again").click()
    expect(page).to_have_url(re.compile(rf"/c/{slug}/diagnosis/run/$"))
    preview = page.locator("#carry-over-preview")
    # One title, one accepted finding, one written entry will carry over (the catalogue's
    # wording for one, which in Arabic is a word, not a digit).
    with translation.override("ar"):
        one_title = ngettext("%(counter)s title", "%(counter)s titles", 1) % {"counter": 1}
    expect(preview).to_contain_text(one_title)
    assert page.evaluate("document.documentElement.scrollWidth") <= 412
    assert_accessible(page, context="re-run confirmation")
    assert_light(page, context="re-run confirmation")
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(rf"/c/{slug}/diagnosis/$"))
    new = SynthesisRun.objects.current_for(corpus.consultation)
    assert new is not None and new.pk != run.pk
    successor = Finding.objects.get(run=new, key=water.key)
    card = page.locator(f"#finding-{successor.key}")
    expect(card).to_contain_text("الماء المقطوع عن الدوار")
    expect(card.locator(".finding-status.accepted")).to_be_visible()
    assert_accessible(page, context="diagnosis after the new run")
    assert_light(page, context="diagnosis after the new run")

    page.goto(f"{base}/c/{slug}/diagnosis/write/")
    expect(page.locator("li.entry [role=alert]")).to_have_count(0)
    assert_accessible(page, context="editor after the new run")
    assert_light(page, context="editor after the new run")
    page.locator("#publish-form button[type=submit]").click()
    expect(page.locator("#editor p.notice[role=status]")).to_contain_text("2")
    expect(page.locator("#action-error")).to_have_count(0)
    publication = DiagnosisPublication.objects.order_by("-version").first()
    assert publication is not None and publication.version == 2
    cited = publication.snapshot["entries"][0]["findings"][0]
    assert (cited["run"], cited["label_ar"]) == (new.pk, "الماء المقطوع عن الدوار")

    # A decision left by a carry-over shows on both pages, and is taken without JavaScript.
    other = run.findings.exclude(pk=water.pk).order_by("position").first()
    assert other is not None
    CarryOverIssue.objects.create(
        run=new,
        old_finding=other,
        old_finding_key=other.key,
        kind=CarryOverIssue.Kind.VANISHED,
        details={
            "events": [],
            "titles": {"ar": "عنوان قديم", "fr": ""},
            "status": "accepted",
            "candidates": [{"id": successor.pk, "overlap": 1}],
        },
    )
    page.goto(f"{base}/c/{slug}/diagnosis/")
    expect(page.locator("#carry-over")).to_contain_text(other.key)
    assert page.evaluate("document.documentElement.scrollWidth") <= 412
    assert_accessible(page, context="diagnosis with a decision to take")
    page.goto(f"{base}/c/{slug}/diagnosis/write/")
    expect(page.locator("#carry-over")).to_contain_text(other.key)
    assert_accessible(page, context="editor with a decision to take")
    target = new.findings.exclude(pk=successor.pk).exclude(status="merged").order_by("position")[0]
    page.locator("#carry-over select").select_option(str(target.pk))
    page.locator("#carry-over button[value=pick]").click()
    expect(page).to_have_url(re.compile(rf"/c/{slug}/diagnosis/write/#carry-over$"))
    expect(page.locator("#carry-over")).to_have_count(0)
    target.refresh_from_db()
    assert (target.title_override_ar, target.status) == ("عنوان قديم", "accepted")
