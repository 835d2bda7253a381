import pytest
from django.db import IntegrityError, transaction
from django.utils import translation

from tashawur.actors.models import Consent
from tashawur.actors.services import consent_record
from tashawur.consultations.models import Attendance, Dimension, Registration, Workshop
from tashawur.contributions.models import (
    TEXT_MAX_LENGTH,
    Channel,
    Contribution,
    Language,
    ModerationStatus,
    Vote,
)
from tashawur.contributions.services import (
    contribution_moderate,
    contribution_submit,
    submissions,
    vote_cast,
)
from tashawur.core.errors import DomainError
from tests.actors.factories import ConsentTextFactory, ParticipantFactory, UserFactory
from tests.consultations.factories import MeetingFactory, ThemeFactory, WorkshopFactory
from tests.contributions.factories import ContributionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def consent_text():
    return ConsentTextFactory()


@pytest.fixture
def workshop():
    return WorkshopFactory()


@pytest.fixture
def author():
    return ParticipantFactory(consented=True)


def submit(workshop, author, **overrides):
    kwargs = {
        "workshop": workshop,
        "text": "نقترح شباكا موحدا للتعاونيات",
        "dimension": Dimension.PROPOSAL,
        "channel": Channel.WEB,
        "author": author,
        "language": Language.MSA,
    }
    kwargs.update(overrides)
    return contribution_submit(**kwargs)


def at_the_table(workshop, **kwargs):
    """A participant on the workshop's roster, as a facilitator may name them."""
    participant = ParticipantFactory(**kwargs)
    Attendance.objects.create(workshop=workshop, participant=participant)
    return participant


def assert_rejected(code, message, call, *args, **kwargs):
    with pytest.raises(DomainError) as caught:
        call(*args, **kwargs)
    assert (caught.value.code, caught.value.message) == (code, message)
    return caught.value


# --- contribution_submit: what is stored -------------------------------------------------------


def test_contribution_submit_stores_the_cleaned_text_in_the_workshop(workshop, author):
    submission = submit(workshop, author, text="  نقترح   شباكا\u00a0موحدا \r\n")

    contribution = Contribution.objects.get()
    assert submission.created is True
    assert submission.contribution == contribution
    assert contribution.text == "نقترح شباكا موحدا"
    assert contribution.consultation_id == workshop.meeting.consultation_id
    assert contribution.theme_id == workshop.theme_id
    assert contribution.moderation_status == ModerationStatus.PUBLISHED


def test_contribution_submit_accepts_a_subtheme_of_the_workshop_theme(workshop, author):
    subtheme = ThemeFactory(parent=workshop.theme)

    submission = submit(workshop, author, theme=subtheme)

    assert submission.contribution.theme == subtheme


def test_contribution_submit_rejects_a_theme_from_elsewhere(workshop, author):
    assert_rejected(
        "theme_invalid",
        "This theme is not the workshop's theme or one of its sub-themes.",
        submit,
        workshop,
        author,
        theme=ThemeFactory(),
    )


def test_contribution_submit_accepts_text_of_exactly_the_maximum_length(workshop, author):
    submission = submit(workshop, author, text="أ" * TEXT_MAX_LENGTH)

    assert len(submission.contribution.text) == TEXT_MAX_LENGTH


# --- contribution_submit: bad input stores nothing ---------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t \u00a0\n"])
def test_contribution_submit_rejects_empty_text(workshop, author, text):
    error = assert_rejected(
        "text_empty",
        "The contribution is empty: write or record something first.",
        submit,
        workshop,
        author,
        text=text,
    )
    assert error.field == "text"
    assert Contribution.objects.count() == 0


def test_contribution_submit_rejects_over_long_text(workshop, author):
    assert_rejected(
        "text_too_long",
        f"The text is too long: {TEXT_MAX_LENGTH + 1} characters, at most {TEXT_MAX_LENGTH}.",
        submit,
        workshop,
        author,
        text="ب" * (TEXT_MAX_LENGTH + 1),
    )
    assert Contribution.objects.count() == 0


@pytest.mark.parametrize("control", ["\u202e", "\u202b", "\u2067", "\u2069"])
def test_contribution_submit_rejects_bidi_controls(workshop, author, control):
    assert_rejected(
        "text_bidi_controls",
        "The text contains invisible direction-control characters (such as U+202E) that can "
        "disguise what it says; remove them and send it again.",
        submit,
        workshop,
        author,
        text=f"نقترح {control}gnissim",
    )
    assert Contribution.objects.count() == 0


def test_contribution_submit_rejects_bidi_controls_in_the_translation(workshop, author):
    error = assert_rejected(
        "text_bidi_controls",
        "The text contains invisible direction-control characters (such as U+202E) that can "
        "disguise what it says; remove them and send it again.",
        submit,
        workshop,
        author,
        translation_fr="Nous \u202eproposons",
    )
    assert error.field == "translation_fr"


def test_contribution_submit_keeps_plain_direction_marks(workshop, author):
    submission = submit(workshop, author, text="نقترح \u200fINDH\u200f للتعاونيات")

    assert "\u200f" in submission.contribution.text


def test_contribution_submit_rejects_a_closed_workshop(author):
    workshop = WorkshopFactory(status=Workshop.Status.CLOSED)

    assert_rejected(
        "workshop_not_open",
        "This workshop is closed: it no longer takes contributions or votes.",
        submit,
        workshop,
        author,
    )
    assert Contribution.objects.count() == 0


def test_contribution_submit_rejects_a_planned_workshop(author):
    workshop = WorkshopFactory(status=Workshop.Status.PLANNED)

    assert_rejected(
        "workshop_not_open", "This workshop has not opened yet.", submit, workshop, author
    )


def test_contribution_submit_rejects_an_unknown_dimension(workshop, author):
    assert_rejected(
        "dimension_invalid",
        "“wish” is not a dimension of the diagnosis.",
        submit,
        workshop,
        author,
        dimension="wish",
    )


def test_contribution_submit_rejects_an_unknown_channel(workshop, author):
    assert_rejected(
        "channel_invalid", "“fax” is not a channel.", submit, workshop, author, channel="fax"
    )


def test_contribution_submit_rejects_an_unknown_language(workshop, author):
    assert_rejected(
        "language_invalid",
        "“xx” is not a language code this platform knows.",
        submit,
        workshop,
        author,
        language="xx",
    )


@pytest.mark.parametrize("key", ["with space", "k" * 65, "-leading-hyphen", "clé"])
def test_contribution_submit_rejects_a_malformed_idempotency_key(workshop, author, key):
    assert_rejected(
        "idempotency_key_invalid",
        "The idempotency key must be 1 to 64 letters, digits, dots, colons, hyphens or "
        "underscores.",
        submit,
        workshop,
        author,
        idempotency_key=key,
    )


# --- contribution_submit: idempotency ----------------------------------------------------------


def test_contribution_submit_replayed_key_returns_the_first_and_stores_nothing(workshop, author):
    first = submit(workshop, author, idempotency_key="offline-7f3a")

    replay = submit(workshop, author, text="نص مختلف", idempotency_key="offline-7f3a")

    assert replay.created is False
    assert replay.contribution == first.contribution
    assert list(Contribution.objects.values_list("text", flat=True)) == [
        "نقترح شباكا موحدا للتعاونيات"
    ]


def test_contribution_submit_replay_after_the_workshop_closed_returns_the_first(workshop, author):
    first = submit(workshop, author, idempotency_key="offline-7f3b")
    Workshop.objects.filter(pk=workshop.pk).update(status="closed", closed_at="2018-08-04T16:00Z")

    replay = submit(workshop, author, idempotency_key="offline-7f3b")

    assert (replay.created, replay.contribution) == (False, first.contribution)


def test_contribution_submit_rejects_a_key_reused_for_another_workshop(workshop, author):
    submit(workshop, author, idempotency_key="offline-7f3c")

    assert_rejected(
        "idempotency_key_conflict",
        "This idempotency key was already used for another workshop.",
        submit,
        WorkshopFactory(),
        author,
        idempotency_key="offline-7f3c",
    )
    assert Contribution.objects.count() == 1


def test_contribution_submit_another_authors_key_stores_their_own_contribution(workshop, author):
    """A key belongs to its sender: B reusing A's key is told nothing of A's and keeps B's text."""
    first = submit(workshop, author, idempotency_key="offline-7f3d")
    other = ParticipantFactory(consented=True)

    second = submit(workshop, other, text="نقترح تكوينا للنساء", idempotency_key="offline-7f3d")

    assert second.created is True
    assert second.contribution != first.contribution
    assert sorted(Contribution.objects.values_list("author_id", "text")) == sorted(
        [(author.pk, "نقترح شباكا موحدا للتعاونيات"), (other.pk, "نقترح تكوينا للنساء")]
    )


def test_contribution_submit_another_authors_key_at_another_workshop_is_not_a_conflict(
    workshop, author
):
    submit(workshop, author, idempotency_key="offline-7f3e")

    elsewhere = submit(
        WorkshopFactory(), ParticipantFactory(consented=True), idempotency_key="offline-7f3e"
    )

    assert elsewhere.created is True
    assert Contribution.objects.count() == 2


def test_contribution_submit_keys_of_a_recorder_are_theirs_not_the_speakers(workshop, author):
    """On the facilitator channel the recorder sends the request: their replay is answered from
    their own contributions; the speaker's own key, and another recorder's, are others'."""
    facilitator, colleague = UserFactory(role="facilitator"), UserFactory(role="facilitator")
    speaker = at_the_table(workshop, consented=True)
    by_speaker = submit(workshop, speaker, idempotency_key="tab-1", text="قالها المتحدث")
    recorded = {"channel": Channel.FACILITATOR, "idempotency_key": "tab-1"}

    first = submit(workshop, speaker, recorded_by=facilitator, **recorded)
    replay = submit(workshop, None, recorded_by=facilitator, text="نص آخر", **recorded)
    colleagues = submit(workshop, speaker, recorded_by=colleague, **recorded)

    assert (first.created, replay.created, colleagues.created) == (True, False, True)
    assert replay.contribution == first.contribution
    assert len({by_speaker.contribution.pk, first.contribution.pk, colleagues.contribution.pk}) == 3
    assert Contribution.objects.count() == 3


def test_contribution_keys_are_unique_per_sender_in_the_database(workshop, author):
    """The constraints, not only the service: one key per author (when nobody recorded it)
    and one per recorder; the same key for two senders is allowed."""
    facilitator = UserFactory(role="facilitator")
    ContributionFactory(workshop=workshop, author=author, idempotency_key="k-1")
    ContributionFactory(workshop=workshop, author=ParticipantFactory(), idempotency_key="k-1")
    ContributionFactory(
        workshop=workshop, author=author, recorded_by=facilitator, idempotency_key="k-1"
    )

    with pytest.raises(IntegrityError), transaction.atomic():
        ContributionFactory(workshop=WorkshopFactory(), author=author, idempotency_key="k-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        ContributionFactory(author=None, recorded_by=facilitator, idempotency_key="k-1")

    assert Contribution.objects.count() == 3


# --- contribution_submit: authors, channels and consent ----------------------------------------


def test_contribution_submit_on_the_web_needs_an_author(workshop):
    assert_rejected(
        "author_required", "Sign in as a participant to contribute.", submit, workshop, None
    )


def test_contribution_submit_on_the_web_needs_participation_consent(workshop):
    assert_rejected(
        "consent_required",
        "Before contributing, please accept the participation terms (consent to take part "
        "and to publish your contributions).",
        submit,
        workshop,
        ParticipantFactory(),
    )
    assert Contribution.objects.count() == 0


def test_contribution_submit_refuses_an_author_whose_consent_was_withdrawn(workshop, author):
    consent_record(participant=author, granted=False, method=Consent.Method.WEB)

    assert_rejected(
        "consent_required",
        "Before contributing, please accept the participation terms (consent to take part "
        "and to publish your contributions).",
        submit,
        workshop,
        author,
    )


def test_contribution_submit_by_a_facilitator_needs_the_recorder(workshop):
    assert_rejected(
        "recorder_required",
        "A contribution captured by a facilitator must say who recorded it.",
        submit,
        workshop,
        None,
        channel=Channel.FACILITATOR,
    )


def test_contribution_submit_by_a_facilitator_records_the_authors_oral_consent(workshop):
    facilitator = UserFactory(role="facilitator")
    speaker = at_the_table(workshop, reads=False)

    submit(workshop, speaker, channel=Channel.FACILITATOR, recorded_by=facilitator)

    consent = Consent.objects.get(participant=speaker)
    assert (consent.granted, consent.method, consent.recorded_by) == (
        True,
        Consent.Method.ORAL,
        facilitator,
    )
    contribution = Contribution.objects.get()
    assert (contribution.author, contribution.recorded_by, contribution.channel) == (
        speaker,
        facilitator,
        Channel.FACILITATOR,
    )


def test_contribution_submit_by_a_facilitator_respects_a_declined_consent(workshop):
    facilitator = UserFactory(role="facilitator")
    speaker = at_the_table(workshop, reads=False)
    consent_record(participant=speaker, granted=False, method=Consent.Method.PAPER)

    error = assert_rejected(
        "consent_declined",
        "This participant declined to take part: their words cannot be recorded unless they "
        "give their consent.",
        submit,
        workshop,
        speaker,
        channel=Channel.FACILITATOR,
        recorded_by=facilitator,
    )
    assert error.field == "author"
    assert Contribution.objects.count() == 0
    assert list(Consent.objects.values_list("granted", flat=True)) == [False]


def test_contribution_submit_by_a_facilitator_for_nobody_in_particular(workshop):
    facilitator = UserFactory(role="facilitator")

    submission = submit(workshop, None, channel=Channel.FACILITATOR, recorded_by=facilitator)

    assert (submission.contribution.author, submission.contribution.recorded_by) == (
        None,
        facilitator,
    )


def test_contribution_submit_by_a_facilitator_names_someone_registered_for_the_meeting(workshop):
    facilitator = UserFactory(role="facilitator")
    speaker = ParticipantFactory()
    Registration.objects.create(meeting=workshop.meeting, participant=speaker)

    submission = submit(workshop, speaker, channel=Channel.FACILITATOR, recorded_by=facilitator)

    assert (submission.contribution.author, submission.contribution.recorded_by) == (
        speaker,
        facilitator,
    )


def test_contribution_submit_by_a_facilitator_refuses_someone_not_at_the_workshop_in_arabic(
    workshop,
):
    facilitator = UserFactory(role="facilitator")
    stranger = ParticipantFactory()
    # At the next table of the same meeting, and registered for another meeting: neither counts.
    Attendance.objects.create(
        workshop=WorkshopFactory(meeting=workshop.meeting), participant=stranger
    )
    Registration.objects.create(meeting=MeetingFactory(), participant=stranger)

    with translation.override("ar"):
        error = assert_rejected(
            "author_not_at_workshop",
            "هذا المشارك ليس حاضرًا في هذه المائدة المستديرة ولا مسجّلًا في لقائها: "
            "لا يمكن تسجيل كلامه هنا.",
            submit,
            workshop,
            stranger,
            channel=Channel.FACILITATOR,
            recorded_by=facilitator,
        )
    assert error.field == "author"
    assert Contribution.objects.count() == 0
    assert Consent.objects.filter(participant=stranger).count() == 0


def test_contribution_submit_by_a_facilitator_refuses_a_cancelled_registration(workshop):
    facilitator = UserFactory(role="facilitator")
    speaker = ParticipantFactory()
    Registration.objects.create(
        meeting=workshop.meeting, participant=speaker, status=Registration.Status.CANCELLED
    )

    assert_rejected(
        "author_not_at_workshop",
        "This participant is neither at this round table nor registered for its meeting: "
        "their words cannot be recorded here.",
        submit,
        workshop,
        speaker,
        channel=Channel.FACILITATOR,
        recorded_by=facilitator,
    )


def test_contribution_submit_by_a_facilitator_refuses_an_erased_attendee(workshop):
    facilitator = UserFactory(role="facilitator")
    speaker = at_the_table(workshop, erased_at="2024-01-01T00:00Z")

    error = assert_rejected(
        "participant_erased",
        "This participant's data has been erased.",
        submit,
        workshop,
        speaker,
        channel=Channel.FACILITATOR,
        recorded_by=facilitator,
    )
    assert error.field == "author"
    assert Contribution.objects.count() == 0


def test_contribution_submit_crash_after_the_oral_consent_leaves_nothing(workshop, monkeypatch):
    facilitator = UserFactory(role="facilitator")
    speaker = at_the_table(workshop, reads=False)

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(submissions._contribution_insert, "insert", crash)
    with pytest.raises(RuntimeError):
        submit(workshop, speaker, channel=Channel.FACILITATOR, recorded_by=facilitator)

    assert Consent.objects.filter(participant=speaker).count() == 0
    assert Contribution.objects.count() == 0


def test_contribution_submit_rejects_an_erased_author(workshop, author):
    author.erased_at = "2024-01-01T00:00Z"
    author.save()

    assert_rejected(
        "participant_erased", "This participant's data has been erased.", submit, workshop, author
    )


# --- vote_cast ---------------------------------------------------------------------------------


@pytest.fixture
def proposal():
    return ContributionFactory()


def counters(contribution):
    contribution.refresh_from_db()
    return contribution.agree_count, contribution.disagree_count, contribution.pass_count


def test_vote_cast_records_a_first_vote_and_moves_the_counter(proposal):
    voter = ParticipantFactory()

    ballot = vote_cast(contribution=proposal, participant=voter, value=Vote.Value.AGREE)

    assert (ballot.created, ballot.previous_value, ballot.vote.value) == (True, None, 1)
    assert counters(proposal) == (1, 0, 0)


def test_vote_cast_second_vote_replaces_the_first(proposal):
    voter = ParticipantFactory()
    vote_cast(contribution=proposal, participant=voter, value=Vote.Value.AGREE)

    ballot = vote_cast(contribution=proposal, participant=voter, value=Vote.Value.DISAGREE)

    assert (ballot.created, ballot.previous_value, ballot.vote.value) == (False, 1, -1)
    assert list(Vote.objects.values_list("participant", "value")) == [(voter.pk, -1)]
    assert counters(proposal) == (0, 1, 0)


def test_vote_cast_same_vote_twice_changes_nothing(proposal):
    voter = ParticipantFactory()
    vote_cast(contribution=proposal, participant=voter, value=Vote.Value.PASS)

    ballot = vote_cast(contribution=proposal, participant=voter, value=Vote.Value.PASS)

    assert (ballot.created, ballot.previous_value) == (False, 0)
    assert counters(proposal) == (0, 0, 1)


def test_vote_cast_counts_each_participant(proposal):
    for value in (1, 1, -1, 0, 1):
        vote_cast(contribution=proposal, participant=ParticipantFactory(), value=value)

    assert counters(proposal) == (3, 1, 1)


@pytest.mark.parametrize("value", [2, -2, True, "1", None, 1.0])
def test_vote_cast_rejects_a_value_that_is_not_a_vote(proposal, value):
    assert_rejected(
        "vote_value_invalid",
        "A vote is agree (1), disagree (-1) or pass (0).",
        vote_cast,
        contribution=proposal,
        participant=ParticipantFactory(),
        value=value,
    )
    assert Vote.objects.count() == 0


def test_vote_cast_rejects_a_statement_that_is_not_a_proposal():
    challenge = ContributionFactory(dimension=Dimension.CHALLENGE)

    assert_rejected(
        "statement_not_votable",
        "Only proposals are put to the vote.",
        vote_cast,
        contribution=challenge,
        participant=ParticipantFactory(),
        value=1,
    )


def test_vote_cast_rejects_an_unpublished_statement():
    pending = ContributionFactory(moderation_status=ModerationStatus.PENDING)

    assert_rejected(
        "statement_not_published",
        "This statement is not published, so it cannot be voted on.",
        vote_cast,
        contribution=pending,
        participant=ParticipantFactory(),
        value=1,
    )


def test_vote_cast_rejects_a_closed_workshop():
    proposal = ContributionFactory(workshop=WorkshopFactory(status=Workshop.Status.CLOSED))

    assert_rejected(
        "workshop_not_open",
        "This workshop is closed: it no longer takes contributions or votes.",
        vote_cast,
        contribution=proposal,
        participant=ParticipantFactory(),
        value=1,
    )
    assert counters(proposal) == (0, 0, 0)


def test_vote_cast_rejects_an_erased_participant(proposal):
    voter = ParticipantFactory(erased_at="2024-01-01T00:00Z")

    assert_rejected(
        "participant_erased",
        "This participant's data has been erased.",
        vote_cast,
        contribution=proposal,
        participant=voter,
        value=1,
    )


# --- contribution_moderate ---------------------------------------------------------------------


def test_contribution_moderate_changes_the_status():
    contribution = ContributionFactory()

    contribution_moderate(
        contribution=contribution, status=ModerationStatus.REJECTED, reason="spam"
    )

    assert Contribution.objects.get().moderation_status == "rejected"


def test_contribution_moderate_rejects_an_unknown_status():
    assert_rejected(
        "moderation_status_invalid",
        "“hidden” is not a moderation status.",
        contribution_moderate,
        contribution=ContributionFactory(),
        status="hidden",
    )


def test_vote_cast_reads_the_moderation_status_afresh():
    proposal = ContributionFactory()
    stale = Contribution.objects.get(pk=proposal.pk)
    Contribution.objects.filter(pk=proposal.pk).update(moderation_status="rejected")

    assert_rejected(
        "statement_not_published",
        "This statement is not published, so it cannot be voted on.",
        vote_cast,
        contribution=stale,
        participant=ParticipantFactory(),
        value=1,
    )
