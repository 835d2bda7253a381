"""A participant's proposal followed to a measure: on top of ``world.build_world``, a
contribution by the world's participant, a finding of a succeeded synthesis run citing it
(stored as a run stores it, without running the synthesis), a published diagnosis entry on
that finding, and an adopted programme whose measure answers it with a progress update."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from tashawur.contributions.models import Channel, Contribution, Language
from tashawur.contributions.services import contribution_submit
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.diagnosis.models import (
    DiagnosisPublication,
    Finding,
    FindingContribution,
    SynthesisRun,
)
from tashawur.diagnosis.services import diagnosis_entry_create, diagnosis_publish
from tashawur.programmes.models import Measure, Programme, ProgressUpdate
from tests.programmes.factories import MeasureFactory, ProgrammeFactory

from .world import PASSWORD, World

PROPOSAL_TEXT = "إحداث شباك وحيد في كل إقليم يواكب التعاونيات نحو علامات الجودة"
FINDING_AR = "شباك وحيد لمواكبة التعاونيات"
FINDING_FR = "Un guichet unique pour accompagner les coopératives"
STATEMENT_AR = "يقترح المشاركون شباكا وحيدا في كل إقليم لمواكبة التعاونيات."
STATEMENT_FR = "Les participants proposent un guichet unique par province pour les coopératives."
MEASURE_AR = "إحداث شباك وحيد إقليمي للتعاونيات"
MEASURE_FR = "Créer un guichet unique provincial pour les coopératives"


@dataclass
class ChainWorld:
    world: World
    mine: Contribution
    run: SynthesisRun
    finding: Finding
    publication: DiagnosisPublication
    programme: Programme
    measure: Measure


def build_chain(world: World) -> ChainWorld:
    mine = contribution_submit(
        workshop=world.workshop,
        text=PROPOSAL_TEXT,
        dimension="proposal",
        channel=Channel.WEB,
        author=world.participant,
        language=Language.MSA,
    ).contribution
    now = timezone.now()
    run = SynthesisRun.objects.create(
        consultation=world.consultation,
        status=SynthesisRun.Status.SUCCEEDED,
        started_at=now,
        finished_at=now,
        result={},
    )
    finding = Finding.objects.create(
        run=run,
        key="F7",
        theme_key="T1",
        label_ar=FINDING_AR,
        label_fr=FINDING_FR,
        size=2,
        dimension="proposal",
        dimension_counts={"proposal": 2},
        position=1,
        status=Finding.Status.ACCEPTED,
    )
    FindingContribution.objects.create(
        run=run, finding=finding, contribution=mine, is_representative=True, rank=1
    )
    FindingContribution.objects.create(run=run, finding=finding, contribution=world.proposal)
    analyst = User.objects.create_user(
        username="national", password=PASSWORD, role=Role.NATIONAL_COORDINATOR
    )
    diagnosis_entry_create(
        consultation=world.consultation,
        user=analyst,
        dimension="proposal",
        statement_ar=STATEMENT_AR,
        statement_fr=STATEMENT_FR,
        finding_ids=[finding.pk],
    )
    publication = diagnosis_publish(consultation=world.consultation, user=analyst)
    programme = ProgrammeFactory(
        consultation=world.consultation,
        status=Programme.Status.ADOPTED,
        adopted_at=now,
    )
    measure = MeasureFactory(
        programme=programme,
        code="1",
        title_ar=MEASURE_AR,
        title_fr=MEASURE_FR,
        status=Measure.Status.IN_PROGRESS,
    )
    measure.findings.add(finding)
    ProgressUpdate.objects.create(measure=measure, on=dt.date(2019, 6, 1), percent=20)
    ProgressUpdate.objects.create(measure=measure, on=dt.date(2020, 6, 1), percent=45)
    return ChainWorld(
        world=world,
        mine=mine,
        run=run,
        finding=finding,
        publication=publication,
        programme=programme,
        measure=measure,
    )
