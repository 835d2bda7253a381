"""Taking in an SMS or messaging text (channel ``sms``): one message, one contribution, once.

The text reads ``KEYWORD [MARKER] message``: the first word is a round table's ``sms_keyword``
(any case; Arabic-Indic digits read as 0 to 9), an optional second word names the dimension
(`DIMENSION_MARKERS`; without one the contribution is a **proposal**, the answer a round table's
question asks for, which a moderator may reclassify), the rest is the contribution.

The gateway's message id is the idempotency key: a gateway that delivers a message again (it
retries until it gets an answer) gets the first answer and nothing new is stored, even when the
deliveries race, because the unique constraint on (gateway, message id) decides.

The sender is the number the message came from. The project has no notion of a verified phone:
a number matches an active participant whose **account's user name is that number** exactly
(sign-up stores a phone there, normalised by ``phone_normalise``) and who accepted the
participation terms; the contribution is then theirs. Any other sender is kept only as a keyed
hash (HMAC-SHA256 under ``TASHAWUR_SENDER_HASH_KEY``, else ``SECRET_KEY``); their contribution has
no author and is recorded by the round table's facilitator (else its rapporteur; a round table
with neither refuses the message). Contributions from unmatched senders always wait for a
moderator; a matched participant's follow the consultation's moderation like the web form's.

The reply is one short SMS in Arabic when the text has Arabic letters, else in French: at most
70 characters in Arabic (one UCS-2 segment) and 160 in French (one GSM segment).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tashawur.actors.models import Participant
from tashawur.actors.services import participant_has_active_consent, phone_normalise
from tashawur.consultations.models import Dimension, Workshop
from tashawur.consultations.services.workspace import sms_keyword_normalise
from tashawur.contributions.generations import consultation_data_changed
from tashawur.contributions.models import (
    Channel,
    Contribution,
    InboundMessage,
    ModerationStatus,
)
from tashawur.contributions.services.submissions import contribution_submit
from tashawur.core.errors import DomainError

#: The longest message id and gateway name the model holds.
MESSAGE_ID_MAX = 128
GATEWAY_MAX = 32
#: Messages one sender may have taken in within `SENDER_WINDOW`; past it, refused.
SENDER_MAX = 30
SENDER_WINDOW = dt.timedelta(hours=1)

#: Second words that name the dimension (upper case; a trailing ":" or "-" is ignored).
DIMENSION_MARKERS: dict[str, str] = {
    "P": Dimension.PROPOSAL,
    "PROPOSITION": Dimension.PROPOSAL,
    "مقترح": Dimension.PROPOSAL,
    "اقتراح": Dimension.PROPOSAL,
    "Q": Dimension.QUESTION,
    "QUESTION": Dimension.QUESTION,
    "سؤال": Dimension.QUESTION,
    "D": Dimension.CHALLENGE,
    "DEFI": Dimension.CHALLENGE,
    "DÉFI": Dimension.CHALLENGE,
    "PROBLEME": Dimension.CHALLENGE,
    "PROBLÈME": Dimension.CHALLENGE,
    "مشكل": Dimension.CHALLENGE,
    "مشكلة": Dimension.CHALLENGE,
    "إكراه": Dimension.CHALLENGE,
    "POTENTIEL": Dimension.POTENTIAL,
    "مؤهل": Dimension.POTENTIAL,
    "COORDINATION": Dimension.COORDINATION,
    "تنسيق": Dimension.COORDINATION,
    "SPECIFICITE": Dimension.SPECIFICITY,
    "SPÉCIFICITÉ": Dimension.SPECIFICITY,
    "خصوصية": Dimension.SPECIFICITY,
}
DEFAULT_DIMENSION = Dimension.PROPOSAL

# Why a message was refused (``InboundMessage.reason``).
KEYWORD_UNKNOWN = "keyword_unknown"
WORKSHOP_NOT_OPEN = "workshop_not_open"
TEXT_EMPTY = "text_empty"
NO_RECORDER = "no_recorder"
TOO_MANY = "too_many"
_PROCESSING = "processing"

_ARABIC_LETTER = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_GATEWAY = re.compile(r"[a-z0-9_-]{1,32}", re.ASCII)


@dataclass(frozen=True)
class InboundResult:
    """What became of a message: ``accepted`` (with its contribution) or ``refused`` (with a
    ``reason``), the ``reply`` to send back, and whether this call stored it (``created``)."""

    status: str
    reason: str
    contribution: Contribution | None
    reply: str
    created: bool

    @property
    def accepted(self) -> bool:
        return self.status == InboundMessage.Status.ACCEPTED


def sender_hash(sender: str) -> str:
    """The sender's number as a keyed hash (64 hex digits), the same for every spelling of one
    number (``0612…``, ``+212 612…``, ``whatsapp:+212612…``)."""
    key = settings.TASHAWUR_SENDER_HASH_KEY or settings.SECRET_KEY
    digest = hmac.new(key.encode(), _sender_clean(sender).encode(), hashlib.sha256)
    return digest.hexdigest()


def _sender_clean(sender: str) -> str:
    raw = sender.strip()
    for prefix in ("whatsapp:", "tel:", "sms:"):
        if raw.lower().startswith(prefix):
            raw = raw[len(prefix) :]
    try:
        return phone_normalise(raw)
    except DomainError:
        return raw  # a short code or a name: hashed as it came


def reply_language(text: str) -> str:
    """Arabic when the text has Arabic letters, else French."""
    return "ar" if _ARABIC_LETTER.search(text) else "fr"


def _participant_for(sender: str) -> Participant | None:
    """The active participant whose account signs in with this number and who accepted the
    participation terms (no verified phones here: the sign-up's number, exactly)."""
    phone = _sender_clean(sender)
    if not phone.startswith("+"):
        return None
    participant = (
        Participant.objects.filter(
            user__username=phone, user__is_active=True, erased_at__isnull=True
        )
        .select_related("user")
        .first()
    )
    if participant is None or not participant_has_active_consent(participant=participant):
        return None
    return participant


def _words(text: str) -> tuple[str, str, str]:
    """(keyword, dimension, message) of an SMS; keyword "" when there is none."""
    parts = text.strip().split(maxsplit=1)
    if not parts:
        return "", DEFAULT_DIMENSION, ""
    keyword = sms_keyword_normalise(parts[0])
    rest = parts[1] if len(parts) > 1 else ""
    marker_parts = rest.split(maxsplit=1)
    if marker_parts:
        marker = marker_parts[0].rstrip(":-").upper()
        if marker in DIMENSION_MARKERS:
            return keyword, DIMENSION_MARKERS[marker], (marker_parts[1:] or [""])[0].strip()
    return keyword, DEFAULT_DIMENSION, rest.strip()


def _reply(*, status: str, reason: str, contribution: Contribution | None, language: str) -> str:
    with translation.override(language):
        if status == InboundMessage.Status.ACCEPTED and contribution is not None:
            if contribution.moderation_status == ModerationStatus.PENDING:
                return _("Received: contribution no. %(number)s, published after moderation.") % {
                    "number": contribution.pk
                }
            return _("Received: contribution no. %(number)s. Thank you.") % {
                "number": contribution.pk
            }
        if reason == KEYWORD_UNKNOWN:
            return _("Unknown round table code. Start your SMS with the code given at the meeting.")
        if reason == WORKSHOP_NOT_OPEN:
            return _("This round table is not open for contributions.")
        if reason == TEXT_EMPTY:
            return _("Write your message after the round table's code.")
        if reason == TOO_MANY:
            return _("Too many messages from this number. Try again later.")
        return _("Your message could not be recorded. Try again later.")


def _result(record: InboundMessage, *, language: str, created: bool) -> InboundResult:
    contribution = record.contribution
    return InboundResult(
        status=record.status,
        reason=record.reason,
        contribution=contribution,
        reply=_reply(
            status=record.status, reason=record.reason, contribution=contribution, language=language
        ),
        created=created,
    )


def _first(*, gateway: str, message_id: str) -> InboundMessage | None:
    return (
        InboundMessage.objects.filter(gateway=gateway, message_id=message_id)
        .select_related("contribution")
        .first()
    )


@transaction.atomic
def inbound_message_receive(
    *, gateway: str, message_id: str, sender: str, text: str
) -> InboundResult:
    """Take in one message from ``gateway``; see the module's docstring for the rules.

    A refusal is an answer, not an error: it is stored (so that a redelivery gets the same
    answer) and replied to. Only a message that cannot be recorded at all (no id, an id or a
    gateway name too long) raises a `DomainError`.
    """
    message_id = message_id.strip()
    if not message_id or len(message_id) > MESSAGE_ID_MAX:
        raise DomainError(
            _("The gateway's message id is missing or too long."),
            code="message_id_invalid",
            field="message_id",
        )
    if not _GATEWAY.fullmatch(gateway):
        raise DomainError(_("Unknown gateway."), code="gateway_invalid", field="gateway")
    language = reply_language(text)
    first = _first(gateway=gateway, message_id=message_id)
    if first is not None:
        return _result(first, language=language, created=False)

    hashed = sender_hash(sender)
    try:
        # Claim the message id first: a racing delivery waits here for us to commit, then
        # finds our row and answers as we did.
        with transaction.atomic():
            record = InboundMessage.objects.create(
                gateway=gateway,
                message_id=message_id,
                sender_hash=hashed,
                status=InboundMessage.Status.REFUSED,
                reason=_PROCESSING,
            )
    except IntegrityError:
        first = _first(gateway=gateway, message_id=message_id)
        if first is None:
            raise
        return _result(first, language=language, created=False)

    status, reason, workshop, contribution = _take_in(
        record=record, sender=sender, sender_hashed=hashed, text=text
    )
    record.status = status
    record.reason = reason
    record.workshop = workshop
    record.contribution = contribution
    record.save(update_fields=["status", "reason", "workshop", "contribution"])
    return _result(record, language=language, created=True)


def _take_in(
    *, record: InboundMessage, sender: str, sender_hashed: str, text: str
) -> tuple[str, str, Workshop | None, Contribution | None]:
    refused = InboundMessage.Status.REFUSED
    keyword, dimension, message = _words(text)
    workshop = (
        Workshop.objects.select_related("meeting").filter(sms_keyword=keyword).first()
        if keyword
        else None
    )
    if workshop is None:
        return refused, KEYWORD_UNKNOWN, None, None
    if workshop.status != Workshop.Status.OPEN:
        return refused, WORKSHOP_NOT_OPEN, workshop, None
    if not message:
        return refused, TEXT_EMPTY, workshop, None
    recent = (
        InboundMessage.objects.filter(
            sender_hash=sender_hashed,
            status=InboundMessage.Status.ACCEPTED,
            received_at__gte=timezone.now() - SENDER_WINDOW,
        )
        .exclude(pk=record.pk)
        .count()
    )
    if recent >= SENDER_MAX:
        return refused, TOO_MANY, workshop, None

    author = _participant_for(sender)
    recorded_by = None
    if author is None:
        recorded_by = workshop.facilitator or workshop.rapporteur
        if recorded_by is None:
            return refused, NO_RECORDER, workshop, None
    try:
        submission = contribution_submit(
            workshop=workshop,
            text=message,
            dimension=dimension,
            channel=Channel.SMS,
            author=author,
            recorded_by=recorded_by,
        )
    except DomainError as error:
        return refused, error.code[:64], workshop, None
    contribution = submission.contribution
    if author is None and contribution.moderation_status != ModerationStatus.PENDING:
        # Nobody vouches for an unknown number: a moderator reads it first, whoever recorded it.
        Contribution.objects.filter(pk=contribution.pk).update(
            moderation_status=ModerationStatus.PENDING
        )
        consultation_data_changed(contribution.consultation_id)
        contribution.moderation_status = ModerationStatus.PENDING
    return InboundMessage.Status.ACCEPTED, "", workshop, contribution
