"""The demo's written diagnosis, curated and published by the demo's analyst.

``demo_diagnosis_publish()`` does what an analyst would do on the diagnosis pages, through the
same services: accept the findings of the run the diagnosis shows that are mostly about one demo
idea (``demo.ideas``), title each of them with what participants said — a representative quote
in Arabic (Modern Standard first) and one in French, word for word, as an analyst picking a
heading from the finding's own contributions would (key-phrase labels read poorly as
statements) —, propose one entry per accepted finding (its statement that title: nothing
written for it), and publish version 1. Once a version is published it writes
nothing: a second start neither adds entries nor publishes version 2, and what an analyst did
in the running demo stays as it is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from importlib.abc import Traversable
from pathlib import Path

from django.db import transaction
from django.utils import translation

from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.demo.files import DemoDataError
from tashawur.demo.ideas import FindingIdeas, demo_findings_ideas
from tashawur.diagnosis.models import (
    Diagnosis,
    DiagnosisDimension,
    Finding,
    FindingContribution,
    SynthesisRun,
)
from tashawur.diagnosis.services import (
    diagnosis_entries_propose,
    diagnosis_entry_update,
    diagnosis_publish,
    finding_rename,
    finding_status_set,
)

#: The demo's analyst, who curates the findings and writes the diagnosis.
ANALYST = "analyst"
#: The longest quote taken as a finding's title (the rename service allows 300 characters).
TITLE_MAX = 300
#: The languages whose texts may title a finding in Arabic, in order of preference.
ARABIC_TITLE_LANGUAGES = ("ar", "ary")


def demo_finding_titles(
    finding: Finding, *, among: Collection[int] | None = None
) -> tuple[str, str]:
    """An Arabic and a French title for ``finding``, each a member's text word for word: its
    representative quotes first (by rank), then its other members, shortest first; in Arabic a
    Modern Standard text before a Darija one, in French a French text before a Tifinagh text's
    recorded French translation. Either may be empty when no member fits.

    ``among``: the contributions (ids) a title may be taken from. The demo passes those of the
    finding's main idea, so that the Arabic and the French title say the same thing (a finding
    also holds a few contributions about other ideas)."""
    citations = FindingContribution.objects.filter(finding=finding, duplicate_of__isnull=True)
    if among is not None:
        citations = citations.filter(contribution_id__in=list(among))
    members = sorted(
        citations.select_related("contribution").only(
            "is_representative",
            "rank",
            "contribution__text",
            "contribution__language",
            "contribution__translation_fr",
        ),
        key=lambda m: (not m.is_representative, m.rank or 0, len(m.contribution.text)),
    )
    arabic = ""
    for language in ARABIC_TITLE_LANGUAGES:
        arabic = next(
            (
                m.contribution.text
                for m in members
                if m.contribution.language == language and len(m.contribution.text) <= TITLE_MAX
            ),
            "",
        )
        if arabic:
            break
    french = next(
        (
            m.contribution.text
            for m in members
            if m.contribution.language == "fr" and len(m.contribution.text) <= TITLE_MAX
        ),
        "",
    ) or next(
        (
            m.contribution.translation_fr
            for m in members
            if m.contribution.translation_fr and len(m.contribution.translation_fr) <= TITLE_MAX
        ),
        "",
    )
    return arabic, french


@dataclass(frozen=True)
class DemoDiagnosis:
    version: int
    #: Entries per dimension, in the diagnosis's order.
    entries: dict[str, int]
    #: Findings accepted by this call (none when the diagnosis was published before).
    accepted: int = 0

    def __str__(self) -> str:
        counts = ", ".join(f"{dimension} {n}" for dimension, n in self.entries.items())
        return f"version {self.version}, {sum(self.entries.values())} entries ({counts})"


def _entry_counts(diagnosis: Diagnosis) -> dict[str, int]:
    counts = Counter(diagnosis.entries.values_list("dimension", flat=True))
    return {dimension: counts[dimension] for dimension in DiagnosisDimension.values}


@transaction.atomic
def demo_diagnosis_publish(
    *, run: SynthesisRun, analyst: User | None = None, data_dir: Traversable | Path | None = None
) -> DemoDiagnosis:
    """Curate the findings of ``run`` (the latest succeeded run of the demo consultation), write
    the diagnosis from the accepted ones and publish it, unless a version is published already.

    Raises ``DemoDataError`` naming what is missing, with nothing stored, when no finding is
    mostly about one idea or a service refuses (``DomainError`` is its cause).
    """
    consultation = run.consultation
    published = Diagnosis.objects.filter(consultation=consultation, version__gte=1).first()
    if published is not None:
        return DemoDiagnosis(version=published.version, entries=_entry_counts(published))
    analyst = analyst or User.objects.get(username=ANALYST)
    found = demo_findings_ideas(run=run, data_dir=data_dir)
    mostly = [held for held in found.values() if held.main_idea is not None]
    if not mostly:
        raise DemoDataError(
            f"no finding of synthesis run #{run.pk} is mostly about one demo idea: "
            "nothing to write the diagnosis from"
        )
    # The demo's own errors are in English, as is all it prints: so are the services' refusals.
    with translation.override("en"):
        return _curate_write_publish(run, analyst, mostly)


def _same_idea(finding: Finding, held: FindingIdeas) -> bool:
    """Whether the finding's computed Arabic and French titles come from members of one demo
    idea (``title_sources``: the contributions they were taken from)."""
    idea_of = {pk: idea for idea, members in held.members.items() for pk in members}
    sources = finding.title_sources or {}
    ar, fr = sources.get("ar"), sources.get("fr")
    if not ar or not fr:
        return True  # one language only: nothing to tell apart
    return idea_of.get(int(ar)) is not None and idea_of.get(int(ar)) == idea_of.get(int(fr))


def _curate_write_publish(
    run: SynthesisRun, analyst: User, mostly: list[FindingIdeas]
) -> DemoDiagnosis:
    consultation = run.consultation
    try:
        accepted = 0
        #: Findings titled in one language only: the other language's computed title comes
        #: from another idea's member, so the analyst leaves that statement empty.
        one_sided: dict[int, tuple[bool, bool]] = {}
        for held in mostly:
            finding = held.finding
            if finding.status != Finding.Status.ACCEPTED:
                finding_status_set(finding=finding, user=analyst, status=Finding.Status.ACCEPTED)
                accepted += 1
            # Titled from its main idea's words, so that both languages say the same thing;
            # when none of them fits, from any of its members (one language, most often).
            title_ar, title_fr = demo_finding_titles(
                finding, among=held.members[str(held.main_idea)]
            )
            if not title_ar and not title_fr:
                title_ar, title_fr = demo_finding_titles(finding)
            if bool(title_ar) != bool(title_fr):
                one_sided[finding.pk] = (bool(title_ar), bool(title_fr))
            elif not title_ar and not _same_idea(finding, held):
                # Its computed titles (in its members' words) come from two ideas: the analyst
                # keeps the Arabic one.
                one_sided[finding.pk] = (True, False)
            if title_ar or title_fr:
                finding_rename(
                    finding=finding,
                    user=analyst,
                    title_ar=title_ar or None,
                    title_fr=title_fr or None,
                )
        for entry in diagnosis_entries_propose(consultation=consultation, user=analyst):
            sources = list(entry.findings.values_list("pk", flat=True))
            if len(sources) != 1 or sources[0] not in one_sided:
                continue
            keep_ar, keep_fr = one_sided[sources[0]]
            diagnosis_entry_update(
                entry=entry,
                user=analyst,
                dimension=entry.dimension,
                statement_ar=entry.statement_ar if keep_ar else "",
                statement_fr=entry.statement_fr if keep_fr else "",
                finding_ids=sources,
            )
        publication = diagnosis_publish(consultation=consultation, user=analyst)
    except DomainError as error:
        raise DemoDataError(str(error.message)) from error
    return DemoDiagnosis(
        version=publication.version,
        entries=_entry_counts(publication.diagnosis),
        accepted=accepted,
    )
