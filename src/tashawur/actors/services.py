from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from tashawur.actors.models import (
    ActorType,
    Consent,
    ConsentText,
    Organisation,
    Participant,
    QualitySign,
)
from tashawur.core.data import ReferenceLoad, read_package_csv, read_package_yaml, upsert
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.roles import Role
from tashawur.core.validation import user_text_clean
from tashawur.territories.models import Territory

_PACKAGE = "tashawur.actors"
# What an erased participant's name becomes: a mark, not a word, so it reads in any language.
ERASED_NAME = "—"


# --- reference data --------------------------------------------------------------------------


@transaction.atomic
def actor_types_load_reference() -> ReferenceLoad:
    """Load the actor types and their subtypes (slug ``<type>-<subtype>``); idempotent."""
    data = read_package_yaml(_PACKAGE, "actor_types.yaml")
    load = ReferenceLoad()
    for position, item in enumerate(data["actor_types"], start=1):
        actor_type, status = upsert(
            ActorType,
            slug=item["id"],
            defaults={
                "category": item["category"],
                "parent": None,
                "label_ar": item["label"]["ar"],
                "label_fr": item["label"]["fr"],
                "label_en": item["label"]["en"],
                "legal_basis": item.get("legal_basis", ""),
                "source": item.get("source", ""),
                "needs_verification": bool(item.get("verify", False)),
                "position": position * 100,
            },
        )
        load.count(status)
        for sub_position, sub in enumerate(item.get("subtypes", []), start=1):
            _, status = upsert(
                ActorType,
                slug=actor_subtype_slug(item["id"], sub["id"]),
                defaults={
                    "category": item["category"],
                    "parent": actor_type,
                    "label_ar": sub["label"]["ar"],
                    "label_fr": sub["label"]["fr"],
                    "label_en": sub["label"]["en"],
                    "needs_verification": bool(sub.get("verify", False)),
                    "position": position * 100 + sub_position,
                },
            )
            load.count(status)
    return load


def actor_subtype_slug(type_id: str, subtype_id: str) -> str:
    return f"{type_id}-{subtype_id}"


def _optional_year(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value else None


@transaction.atomic
def quality_signs_load_reference() -> ReferenceLoad:
    """Load the distinctive signs of origin and quality, keyed by name; idempotent."""
    load = ReferenceLoad()
    for row in read_package_csv(_PACKAGE, "quality_signs.csv"):
        _, status = upsert(
            QualitySign,
            name=row["name"],
            defaults={
                "sign_type": row["type"],
                "product": row["product"],
                "region_text": row["region"],
                "area": row["area"],
                "year": _optional_year(row["year"]),
                "year_note": row["year_note"],
                "holder": row["holder_or_applicant"],
                "status": row["status"],
                "source": row["source"],
            },
        )
        load.count(status)
    return load


@transaction.atomic
def consent_texts_load_reference() -> ReferenceLoad:
    """Publish the shipped consent texts; a published version is never changed afterwards."""
    load = ReferenceLoad()
    for item in read_package_yaml(_PACKAGE, "consent_texts.yaml")["consent_texts"]:
        published_at = parse_datetime(str(item["published_at"]))
        if published_at is None:
            raise ValueError(f"consent_texts.yaml: bad published_at {item['published_at']!r}")
        _, created = ConsentText.objects.get_or_create(
            purpose=item["purpose"],
            version=item["version"],
            defaults={
                "text_ar": item["text_ar"].strip(),
                "text_fr": item["text_fr"].strip(),
                "published_at": published_at,
            },
        )
        load.count("created" if created else "unchanged")
    return load


# --- consent ---------------------------------------------------------------------------------


def _consent_texts_published(*, purpose: str) -> QuerySet[ConsentText]:
    """The published versions of the consent text for ``purpose``, the latest first."""
    return ConsentText.objects.filter(purpose=purpose, published_at__lte=timezone.now()).order_by(
        "-version"
    )


def consent_text_current(*, purpose: str) -> ConsentText | None:
    """The latest published version of the consent text for ``purpose``."""
    return _consent_texts_published(purpose=purpose).first()


@transaction.atomic
def consent_record(
    *,
    participant: Participant,
    granted: bool,
    method: str,
    purpose: str = ConsentText.Purpose.PARTICIPATION,
    consent_text: ConsentText | None = None,
    recorded_by: User | None = None,
) -> Consent:
    """Record a participant's answer to a version of a consent text (the current one by default).

    An earlier answer to the same version is marked withdrawn, never deleted: the history of
    what was agreed, when and how, is kept.
    """
    if method not in Consent.Method.values:
        raise DomainError(
            _("“%(method)s” is not a way of recording consent.") % {"method": method},
            code="consent_method_invalid",
            field="method",
        )
    if participant.erased_at is not None:
        raise DomainError(_("This participant's data has been erased."), code="participant_erased")
    if consent_text is None:
        consent_text = consent_text_current(purpose=purpose)
        if consent_text is None:
            raise DomainError(
                _("No consent text has been published for this purpose yet."),
                code="consent_text_missing",
            )
    # Lock the participant so that two simultaneous answers cannot both be "active".
    Participant.objects.select_for_update().filter(pk=participant.pk).first()
    now = timezone.now()
    Consent.objects.filter(
        participant=participant, consent_text=consent_text, withdrawn_at__isnull=True
    ).update(withdrawn_at=now)
    return Consent.objects.create(
        participant=participant,
        consent_text=consent_text,
        granted=granted,
        method=method,
        recorded_by=recorded_by,
    )


@transaction.atomic
def consent_withdraw(*, participant: Participant, purpose: str) -> int:
    """Withdraw every active consent of ``participant`` for ``purpose``; returns how many."""
    # One by one (a participant holds a few): each save tells the caches of public data
    # (contributions.generations) that this person's contributions lost their link.
    now = timezone.now()
    withdrawn = list(
        Consent.objects.filter(
            participant=participant,
            consent_text__purpose=purpose,
            withdrawn_at__isnull=True,
        )
    )
    for consent in withdrawn:
        consent.withdrawn_at = now
        consent.save(update_fields=["withdrawn_at"])
    return len(withdrawn)


def participant_consent_answer(
    *, participant: Participant, purpose: str = ConsentText.Purpose.PARTICIPATION
) -> bool | None:
    """The participant's standing answer to the current text for ``purpose``: ``True`` (yes),
    ``False`` (declined) or ``None`` (never asked, withdrawn, or asked an older version)."""
    with connection.cursor() as cursor:
        cursor.execute(
            *participant_consent_answer_sql(participant_id=participant.pk, purpose=purpose)
        )
        row = cursor.fetchone()
    return None if row is None else bool(row[0])


def participant_consent_answer_sql(
    *, participant_id: int, purpose: str = ConsentText.Purpose.PARTICIPATION
) -> tuple[str, list[Any]]:
    """``participant_consent_answer``'s query and parameters: one row, its ``granted``, or
    none. In parentheses it is a scalar subquery, for a statement that reads it with other
    things (a contribution, with its round table's status: ``contribution_submit``)."""
    # One query: the current text (``consent_text_current``) as a subquery (none published: no
    # answer matches it); one active answer at most per text (``consent_one_active_per_text``).
    # Written by hand: every contribution asks, and the ORM spent 1 ms building it (issue 15).
    quote = connection.ops.quote_name
    return (
        f"SELECT a.granted FROM {quote(Consent._meta.db_table)} a "  # noqa: S608
        "WHERE a.participant_id = %s AND a.withdrawn_at IS NULL AND a.consent_text_id = "
        f"(SELECT t.id FROM {quote(ConsentText._meta.db_table)} t "
        "WHERE t.purpose = %s AND t.published_at <= %s ORDER BY t.version DESC LIMIT 1) "
        "LIMIT 1",
        [participant_id, purpose, connection.ops.adapt_datetimefield_value(timezone.now())],
    )


def participant_has_active_consent(
    *, participant: Participant, purpose: str = ConsentText.Purpose.PARTICIPATION
) -> bool:
    """True when the participant's standing answer to the current text for ``purpose`` is yes."""
    return participant_consent_answer(participant=participant, purpose=purpose) is True


# --- erasure (Law 09-08) ---------------------------------------------------------------------


@transaction.atomic
def participant_anonymise(
    *, participant: Participant, at: dt.datetime | None = None
) -> Participant:
    """Clear everything that leads to the person; callers above (``participant_erase`` in
    contributions) also clear what hangs off their contributions.

    The name, account, organisations, province, gender, age band and language are cleared, the
    pseudonym is replaced (so earlier open-data exports cannot be joined with later ones) and
    active consents are withdrawn; the consent history stays as proof of what was agreed.
    """
    participant = Participant.objects.select_for_update().get(pk=participant.pk)
    if participant.erased_at is not None:
        raise DomainError(
            _("This participant's data has already been erased."),
            code="participant_already_erased",
        )
    now = at or timezone.now()
    user = participant.user
    participant.display_name = ERASED_NAME
    participant.pseudonym = uuid.uuid4()
    participant.user = None
    participant.territory = None
    participant.actor_type = None
    participant.gender = Participant.Gender.UNDISCLOSED
    participant.age_band = Participant.AgeBand.UNDISCLOSED
    participant.preferred_language = ""
    participant.erased_at = now
    participant.save()
    participant.organisations.clear()
    Consent.objects.filter(participant=participant, withdrawn_at__isnull=True).update(
        withdrawn_at=now
    )
    if user is not None:
        user.username = f"erased-{user.pk}"
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
    return participant


# --- self sign-up ----------------------------------------------------------------------------

#: A replayed sign-up (the same form sent twice) is answered with the account it created if it
#: comes this soon after, with the same password.
SIGN_UP_REPLAY_WINDOW = dt.timedelta(minutes=10)
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]+")
_PHONE_INTERNATIONAL = re.compile(r"\+[1-9][0-9]{7,14}", re.ASCII)
_PHONE_MOROCCAN = re.compile(r"0[5-7][0-9]{8}", re.ASCII)
_NAME_MAX = 200
_EMAIL_MAX = 254


@dataclass(frozen=True)
class SignUp:
    participant: Participant
    created: bool


def phone_normalise(raw: str) -> str:
    """The phone number ``raw`` in international form (``+212612345678``), or a `DomainError`:
    a Moroccan number (``06 12 34 56 78``) or an international one (``+33 6…``, ``0033 6…``),
    with the digits 0 to 9 only."""
    phone = _PHONE_SEPARATORS.sub("", raw)
    if phone.startswith("00"):
        phone = "+" + phone[2:]
    if _PHONE_MOROCCAN.fullmatch(phone):
        phone = "+212" + phone[1:]
    if not _PHONE_INTERNATIONAL.fullmatch(phone):
        raise DomainError(
            _(
                "Write a phone number with the digits 0 to 9, such as 06 12 34 56 78 or "
                "+212 6 12 34 56 78."
            ),
            code="phone_invalid",
            field="phone",
        )
    return phone


def _email_clean(raw: str) -> str:
    email = raw.strip()
    try:
        if len(email) > _EMAIL_MAX:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise DomainError(
            _("Write an e-mail address such as name@example.ma."),
            code="email_invalid",
            field="email",
        ) from None
    local, _at, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _already_used(field: str) -> DomainError:
    if field == "phone":
        message = _("An account already uses this phone number: sign in instead.")
    else:
        message = _("An account already uses this e-mail address: sign in instead.")
    return DomainError(message, code="account_exists", field=field)


def _sign_up_replay(*, username: str, password: str) -> Participant | None:
    """The participant a sign-up with these credentials created a moment ago, if any."""
    user = User.objects.filter(username=username).first()
    if (
        user is None
        or user.date_joined < timezone.now() - SIGN_UP_REPLAY_WINDOW
        or not user.check_password(password)
    ):
        return None
    return Participant.objects.filter(user=user, erased_at__isnull=True).first()


def participant_sign_up(
    *,
    display_name: str,
    password: str,
    phone: str = "",
    email: str = "",
    territory: Territory,
    actor_type: ActorType,
    organisation: Organisation | None = None,
    consent_texts: list[ConsentText],
    preferred_language: str = "",
) -> SignUp:
    """Create an account (role participant), its participant and their consents, in one
    transaction; the person signs in with their phone number, else their e-mail address.

    ``consent_texts`` are the texts the person accepted; the current participation text must
    be among them. The same sign-up sent again soon after (a double click) returns the
    participant it created (``created`` false) rather than "already used".
    """
    display_name = user_text_clean(
        display_name, field="display_name", max_length=_NAME_MAX, required=True
    )
    phone = phone_normalise(phone) if phone.strip() else ""
    email = _email_clean(email) if email.strip() else ""
    if not phone and not email:
        raise DomainError(
            _("Give a phone number or an e-mail address (or both): you will sign in with it."),
            code="contact_required",
            field="phone",
        )
    if territory.level != Territory.Level.PROVINCE:
        raise DomainError(_("Choose a province."), code="province_invalid", field="territory")
    participation = consent_text_current(purpose=ConsentText.Purpose.PARTICIPATION)
    if participation is None:
        raise DomainError(
            _("No consent text has been published for this purpose yet."),
            code="consent_text_missing",
        )
    current_ids = {
        text.pk
        for purpose in ConsentText.Purpose.values
        if (text := consent_text_current(purpose=purpose)) is not None
    }
    if participation.pk not in {text.pk for text in consent_texts}:
        raise DomainError(
            _("To take part, accept the participation terms."),
            code="consent_required",
            field="consent",
        )
    if any(text.pk not in current_ids for text in consent_texts):
        raise DomainError(
            _("A consent text has changed since this page was shown: read it and accept again."),
            code="consent_text_outdated",
            field="consent",
        )
    username = phone or email
    user = User(username=username, email=email, first_name=display_name[:150])
    user.role = Role.PARTICIPANT
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        raise DomainError(
            " ".join(error.messages), code="password_weak", field="password"
        ) from None

    replay = _sign_up_replay(username=username, password=password)
    if replay is not None:
        return SignUp(participant=replay, created=False)
    if User.objects.filter(username__iexact=username).exists():
        raise _already_used("phone" if phone else "email")
    if email and User.objects.filter(email__iexact=email).exists():
        raise _already_used("email")
    try:
        with transaction.atomic():
            user.set_password(password)
            user.save()
            participant = Participant.objects.create(
                display_name=display_name,
                user=user,
                territory=territory,
                actor_type=actor_type,
                preferred_language=preferred_language,
            )
            if organisation is not None:
                participant.organisations.add(organisation)
            for text in consent_texts:
                consent_record(
                    participant=participant,
                    granted=True,
                    method=Consent.Method.WEB,
                    consent_text=text,
                    recorded_by=user,
                )
    except IntegrityError:
        # Two sign-ups with the same user name at once: the other one won.
        replay = _sign_up_replay(username=username, password=password)
        if replay is not None:
            return SignUp(participant=replay, created=False)
        raise _already_used("phone" if phone else "email") from None
    return SignUp(participant=participant, created=True)
