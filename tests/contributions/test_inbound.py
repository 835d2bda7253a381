"""SMS intake (``inbound_message_receive``): keyword, sender, moderation, replies, replays."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.conf import settings

from tashawur.consultations.models import Consultation, Dimension, Workshop
from tashawur.consultations.services.workspace import sms_keyword_normalise
from tashawur.contributions.models import Channel, Contribution, InboundMessage, ModerationStatus
from tashawur.contributions.services import inbound_message_receive, participant_erase
from tashawur.contributions.services.inbound import reply_language, sender_hash
from tashawur.core.errors import DomainError
from tashawur.core.roles import Role
from tests.actors.factories import ConsentTextFactory, ParticipantFactory, UserFactory
from tests.consultations.factories import WorkshopFactory
from tests.contributions.threads import run_concurrently

PHONE = "+212612345678"


def _facilitator():
    user = UserFactory()
    user.role = Role.FACILITATOR
    user.save()
    return user


@pytest.fixture
def workshop(db):
    ConsentTextFactory()
    return WorkshopFactory(sms_keyword="TAR3", facilitator=_facilitator())


def _receive(message_id="SM1", sender="0612345678", text="TAR3 نقترح تبسيط المساطر"):
    return inbound_message_receive(
        gateway="twilio", message_id=message_id, sender=sender, text=text
    )


def test_an_unknown_sender_is_kept_as_a_keyed_hash_and_waits_for_moderation(workshop):
    result = _receive(text="tar٣ نقترح تبسيط المساطر")

    assert result.accepted and result.created
    contribution = Contribution.objects.get()
    assert (contribution.author, contribution.recorded_by) == (None, workshop.facilitator)
    assert (contribution.channel, contribution.dimension) == (Channel.SMS, Dimension.PROPOSAL)
    assert contribution.text == "نقترح تبسيط المساطر"
    assert contribution.moderation_status == ModerationStatus.PENDING
    record = InboundMessage.objects.get()
    expected = hmac.new(settings.SECRET_KEY.encode(), PHONE.encode(), hashlib.sha256).hexdigest()
    assert record.sender_hash == expected == sender_hash("+212 6 12 34 56 78")
    assert (record.workshop, record.contribution, record.status) == (
        workshop,
        contribution,
        InboundMessage.Status.ACCEPTED,
    )
    assert PHONE not in str(list(InboundMessage.objects.values()))
    assert str(contribution.pk) in result.reply


def test_a_matched_participant_is_the_author_and_published_under_post_moderation(workshop):
    participant = ParticipantFactory(user=UserFactory(username=PHONE), consented=True)

    result = _receive(sender="whatsapp:+212612345678", text="TAR3 Q Quand ouvre le guichet ?")

    contribution = result.contribution
    assert (contribution.author, contribution.recorded_by) == (participant, None)
    assert contribution.dimension == Dimension.QUESTION
    assert contribution.text == "Quand ouvre le guichet ?"
    assert contribution.moderation_status == ModerationStatus.PUBLISHED


def test_a_matched_participant_waits_under_pre_moderation(workshop):
    Consultation.objects.update(moderation=Consultation.Moderation.PRE)
    ParticipantFactory(user=UserFactory(username=PHONE), consented=True)

    result = _receive()

    assert result.contribution.author is not None
    assert result.contribution.moderation_status == ModerationStatus.PENDING


def test_a_participant_without_consent_is_not_matched(workshop):
    ParticipantFactory(user=UserFactory(username=PHONE), consented=False)

    result = _receive()

    assert result.contribution.author is None
    assert result.contribution.moderation_status == ModerationStatus.PENDING


def test_a_replayed_message_id_returns_the_first_answer_and_stores_nothing(workshop):
    first = _receive()
    again = _receive(text="TAR3 نص آخر")

    assert (first.created, again.created) == (True, False)
    assert again.contribution == first.contribution
    assert again.reply == first.reply
    assert (Contribution.objects.count(), InboundMessage.objects.count()) == (1, 1)


def test_the_same_id_from_another_gateway_is_another_message(workshop):
    _receive()
    inbound_message_receive(
        gateway="rapidpro", message_id="SM1", sender="0612345678", text="TAR3 نص"
    )

    assert (Contribution.objects.count(), InboundMessage.objects.count()) == (2, 2)


@pytest.mark.parametrize("text", ["XYZ9 hello", "", "   ", "TAR bonjour"])
def test_an_unknown_keyword_is_refused_and_said_so(workshop, text):
    result = _receive(text=text)

    assert (result.accepted, result.reason) == (False, "keyword_unknown")
    assert not Contribution.objects.exists()
    assert InboundMessage.objects.get().status == InboundMessage.Status.REFUSED


def test_a_closed_or_planned_workshop_refuses(workshop):
    Workshop.objects.update(status=Workshop.Status.PLANNED)

    result = _receive()

    assert (result.accepted, result.reason) == (False, "workshop_not_open")
    assert InboundMessage.objects.get().workshop == workshop


def test_a_keyword_alone_is_refused(workshop):
    assert _receive(text="TAR3 P").reason == "text_empty"


def test_a_workshop_without_facilitator_or_rapporteur_refuses_unknown_senders(db):
    WorkshopFactory(sms_keyword="TAR4")

    assert _receive(text="TAR4 texte").reason == "no_recorder"


def test_no_message_id_is_an_error(workshop):
    with pytest.raises(DomainError) as error:
        _receive(message_id=" ")
    assert error.value.code == "message_id_invalid"


@pytest.mark.parametrize(
    ("text", "language"), [("TAR3 نقترح", "ar"), ("TAR3 je propose", "fr"), ("", "fr")]
)
def test_the_reply_language_follows_the_script(text, language):
    assert reply_language(text) == language


@pytest.mark.parametrize("language", ["ar", "fr", "en"])
@pytest.mark.parametrize("text", ["TAR3 نقترح تبسيط المساطر", "XYZ9 hello", "TAR3 P"])
def test_every_reply_fits_one_sms(workshop, language, text, monkeypatch):
    monkeypatch.setattr(
        "tashawur.contributions.services.inbound.reply_language", lambda text: language
    )
    reply = _receive(text=text).reply
    arabic = any("\u0600" <= ch <= "\u06ff" for ch in reply)
    assert len(reply) <= (70 if arabic else 160), reply


def test_keywords_are_normalised():
    assert sms_keyword_normalise(" tar٣ ") == sms_keyword_normalise("TAR3") == "TAR3"
    assert sms_keyword_normalise("ورشـة۲") == "ورشة2"


# -- races ----------------------------------------------------------------------------------------

THREADS = 16


@pytest.mark.django_db(transaction=True)
def test_racing_deliveries_of_one_message_store_it_once():
    """16 deliveries of one message id at once (PostgreSQL: DATABASE_URL): one row each."""
    ConsentTextFactory()
    WorkshopFactory(sms_keyword="TAR3", facilitator=_facilitator())

    results = run_concurrently(lambda i: _receive(text=f"TAR3 نقترح رقم {i}"), THREADS)

    assert [type(r).__name__ for r in results] == ["InboundResult"] * THREADS
    assert sum(r.created for r in results) == 1
    assert (Contribution.objects.count(), InboundMessage.objects.count()) == (1, 1)
    assert {r.contribution.pk for r in results} == {Contribution.objects.get().pk}


def test_erasing_a_matched_participant_drops_the_hash_of_their_number(workshop):
    participant = ParticipantFactory(user=UserFactory(username=PHONE), consented=True)
    result = _receive()

    participant_erase(participant=participant)

    assert InboundMessage.objects.get().sender_hash == ""
    assert Contribution.objects.get().pk == result.contribution.pk
