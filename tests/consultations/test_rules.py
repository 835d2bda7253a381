"""Who may do what: every rule × role × workshop state (like adhocracy-plus's rule tests)."""

import itertools

import pytest
from django.contrib.auth.models import AnonymousUser

from tashawur.consultations import rules
from tashawur.consultations.models import Consultation, Workshop
from tashawur.contributions import rules as contribution_rules
from tashawur.core.roles import Role
from tashawur.diagnosis import rules as diagnosis_rules
from tests.actors.factories import ParticipantFactory, UserFactory
from tests.consultations.factories import ConsultationFactory, WorkshopFactory

pytestmark = pytest.mark.django_db

ROLES = [*Role.values, "anonymous"]
STATES = Workshop.Status.values  # planned, open, closed
NATIONAL, REGIONAL, FACILITATOR, RAPPORTEUR, ANALYST, PARTICIPANT = (
    Role.NATIONAL_COORDINATOR,
    Role.REGIONAL_COORDINATOR,
    Role.FACILITATOR,
    Role.RAPPORTEUR,
    Role.ANALYST,
    Role.PARTICIPANT,
)


def _grid(roles, states):
    return set(itertools.product(roles, states))


# (role, state) pairs allowed; every other pair of ROLES × STATES is refused.
ALLOWED = {
    rules.can_view_workshop: _grid(ROLES, STATES),
    contribution_rules.can_contribute: _grid([PARTICIPANT], ["open"]),
    contribution_rules.can_vote: _grid([PARTICIPANT], ["open"]),
    contribution_rules.can_record_for_others: _grid([FACILITATOR, RAPPORTEUR], ["open"]),
    rules.can_open_workshop: _grid([NATIONAL, REGIONAL, FACILITATOR], ["planned"]),
    rules.can_close_workshop: _grid([NATIONAL, REGIONAL, FACILITATOR, RAPPORTEUR], ["open"]),
    contribution_rules.can_moderate: _grid([NATIONAL, REGIONAL, FACILITATOR], STATES),
    diagnosis_rules.can_run_synthesis: _grid([NATIONAL, REGIONAL, ANALYST], STATES),
}


def make_user(role, workshop):
    """A user in the role, in scope: the regional coordinator coordinates the consultation,
    the analyst is assigned to it, the facilitator and rapporteur run the workshop, the
    participant has a Participant."""
    if role == "anonymous":
        return AnonymousUser()
    user = UserFactory(role=role)
    if role == REGIONAL:
        workshop.meeting.consultation.coordinators.add(user)
    elif role == ANALYST:
        workshop.meeting.consultation.analysts.add(user)
    elif role == FACILITATOR:
        workshop.facilitator = user
        workshop.save()
    elif role == RAPPORTEUR:
        workshop.rapporteur = user
        workshop.save()
    elif role == PARTICIPANT:
        ParticipantFactory(user=user)
    return user


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule", list(ALLOWED), ids=lambda rule: rule.__name__)
def test_rule_matrix(rule, role):
    """One row of the matrix: the rule for this role in each workshop state."""
    workshop = WorkshopFactory()
    user = make_user(role, workshop)

    answers = {}
    for state in STATES:
        workshop.status = state  # the rules read the state from the object they are given
        answers[state] = rule(user, workshop)

    assert answers == {state: (role, state) in ALLOWED[rule] for state in STATES}


@pytest.mark.parametrize("role", ROLES)
def test_can_manage_consultation_matrix(role):
    workshop = WorkshopFactory()
    user = make_user(role, workshop)

    assert rules.can_manage_consultation(user, workshop.meeting.consultation) is (
        role in {NATIONAL, REGIONAL}
    )


# The consultation's diagnosis: running the synthesis, curating findings, writing.
CONSULTATION_RULES = [
    diagnosis_rules.can_run_consultation_synthesis,
    diagnosis_rules.can_curate_findings,
    diagnosis_rules.can_write_diagnosis,
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("rule", CONSULTATION_RULES, ids=lambda rule: rule.__name__)
def test_consultation_rule_matrix(rule, role):
    workshop = WorkshopFactory()
    user = make_user(role, workshop)

    assert rule(user, workshop.meeting.consultation) is (role in {NATIONAL, REGIONAL, ANALYST})


def _out_of_scope_analysts():
    """An analyst assigned nowhere and one assigned to another consultation."""
    unassigned = UserFactory(role=ANALYST)
    elsewhere = UserFactory(role=ANALYST)
    ConsultationFactory(analysts=[elsewhere])
    return {"unassigned": unassigned, "of another consultation": elsewhere}


@pytest.mark.parametrize("rule", CONSULTATION_RULES, ids=lambda rule: rule.__name__)
def test_an_analyst_acts_only_on_the_consultations_assigned_to_them(rule):
    consultation = WorkshopFactory().meeting.consultation
    analysts = _out_of_scope_analysts()

    assert {who: rule(user, consultation) for who, user in analysts.items()} == {
        "unassigned": False,
        "of another consultation": False,
    }


def test_an_analyst_out_of_scope_cannot_run_a_workshops_synthesis():
    workshop = WorkshopFactory()

    assert [
        diagnosis_rules.can_run_synthesis(u, workshop) for u in _out_of_scope_analysts().values()
    ] == [
        False,
        False,
    ]


def test_an_assignment_gives_no_scope_to_another_role():
    """Only analysts act through ``analysts``: a participant listed there (the admin offers
    only analysts) gains nothing."""
    consultation = WorkshopFactory().meeting.consultation
    participant = UserFactory(role=PARTICIPANT)
    consultation.analysts.add(participant)

    assert [rule(participant, consultation) for rule in CONSULTATION_RULES] == [False] * 3


def test_an_analyst_manages_nothing_of_the_consultation_they_analyse():
    workshop = WorkshopFactory()
    analyst = make_user(ANALYST, workshop)

    assert (
        rules.can_manage_consultation(analyst, workshop.meeting.consultation),
        contribution_rules.can_moderate(analyst, workshop),
        rules.can_close_workshop(analyst, workshop),
    ) == (False, False, False)


def test_a_facilitator_cannot_record_at_another_workshop():
    workshop = WorkshopFactory()
    make_user(FACILITATOR, WorkshopFactory())
    other_facilitator = UserFactory(role=FACILITATOR)

    assert contribution_rules.can_record_for_others(other_facilitator, workshop) is False
    assert rules.can_close_workshop(other_facilitator, workshop) is False


def test_a_regional_coordinator_manages_only_their_consultations():
    coordinator = UserFactory(role=REGIONAL)
    ConsultationFactory(coordinators=[coordinator])
    workshop = WorkshopFactory()

    assert rules.can_manage_consultation(coordinator, workshop.meeting.consultation) is False
    assert rules.can_close_workshop(coordinator, workshop) is False


def test_a_superuser_acts_as_national_coordinator():
    admin = UserFactory(role=PARTICIPANT, is_superuser=True)

    assert rules.can_open_workshop(admin, WorkshopFactory(status="planned")) is True


def test_staff_with_a_linked_participant_contribute_and_vote():
    workshop = WorkshopFactory()
    analyst = UserFactory(role=ANALYST)
    ParticipantFactory(user=analyst)

    assert (
        contribution_rules.can_contribute(analyst, workshop),
        contribution_rules.can_vote(analyst, workshop),
    ) == (
        True,
        True,
    )


def test_an_erased_participant_can_no_longer_contribute():
    user = UserFactory(role=PARTICIPANT)
    ParticipantFactory(user=user, erased_at="2024-01-01T00:00Z")

    assert contribution_rules.can_contribute(user, WorkshopFactory()) is False


def test_an_inactive_account_can_do_nothing():
    workshop = WorkshopFactory()
    user = make_user(FACILITATOR, workshop)
    user.is_active = False
    user.save()

    assert [rule(user, workshop) for rule in ALLOWED if rule is not rules.can_view_workshop] == [
        False
    ] * (len(ALLOWED) - 1)


@pytest.mark.parametrize("role", ROLES)
def test_a_draft_consultation_is_seen_only_by_those_who_run_it(role):
    workshop = WorkshopFactory(
        meeting__consultation__status=Consultation.Status.DRAFT, status="planned"
    )
    user = make_user(role, workshop)

    assert rules.can_view_workshop(user, workshop) is (
        role in {NATIONAL, REGIONAL, FACILITATOR, RAPPORTEUR}
    )
