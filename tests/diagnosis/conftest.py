"""A small multilingual consultation to synthesise: four ideas said in MSA, Darija and French
(and one in Tifinagh with its translation), an exact copy, a contribution awaiting moderation,
a rejected one, and two camps of voters on the proposals."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from django.utils import translation

from tashawur.actors.models import Participant
from tashawur.consultations.models import Consultation, Dimension, Workshop
from tashawur.contributions.models import Contribution, ModerationStatus, Vote
from tashawur.diagnosis.models import SynthesisRun
from tashawur.diagnosis.services import synthesis_run_execute
from tests.actors.factories import ActorTypeFactory, OrganisationFactory, ParticipantFactory
from tests.consultations.factories import MeetingFactory, WorkshopFactory
from tests.contributions.factories import ContributionFactory, VoteFactory
from tests.synthesis.corpus import IDEAS

LANGUAGES = ("ar", "ary", "fr")
DIMENSIONS = {
    "water": Dimension.CHALLENGE,
    "school": Dimension.CHALLENGE,
    "doctor": Dimension.PROPOSAL,
    "jobs": Dimension.PROPOSAL,
}


@dataclass
class Corpus:
    consultation: Consultation
    workshops: list[Workshop]
    by_key: dict[str, Contribution]
    copy: Contribution  # an exact copy of by_key["water-ar"]
    pending: Contribution
    rejected: Contribution
    voters: list[Participant] = field(default_factory=list)

    @property
    def published(self) -> set[int]:
        return {c.pk for c in self.by_key.values()} | {self.copy.pk}


@pytest.fixture(autouse=True)
def language_kept():
    """A request to /en/ or /fr/ leaves its language active in the thread: put back the one
    before, so that a later test's ``reverse`` does not get a prefix."""
    language = translation.get_language()
    yield
    translation.activate(language)


@pytest.fixture(autouse=True)
def lexical_embedder(settings):
    """The fast character TF-IDF embedder; one test opts into the default (USE)."""
    settings.TASHAWUR_SYNTHESIS_EMBEDDER = "lexical"


def corpus_build() -> Corpus:
    meeting = MeetingFactory()
    workshops = [WorkshopFactory(meeting=meeting), WorkshopFactory(meeting=meeting)]
    cooperative = ActorTypeFactory(slug="cooperative", label_ar="تعاونية", label_fr="Coopérative")
    association = ActorTypeFactory(slug="association", label_ar="جمعية", label_fr="Association")
    by_key: dict[str, Contribution] = {}
    for n, (idea, texts) in enumerate(IDEAS.items()):
        for k, language in enumerate(LANGUAGES):
            author = ParticipantFactory()
            author.organisations.add(
                OrganisationFactory(actor_type=cooperative if k % 2 else association)
            )
            by_key[f"{idea}-{language}"] = ContributionFactory(
                workshop=workshops[n % 2],
                text=texts[language],
                language=language,
                dimension=DIMENSIONS[idea],
                author=author,
            )
    by_key["water-zgh"] = ContributionFactory(
        workshop=workshops[0],
        text=IDEAS["water"]["zgh"],
        translation_fr=IDEAS["water"]["fr"],
        language="zgh",
        dimension=Dimension.CHALLENGE,
    )
    copy = ContributionFactory(
        workshop=workshops[0],
        text=IDEAS["water"]["ar"],
        language="ar",
        dimension=Dimension.CHALLENGE,
    )
    pending = ContributionFactory(
        workshop=workshops[1],
        text="اقتراح ينتظر المراجعة حول تسويق منتجات التعاونيات",
        moderation_status=ModerationStatus.PENDING,
    )
    rejected = ContributionFactory(
        workshop=workshops[1],
        text="نص مرفوض لا علاقة له بالموضوع",
        moderation_status=ModerationStatus.REJECTED,
    )
    return Corpus(
        consultation=meeting.consultation,
        workshops=workshops,
        by_key=by_key,
        copy=copy,
        pending=pending,
        rejected=rejected,
    )


def votes_cast(corpus: Corpus, *, per_camp: int = 5) -> None:
    """Two camps: one agrees with the doctor proposals and not the jobs ones, the other the
    reverse; everyone votes on every proposal."""
    for camp in (1, -1):
        for _ in range(per_camp):
            voter = ParticipantFactory()
            corpus.voters.append(voter)
            for language in LANGUAGES:
                VoteFactory(
                    participant=voter,
                    contribution=corpus.by_key[f"doctor-{language}"],
                    value=Vote.Value.AGREE if camp == 1 else Vote.Value.DISAGREE,
                )
                VoteFactory(
                    participant=voter,
                    contribution=corpus.by_key[f"jobs-{language}"],
                    value=Vote.Value.DISAGREE if camp == 1 else Vote.Value.AGREE,
                )


@pytest.fixture
def corpus(db) -> Corpus:
    return corpus_build()


#: The header HTMX sends with its requests.
HTMX = {"HTTP_HX_REQUEST": "true"}


def run_execute(corpus: Corpus) -> SynthesisRun:
    """Request a synthesis run of the corpus's consultation and execute it now (whatever its
    outcome)."""
    run = SynthesisRun.objects.create(consultation=corpus.consultation)
    done = synthesis_run_execute(run_id=run.pk)
    assert done is not None
    return done


def run_now(corpus: Corpus) -> SynthesisRun:
    """A synthesis run of the corpus, executed now, that succeeded."""
    done = run_execute(corpus)
    assert done.status == SynthesisRun.Status.SUCCEEDED
    return done


@pytest.fixture
def run(corpus: Corpus) -> SynthesisRun:
    return run_now(corpus)
