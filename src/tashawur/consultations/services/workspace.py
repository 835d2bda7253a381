"""The staff workspace's writes: consultations, meetings, agenda items, workshops, invitations.

Each checks what the database would refuse (unique positions, a meeting that ends before it
starts, a province outside the region) and says so in a translated ``DomainError`` naming the
field at fault, so a form shows the message instead of an ``IntegrityError``."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from tashawur.consultations.models import (
    AgendaItem,
    Consultation,
    Invitation,
    Meeting,
    Strategy,
    Theme,
    Workshop,
)
from tashawur.core.errors import DomainError
from tashawur.core.roles import Role
from tashawur.territories.models import Territory

#: How long an invitation link works unless staff choose otherwise.
INVITATION_LIFETIME = dt.timedelta(days=30)
_SLUG_MAX = 100


@dataclass(frozen=True)
class AgendaItemSpec:
    """One row of a meeting's agenda as staff typed it."""

    position: int
    starts_at: dt.time
    kind: str
    title_ar: str
    title_fr: str
    ends_at: dt.time | None = None


# --- helpers ---------------------------------------------------------------------------------


def _slug_unique(model: Any, text: str, *, fallback: str, exclude_pk: int | None = None) -> str:
    base = (slugify(text) or fallback)[: _SLUG_MAX - 8].strip("-") or fallback
    candidate, n = base, 1
    others = model.objects.exclude(pk=exclude_pk) if exclude_pk else model.objects.all()
    while others.filter(slug=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _titles_check(title_ar: str, title_fr: str) -> None:
    if not title_ar.strip():
        raise DomainError(_("Give the title in Arabic."), code="title_missing", field="title_ar")
    if not title_fr.strip():
        raise DomainError(_("Give the title in French."), code="title_missing", field="title_fr")


def _staff_check(users: Sequence[Any], *, role: str, field: str) -> None:
    for user in users:
        if user is not None and user.role != role:
            raise DomainError(
                _("%(name)s does not hold the role this task needs.") % {"name": user},
                code="user_wrong_role",
                field=field,
            )


# --- consultations ---------------------------------------------------------------------------


def _consultation_check(
    *, strategy: Strategy, region: Territory, exclude_pk: int | None = None
) -> None:
    if region.level != Territory.Level.REGION:
        raise DomainError(_("Choose a region."), code="region_not_region", field="region")
    same = Consultation.objects.filter(strategy=strategy, region=region)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise DomainError(
            _("This region already has a consultation for this strategy."),
            code="consultation_exists",
            field="region",
        )


@transaction.atomic
def consultation_create(
    *,
    strategy: Strategy,
    region: Territory,
    title_ar: str,
    title_fr: str,
    status: str = Consultation.Status.DRAFT,
    moderation: str = Consultation.Moderation.POST,
    coordinators: Sequence[Any] = (),
    analysts: Sequence[Any] = (),
    slug: str = "",
) -> Consultation:
    """A new consultation; without a ``slug``, one is made from the French title."""
    _titles_check(title_ar, title_fr)
    _consultation_check(strategy=strategy, region=region)
    _staff_check(coordinators, role=Role.REGIONAL_COORDINATOR, field="coordinators")
    _staff_check(analysts, role=Role.ANALYST, field="analysts")
    if slug and Consultation.objects.filter(slug=slug).exists():
        raise DomainError(_("This identifier is already taken."), code="slug_taken", field="slug")
    consultation = Consultation.objects.create(
        strategy=strategy,
        region=region,
        slug=slug or _slug_unique(Consultation, title_fr, fallback="consultation"),
        title_ar=title_ar.strip(),
        title_fr=title_fr.strip(),
        status=status,
        moderation=moderation,
    )
    consultation.coordinators.set(coordinators)
    consultation.analysts.set(analysts)
    return consultation


@transaction.atomic
def consultation_update(
    *,
    consultation: Consultation,
    strategy: Strategy,
    region: Territory,
    title_ar: str,
    title_fr: str,
    status: str,
    moderation: str,
    coordinators: Sequence[Any],
    analysts: Sequence[Any],
) -> Consultation:
    """Change a consultation; its identifier (its address) stays."""
    _titles_check(title_ar, title_fr)
    _consultation_check(strategy=strategy, region=region, exclude_pk=consultation.pk)
    _staff_check(coordinators, role=Role.REGIONAL_COORDINATOR, field="coordinators")
    _staff_check(analysts, role=Role.ANALYST, field="analysts")
    consultation.strategy = strategy
    consultation.region = region
    consultation.title_ar = title_ar.strip()
    consultation.title_fr = title_fr.strip()
    consultation.status = status
    consultation.moderation = moderation
    consultation.save()
    consultation.coordinators.set(coordinators)
    consultation.analysts.set(analysts)
    return consultation


# --- meetings and their agenda ---------------------------------------------------------------


def _meeting_check(
    *,
    consultation: Consultation,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    territory: Territory,
) -> None:
    if ends_at <= starts_at:
        raise DomainError(
            _("The meeting must end after it starts."), code="meeting_ends_first", field="ends_at"
        )
    if territory.parent_id != consultation.region_id:
        raise DomainError(
            _("Choose a province of the consultation's region."),
            code="territory_outside_region",
            field="territory",
        )


@transaction.atomic
def agenda_items_replace(*, meeting: Meeting, items: Sequence[AgendaItemSpec]) -> list[AgendaItem]:
    """The meeting's agenda becomes ``items``: positions unique, each item ending after it
    starts."""
    seen: set[int] = set()
    for item in items:
        if item.position in seen:
            raise DomainError(
                _("Two agenda items have position %(position)s: give each its own.")
                % {"position": item.position},
                code="agenda_position_taken",
                field="agenda",
            )
        seen.add(item.position)
        if item.ends_at is not None and item.ends_at <= item.starts_at:
            raise DomainError(
                _("The agenda item at position %(position)s must end after it starts.")
                % {"position": item.position},
                code="agenda_item_ends_first",
                field="agenda",
            )
        _titles_check(item.title_ar, item.title_fr)
    meeting.agenda_items.all().delete()
    return AgendaItem.objects.bulk_create(
        AgendaItem(
            meeting=meeting,
            position=item.position,
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            kind=item.kind,
            title_ar=item.title_ar.strip(),
            title_fr=item.title_fr.strip(),
        )
        for item in sorted(items, key=lambda i: i.position)
    )


@transaction.atomic
def meeting_create(
    *,
    consultation: Consultation,
    title_ar: str,
    title_fr: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    venue_ar: str,
    venue_fr: str,
    territory: Territory,
    capacity: int | None = None,
    agenda_items: Sequence[AgendaItemSpec] | None = None,
) -> Meeting:
    """A new meeting of the consultation, with its agenda when given; the identifier is made
    from the French title and the date."""
    _titles_check(title_ar, title_fr)
    _meeting_check(
        consultation=consultation, starts_at=starts_at, ends_at=ends_at, territory=territory
    )
    local_day = timezone.localtime(starts_at).date().isoformat()
    meeting = Meeting.objects.create(
        consultation=consultation,
        slug=_slug_unique(Meeting, f"{title_fr} {local_day}", fallback="meeting"),
        title_ar=title_ar.strip(),
        title_fr=title_fr.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        venue_ar=venue_ar.strip(),
        venue_fr=venue_fr.strip(),
        territory=territory,
        capacity=capacity,
    )
    if agenda_items is not None:
        agenda_items_replace(meeting=meeting, items=agenda_items)
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    title_ar: str,
    title_fr: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    venue_ar: str,
    venue_fr: str,
    territory: Territory,
    capacity: int | None = None,
    agenda_items: Sequence[AgendaItemSpec] | None = None,
) -> Meeting:
    _titles_check(title_ar, title_fr)
    _meeting_check(
        consultation=meeting.consultation,
        starts_at=starts_at,
        ends_at=ends_at,
        territory=territory,
    )
    meeting.title_ar = title_ar.strip()
    meeting.title_fr = title_fr.strip()
    meeting.starts_at = starts_at
    meeting.ends_at = ends_at
    meeting.venue_ar = venue_ar.strip()
    meeting.venue_fr = venue_fr.strip()
    meeting.territory = territory
    meeting.capacity = capacity
    meeting.save()
    if agenda_items is not None:
        agenda_items_replace(meeting=meeting, items=agenda_items)
    return meeting


# --- workshops -------------------------------------------------------------------------------


def _workshop_check(
    *,
    meeting: Meeting,
    position: int,
    facilitator: Any,
    rapporteur: Any,
    exclude_pk: int | None = None,
) -> None:
    same = Workshop.objects.filter(meeting=meeting, position=position)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise DomainError(
            _("Another round table of this meeting has position %(position)s.")
            % {"position": position},
            code="workshop_position_taken",
            field="position",
        )
    _staff_check([facilitator], role=Role.FACILITATOR, field="facilitator")
    _staff_check([rapporteur], role=Role.RAPPORTEUR, field="rapporteur")


# Arabic-Indic and Eastern Arabic-Indic digits, and the tatweel (a stretching stroke) dropped.
_KEYWORD_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789", "\u0640")
_SMS_KEYWORD = re.compile(r"[^\W_]{2,16}")


def sms_keyword_normalise(raw: str) -> str:
    """A keyword as it is stored and matched: upper case, digits 0 to 9 (an SMS may write
    ``tar3``, ``TAR٣`` or ``Tar3``: the same round table)."""
    return raw.strip().translate(_KEYWORD_DIGITS).upper()


def _sms_keyword_clean(raw: str, *, exclude_pk: int | None = None) -> str | None:
    """The keyword to store (``None`` when empty), or a translated error: 2 to 16 letters or
    digits, no space, not another round table's."""
    keyword = sms_keyword_normalise(raw)
    if not keyword:
        return None
    if not _SMS_KEYWORD.fullmatch(keyword):
        raise DomainError(
            _("An SMS keyword is one word of 2 to 16 letters or digits, without spaces."),
            code="sms_keyword_invalid",
            field="sms_keyword",
        )
    taken = Workshop.objects.filter(sms_keyword=keyword)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise DomainError(
            _("Another round table already uses the SMS keyword “%(keyword)s”.")
            % {"keyword": keyword},
            code="sms_keyword_taken",
            field="sms_keyword",
        )
    return keyword


@transaction.atomic
def workshop_create(
    *,
    meeting: Meeting,
    theme: Theme,
    position: int,
    title_ar: str,
    title_fr: str,
    question_ar: str = "",
    question_fr: str = "",
    room: str = "",
    facilitator: Any = None,
    rapporteur: Any = None,
    sms_keyword: str = "",
) -> Workshop:
    _titles_check(title_ar, title_fr)
    _workshop_check(
        meeting=meeting, position=position, facilitator=facilitator, rapporteur=rapporteur
    )
    keyword = _sms_keyword_clean(sms_keyword)
    return Workshop.objects.create(
        meeting=meeting,
        theme=theme,
        position=position,
        title_ar=title_ar.strip(),
        title_fr=title_fr.strip(),
        question_ar=question_ar.strip(),
        question_fr=question_fr.strip(),
        room=room.strip(),
        facilitator=facilitator,
        rapporteur=rapporteur,
        sms_keyword=keyword,
    )


@transaction.atomic
def workshop_update(
    *,
    workshop: Workshop,
    theme: Theme,
    position: int,
    title_ar: str,
    title_fr: str,
    question_ar: str = "",
    question_fr: str = "",
    room: str = "",
    facilitator: Any = None,
    rapporteur: Any = None,
    sms_keyword: str | None = None,
) -> Workshop:
    """Change a workshop's description and staff; its status moves only by opening and
    closing (``workshop_open``, ``workshop_close``). ``sms_keyword`` ``None`` keeps the
    keyword; ``""`` removes it."""
    _titles_check(title_ar, title_fr)
    _workshop_check(
        meeting=workshop.meeting,
        position=position,
        facilitator=facilitator,
        rapporteur=rapporteur,
        exclude_pk=workshop.pk,
    )
    workshop.theme = theme
    workshop.position = position
    workshop.title_ar = title_ar.strip()
    workshop.title_fr = title_fr.strip()
    workshop.question_ar = question_ar.strip()
    workshop.question_fr = question_fr.strip()
    workshop.room = room.strip()
    workshop.facilitator = facilitator
    workshop.rapporteur = rapporteur
    if sms_keyword is not None:
        workshop.sms_keyword = _sms_keyword_clean(sms_keyword, exclude_pk=workshop.pk)
    workshop.save()
    return workshop


# --- invitations -----------------------------------------------------------------------------


@transaction.atomic
def invitation_create(
    *,
    consultation: Consultation,
    label: str,
    created_by: Any,
    meeting: Meeting | None = None,
    organisation: str = "",
    actor_type: Any = None,
    territory: Territory | None = None,
    expires_at: dt.datetime | None = None,
) -> Invitation:
    """A new invitation link for the consultation (and one of its meetings, if given); it
    works for 30 days unless ``expires_at`` says otherwise."""
    now = timezone.now()
    if not label.strip():
        raise DomainError(
            _("Say whom this invitation is for."), code="label_missing", field="label"
        )
    if meeting is not None and meeting.consultation_id != consultation.pk:
        raise DomainError(
            _("Choose a meeting of this consultation."), code="meeting_outside", field="meeting"
        )
    if territory is not None and territory.parent_id != consultation.region_id:
        raise DomainError(
            _("Choose a province of the consultation's region."),
            code="territory_outside_region",
            field="territory",
        )
    if expires_at is None:
        expires_at = now + INVITATION_LIFETIME
    elif expires_at <= now:
        raise DomainError(
            _("The expiry date must be in the future."), code="expiry_past", field="expires_at"
        )
    return Invitation.objects.create(
        consultation=consultation,
        meeting=meeting,
        token=secrets.token_urlsafe(24),
        label=label.strip(),
        organisation=organisation.strip(),
        actor_type=actor_type,
        territory=territory,
        created_by=created_by,
        expires_at=expires_at,
    )


@transaction.atomic
def invitation_withdraw(*, invitation: Invitation) -> Invitation:
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.withdrawn_at is not None:
        raise DomainError(_("This invitation is already withdrawn."), code="invitation_withdrawn")
    locked.withdrawn_at = timezone.now()
    locked.save(update_fields=["withdrawn_at", "updated_at"])
    return locked


def invitation_usable(invitation: Invitation, *, at: dt.datetime | None = None) -> bool:
    """Whether the link still works: neither withdrawn nor expired."""
    moment = at or timezone.now()
    return invitation.withdrawn_at is None and invitation.expires_at > moment


@transaction.atomic
def invitation_sign_up_count(*, invitation_id: int) -> None:
    """One more person signed up through the invitation (a counter, moved with ``F()``)."""
    Invitation.objects.filter(pk=invitation_id).update(sign_ups=F("sign_ups") + 1)
