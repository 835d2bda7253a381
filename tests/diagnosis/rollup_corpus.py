"""A strategy consulted in three regions, for the national roll-up: the water challenge said in
Souss-Massa and in Tanger-Tétouan-Al Hoceïma, the school challenge only in Souss-Massa, the
doctor proposal only in Tanger, and the jobs proposal only in Fès-Meknès. Each idea is said by
eight authors of its region: six in the same MSA words, one in Darija, one in French."""

from __future__ import annotations

from dataclasses import dataclass, field

from tashawur.consultations.models import Consultation, Dimension, Strategy
from tashawur.contributions.models import Contribution
from tests.actors.factories import ParticipantFactory
from tests.consultations.factories import (
    ConsultationFactory,
    MeetingFactory,
    StrategyFactory,
    WorkshopFactory,
)
from tests.contributions.factories import ContributionFactory
from tests.synthesis.corpus import IDEAS
from tests.territories.factories import RegionFactory

DIMENSIONS = {
    "water": Dimension.CHALLENGE,
    "school": Dimension.CHALLENGE,
    "doctor": Dimension.PROPOSAL,
    "jobs": Dimension.PROPOSAL,
}
#: Region code → (Arabic name, French name, population, ideas said there).
REGIONS = {
    "01": ("طنجة-تطوان-الحسيمة", "Tanger-Tétouan-Al Hoceïma", 4_030_222, ("water", "doctor")),
    "03": ("فاس-مكناس", "Fès-Meknès", 4_467_911, ("jobs",)),
    "09": ("سوس-ماسة", "Souss-Massa", 3_020_431, ("water", "school")),
}
#: A consultation still in draft: its contributions stay out of the roll-up.
DRAFT_REGION = ("05", "بني ملال-خنيفرة", "Béni Mellal-Khénifra", 2_525_801)


@dataclass
class RollupCorpus:
    strategy: Strategy
    consultations: dict[str, Consultation]
    # (region code, idea) → its contributions
    said: dict[tuple[str, str], list[Contribution]] = field(default_factory=dict)
    draft_contribution: Contribution | None = None


def rollup_corpus_build() -> RollupCorpus:
    strategy = StrategyFactory(slug="ess-2030")
    corpus = RollupCorpus(strategy=strategy, consultations={})
    # The regions first: the factories of meetings and authors get or create region 09 too.
    regions = {
        code: RegionFactory(code=code, name_ar=name_ar, name_fr=name_fr, population=population)
        for code, (name_ar, name_fr, population, _ideas) in REGIONS.items()
    }
    for code, (_name_ar, name_fr, _population, ideas) in REGIONS.items():
        region = regions[code]
        consultation = ConsultationFactory(
            strategy=strategy, region=region, slug=f"ess-{code}", title_fr=f"ESS {name_fr}"
        )
        corpus.consultations[code] = consultation
        workshop = WorkshopFactory(meeting=MeetingFactory(consultation=consultation))
        for idea in ideas:
            said = []
            for language in ("ar",) * 6 + ("ary", "fr"):
                said.append(
                    ContributionFactory(
                        workshop=workshop,
                        text=IDEAS[idea][language],
                        language=language,
                        dimension=DIMENSIONS[idea],
                        author=ParticipantFactory(display_name=f"Personne {code} {idea}"),
                    )
                )
            corpus.said[(code, idea)] = said
    code, name_ar, name_fr, population = DRAFT_REGION
    draft = ConsultationFactory(
        strategy=strategy,
        region=RegionFactory(code=code, name_ar=name_ar, name_fr=name_fr, population=population),
        slug=f"ess-{code}",
        status=Consultation.Status.DRAFT,
    )
    corpus.draft_contribution = ContributionFactory(
        workshop=WorkshopFactory(meeting=MeetingFactory(consultation=draft)),
        text=IDEAS["water"]["ar"],
        language="ar",
        dimension=Dimension.CHALLENGE,
    )
    return corpus
