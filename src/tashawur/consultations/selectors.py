"""Reads that need rules. Views call these instead of ``Model.objects.get`` on user input."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from tashawur.actors.models import ActorType, Organisation, Participant
from tashawur.consultations import rules
from tashawur.consultations.generations import consultations_generation
from tashawur.consultations.models import (
    Attendance,
    Consultation,
    Invitation,
    Meeting,
    Registration,
    Theme,
    Workshop,
)
from tashawur.core.caching import cache_get, cache_set, version_key
from tashawur.core.models import User
from tashawur.core.raw_rows import ModelColumns
from tashawur.core.roles import Role
from tashawur.territories.models import Territory


def _consultation_check_visible(user: Any, consultation: Consultation) -> None:
    if consultation.status == Consultation.Status.DRAFT and not rules.can_manage_consultation(
        user, consultation
    ):
        raise PermissionDenied


def consultation_check_for_user(*, consultation: Consultation, user: Any) -> Consultation:
    """``consultation``, already read (with a contribution, say), if the user may see it;
    ``PermissionDenied`` otherwise, as ``consultation_get_for_user`` without reading it again."""
    _consultation_check_visible(user, consultation)
    return consultation


def consultation_get_for_user(*, slug: str, user: Any) -> Consultation:
    consultation = (
        Consultation.objects.select_related("region", "strategy").filter(slug=slug).first()
    )
    if consultation is None:
        raise Http404
    _consultation_check_visible(user, consultation)
    return consultation


def consultation_get_for_reader(*, slug: str, user: Any) -> Consultation:
    """``consultation_get_for_user``; for an anonymous reader (the cached public pages'
    versions) kept in the cache under ``generations.consultations_generation``, which every
    save of a consultation, strategy or territory bumps: cache reads, no query. A slug that
    names none is not kept (made-up addresses would fill the cache)."""
    if user.is_authenticated:
        return consultation_get_for_user(slug=slug, user=user)
    key = version_key("consultation-for-reader", slug, consultations_generation())
    consultation: Consultation | None = cache_get(key)
    if consultation is None:
        consultation = consultation_get_for_user(slug=slug, user=user)
        cache_set(key, consultation, int(settings.TASHAWUR_PAGE_CACHE_SECONDS))
    else:
        _consultation_check_visible(user, consultation)
    return consultation


def meeting_get_for_user(*, slug: str, user: Any) -> Meeting:
    meeting = (
        Meeting.objects.select_related(
            "consultation__region", "consultation__strategy", "territory"
        )
        .filter(slug=slug)
        .first()
    )
    if meeting is None:
        raise Http404
    _consultation_check_visible(user, meeting.consultation)
    return meeting


# The round table as its page reads it, with its meeting, consultation, region, theme,
# facilitator and rapporteur: the columns of each, in this order (``core.raw_rows``).
_WORKSHOP_ROW = (
    ModelColumns(Workshop, "w"),
    ModelColumns(Meeting, "m"),
    ModelColumns(Consultation, "c"),
    ModelColumns(Territory, "r"),
    ModelColumns(Theme, "t"),
    ModelColumns(User, "f"),
    ModelColumns(User, "p"),
    # The reader's participant, which the rules read (``user.participant``): no query of its own.
    ModelColumns(Participant, "pa"),
)


_WORKSHOP_ROW_SQL: dict[str, str] = {}


def _workshop_row_sql() -> str:
    found = _WORKSHOP_ROW_SQL.get(connection.vendor)
    if found is not None:
        return found
    quote = connection.ops.quote_name
    found = _WORKSHOP_ROW_SQL[connection.vendor] = (
        f"SELECT {', '.join(columns.sql() for columns in _WORKSHOP_ROW)} "  # noqa: S608
        f"FROM {quote(Workshop._meta.db_table)} w "
        f"JOIN {quote(Meeting._meta.db_table)} m ON m.id = w.meeting_id "
        f"JOIN {quote(Consultation._meta.db_table)} c ON c.id = m.consultation_id "
        f"JOIN {quote(Territory._meta.db_table)} r ON r.id = c.region_id "
        f"JOIN {quote(Theme._meta.db_table)} t ON t.id = w.theme_id "
        f"LEFT JOIN {quote(User._meta.db_table)} f ON f.id = w.facilitator_id "
        f"LEFT JOIN {quote(User._meta.db_table)} p ON p.id = w.rapporteur_id "
        f"LEFT JOIN {quote(Participant._meta.db_table)} pa ON pa.user_id = %s "
        "WHERE w.id = %s"
    )
    return found


def _workshop_read(workshop_id: int, user: Any) -> Workshop | None:
    """``Workshop.objects.select_related("meeting__consultation__region", "theme",
    "facilitator", "rapporteur").get(pk=workshop_id)`` in hand-written SQL: the ORM spent 3 ms
    compiling that join for every page (issue 15, item 1), and the row is read afresh each time
    (nothing cached, nothing stale). The signed-in ``user``'s participant (or that they have
    none) is read in the same query and kept on ``user`` unless it was read already. ``None``
    when there is no such round table."""
    reader = user.pk if user.is_authenticated else None
    with connection.cursor() as cursor:
        cursor.execute(_workshop_row_sql(), [reader, workshop_id])
        row = cursor.fetchone()
    if row is None:
        return None
    objects = []
    start = 0
    for columns in _WORKSHOP_ROW:
        objects.append(columns.build(row, start))
        start += columns.width
    workshop, meeting, consultation, region, theme, facilitator, rapporteur, participant = objects
    if reader is not None and not _PARTICIPANT_OF_USER.is_cached(user):
        # None: ``user.participant`` raises RelatedObjectDoesNotExist, as a query would find.
        _PARTICIPANT_OF_USER.set_cached_value(user, participant)
    assert isinstance(workshop, Workshop) and isinstance(meeting, Meeting)
    assert isinstance(consultation, Consultation)
    consultation.region = region  # type: ignore[assignment]
    meeting.consultation = consultation
    workshop.meeting = meeting
    workshop.theme = theme  # type: ignore[assignment]
    workshop.facilitator = facilitator  # type: ignore[assignment]
    workshop.rapporteur = rapporteur  # type: ignore[assignment]
    return workshop


_PARTICIPANT_OF_USER = User.participant.related


def workshop_get_for_user(*, workshop_id: int, user: Any) -> Workshop:
    workshop = _workshop_read(workshop_id, user)
    if workshop is None:
        raise Http404
    if not rules.can_view_workshop(user, workshop):
        raise PermissionDenied
    return workshop


def workshop_roster_by_actor_type(*, workshop: Workshop) -> list[tuple[ActorType, int]]:
    """How many people on the roster belong to each actor type (subtypes count under their
    type), most numerous first. A person with organisations of two types counts once in each;
    a person without an organisation is not counted here. One query, written by hand (the
    ORM's build of the joins cost the round table's page more than running them)."""
    quote = connection.ops.quote_name
    organisations = Participant._meta.get_field("organisations")
    memberships = quote(organisations.m2m_db_table())
    member = quote(organisations.m2m_column_name())
    organisation = quote(organisations.m2m_reverse_name())
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT x.n, {_ROSTER_TYPE.sql()} FROM ("  # noqa: S608
            "SELECT d.type_id, COUNT(*) AS n FROM ("
            "SELECT DISTINCT a.participant_id, COALESCE(o_type.parent_id, o_type.id) AS type_id "
            f"FROM {quote(Attendance._meta.db_table)} a "
            f"JOIN {memberships} po ON po.{member} = a.participant_id "
            f"JOIN {quote(Organisation._meta.db_table)} o ON o.id = po.{organisation} "
            f"JOIN {quote(ActorType._meta.db_table)} o_type ON o_type.id = o.actor_type_id "
            "WHERE a.workshop_id = %s) d GROUP BY d.type_id) x "
            f"JOIN {quote(ActorType._meta.db_table)} t ON t.id = x.type_id",
            [workshop.pk],
        )
        rows = cursor.fetchall()
    counts = [(_ROSTER_TYPE.build(row, 1), int(row[0])) for row in rows]
    return sorted(
        ((actor_type, n) for actor_type, n in counts if actor_type is not None),
        key=lambda item: (-item[1], item[0].position, item[0].slug),
    )


_ROSTER_TYPE = ModelColumns(ActorType, "t")


def workshop_speakers(*, workshop: Workshop) -> QuerySet[Participant]:
    """Whom a facilitator may name as the speaker of a contribution: the people on the
    workshop's roster first, then those checked in to its meeting, then the others registered
    for it, by name; erased participants are left out. One query, each person once
    (``attends`` and ``checked_in`` say which group)."""
    attends = Attendance.objects.filter(workshop=workshop, participant=OuterRef("pk"))
    registered = Registration.objects.filter(
        meeting_id=workshop.meeting_id,
        participant=OuterRef("pk"),
        status=Registration.Status.REGISTERED,
    )
    return (
        Participant.objects.filter(erased_at__isnull=True)
        .annotate(
            attends=Exists(attends),
            checked_in=Exists(registered.filter(checked_in_at__isnull=False)),
        )
        .filter(Q(attends=True) | Exists(registered))
        .order_by("-attends", "-checked_in", "display_name", "pk")
    )


#: How many speakers the facilitator's picker shows at once: enough for a round table, short
#: enough to read on a phone; a search narrows the rest.
SPEAKERS_SHOWN = 20


def workshop_speakers_search(
    *, workshop: Workshop, query: str = "", limit: int = SPEAKERS_SHOWN, only: int | None = None
) -> list[Participant]:
    """The first ``limit`` of ``workshop_speakers`` whose name, organisation or actor type (the
    person's own or their organisations', in Arabic, French or English) holds every word of
    ``query``; people on the roster first. ``only``: that one person, if they are a speaker.
    Organisations and their actor types are loaded with them, for the picker to show."""
    speakers = workshop_speakers(workshop=workshop)
    if only is not None:
        speakers = speakers.filter(pk=only)
    for word in query.split()[:5]:
        organisations = Organisation.objects.filter(participants=OuterRef("pk")).filter(
            Q(name__icontains=word)
            | Q(name_fr__icontains=word)
            | Q(actor_type__label_ar__icontains=word)
            | Q(actor_type__label_fr__icontains=word)
            | Q(actor_type__label_en__icontains=word)
        )
        speakers = speakers.filter(
            Q(display_name__icontains=word)
            | Q(actor_type__label_ar__icontains=word)
            | Q(actor_type__label_fr__icontains=word)
            | Q(actor_type__label_en__icontains=word)
            | Exists(organisations)
        )
    return list(
        speakers.select_related("actor_type").prefetch_related(
            Prefetch(
                "organisations",
                queryset=Organisation.objects.select_related("actor_type").order_by("name"),
            )
        )[:limit]
    )


# --- the staff workspace ----------------------------------------------------------------------


def consultations_for_workspace(*, user: Any) -> QuerySet[Consultation]:
    """The consultations a staff member's workspace lists: all of them for the national
    coordinator, those they coordinate for a regional coordinator, those they are assigned to
    for an analyst; none for anyone else (facilitators see their workshops instead)."""
    consultations = Consultation.objects.select_related("region", "strategy").order_by(
        "region__code", "slug"
    )
    if rules.is_national_coordinator(user):
        return consultations
    if not rules.is_signed_in(user):
        return consultations.none()
    if user.role == Role.REGIONAL_COORDINATOR:
        return consultations.filter(coordinators=user)
    if user.role == Role.ANALYST:
        return consultations.filter(analysts=user)
    return consultations.none()


def workshops_for_staff(*, user: Any) -> QuerySet[Workshop]:
    """The round tables a person facilitates or reports on, latest meeting first."""
    if not rules.is_signed_in(user):
        return Workshop.objects.none()
    return (
        Workshop.objects.filter(Q(facilitator=user) | Q(rapporteur=user))
        .select_related("meeting__consultation", "theme")
        .order_by("-meeting__starts_at", "position")
    )


def consultation_get_for_manager(*, slug: str, user: Any) -> Consultation:
    """The consultation at ``slug`` if ``user`` manages it: 404 when there is none, 403 when it
    is another region's."""
    consultation = (
        Consultation.objects.select_related("region", "strategy").filter(slug=slug).first()
    )
    if consultation is None:
        raise Http404
    if not rules.can_manage_consultation(user, consultation):
        raise PermissionDenied
    return consultation


def meeting_get_for_manager(*, slug: str, user: Any) -> Meeting:
    meeting = (
        Meeting.objects.select_related("consultation__region", "territory")
        .filter(slug=slug)
        .first()
    )
    if meeting is None:
        raise Http404
    if not rules.can_manage_consultation(user, meeting.consultation):
        raise PermissionDenied
    return meeting


def workshop_get_for_manager(*, workshop_id: int, user: Any) -> Workshop:
    workshop = (
        Workshop.objects.select_related("meeting__consultation__region", "theme")
        .filter(pk=workshop_id)
        .first()
    )
    if workshop is None:
        raise Http404
    if not rules.manages_workshop(user, workshop):
        raise PermissionDenied
    return workshop


def invitation_get_for_manager(*, consultation: Consultation, invitation_id: int) -> Invitation:
    """One of the consultation's invitations (its manager already checked); 404 otherwise."""
    invitation = Invitation.objects.filter(pk=invitation_id, consultation=consultation).first()
    if invitation is None:
        raise Http404
    return invitation


def invitation_get_by_token(*, token: str) -> Invitation:
    """The invitation a public link names, usable or not (the page says which); 404 if none."""
    invitation = (
        Invitation.objects.select_related("meeting", "consultation", "actor_type", "territory")
        .filter(token=token)
        .first()
    )
    if invitation is None:
        raise Http404
    return invitation


def device_token_holders(*, user: Any) -> QuerySet[User]:
    """Whom ``user`` may make a device token for (``rules.can_issue_device_token_for``): any
    active staff for the national coordinator; the facilitators and rapporteurs of the round
    tables of a regional coordinator's consultations. Nobody for anyone else."""
    staff = User.objects.filter(is_active=True).order_by("username")
    if not rules.can_issue_device_tokens(user):
        return staff.none()
    if rules.is_national_coordinator(user):
        return staff.filter(
            Q(is_superuser=True) | Q(role__in=[*rules.WORKSPACE_ROLES, Role.NATIONAL_COORDINATOR])
        )
    tables = Workshop.objects.filter(meeting__consultation__coordinators=user)
    return staff.filter(
        Q(pk__in=tables.values("facilitator")) | Q(pk__in=tables.values("rapporteur"))
    )
