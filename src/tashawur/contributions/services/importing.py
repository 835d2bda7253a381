"""Importing a round table's notes from a CSV or XLSX file (``contributions.note_files``): all
or nothing.

Two calls, both taking the file itself (its bytes and its name), so that a web page, the API or
a command use them alike::

    plan = contributions_import_check(workshop=w, data=content, filename="notes.xlsx", by=user)
    result = contributions_import(workshop=w, data=content, filename="notes.xlsx", by=user)

``contributions_import_check`` writes nothing: it says, row by row, what would be stored and
every row's errors (``plan.ok`` when none). ``contributions_import`` stores every new row
through ``contribution_submit`` (channel ``import``, ``recorded_by`` the importing user) in one
transaction, or raises ``NotesImportRefused`` (``.plan`` lists every row's errors) and stores
nothing. A file-level problem (type, size, zip bomb, encoding, header, rows over the limit), a
workshop that is not open, or a user who may not import raise a plain ``DomainError``.

Each row's idempotency key is derived from the workshop and the row's ``reference`` when the
file gives one (a corrected file imported again stores only its new references), else from the
file's SHA-256 and the row's number: importing the same file again stores nothing new (its rows
are "already imported"). A reference given twice in one file refuses both rows.

``said_at`` (a time of day, or a date and time) is stored as the moment the note was said: a
time of day is on the meeting's day, in the meeting's time zone (the site's).

The speaker column names a person registered for the meeting or on the round table's roster
(``consultations.selectors.workshop_speakers``), by exact name (the organisation column tells
namesakes apart) or by their account's phone number or e-mail address. A speaker who is not
found is left out: the contribution is stored without an author ("not named"), the importer as
its recorder. A named speaker stands as in the facilitator's form: one who declined to take
part refuses the row; one never asked has their oral consent recorded by the importer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tashawur.actors.models import Consent, Participant
from tashawur.actors.services import (
    consent_record,
    participant_consent_answer,
    phone_normalise,
)
from tashawur.consultations.models import Consultation, Dimension, Workshop
from tashawur.consultations.selectors import workshop_speakers
from tashawur.consultations.services import (
    workshop_not_open_error,
    workshop_status_and_moderation_locked,
)
from tashawur.contributions import note_files, rules
from tashawur.contributions.models import TEXT_MAX_LENGTH, Channel, Contribution, Language
from tashawur.contributions.note_files import NoteRow
from tashawur.contributions.services.submissions import contribution_submit
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.validation import user_text_clean

#: What a row's speaker turned out to be.
NAMED, NOT_NAMED, NO_SPEAKER = "named", "not_named", "no_speaker"
#: Not named either: several speakers have that name, and no organisation tells them apart.
AMBIGUOUS = "ambiguous"
#: What a row does.
NEW, ALREADY = "new", "already"

_TIME_FORMATS = ("%H:%M", "%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M")
_SPACES = re.compile(r"\s+")


@dataclass
class NoteResult:
    """One row of the file: what it would store, or, when ``errors``, why it cannot.

    ``speaker`` is what the file says; ``author`` the participant it matched (``None``:
    stored without a name, see ``speaker_status``)."""

    number: int
    text: str
    dimension: str = ""
    language: str | None = None
    said_at: dt.time | dt.datetime | None = None
    speaker: str = ""
    speaker_status: str = NO_SPEAKER
    author: Participant | None = None
    idempotency_key: str = ""
    reference: str = ""
    action: str = NEW
    contribution_id: int | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def dimension_label(self) -> str:
        return str(Dimension(self.dimension).label) if self.dimension else ""

    @property
    def language_label(self) -> str:
        return str(Language(self.language).label) if self.language else ""


@dataclass
class NotesImportPlan:
    """What importing a file into ``workshop`` does, row by row."""

    workshop: Workshop
    filename: str
    digest: str
    rows: list[NoteResult]
    #: Whether new contributions wait for a moderator (pre-moderation, importer no moderator).
    pending: bool = False

    @property
    def ok(self) -> bool:
        return bool(self.rows) and all(row.ok for row in self.rows)

    @property
    def refused(self) -> list[NoteResult]:
        return [row for row in self.rows if not row.ok]

    @property
    def new(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.action == NEW)

    @property
    def already(self) -> int:
        return sum(1 for row in self.rows if row.ok and row.action == ALREADY)

    @property
    def not_named(self) -> int:
        return sum(
            1
            for row in self.rows
            if row.ok and row.action == NEW and row.speaker_status in {NOT_NAMED, AMBIGUOUS}
        )


@dataclass(frozen=True)
class NotesImportResult:
    """What ``contributions_import`` stored: ``created`` new contributions (their ids in
    ``plan.rows``), ``already`` rows that an earlier import of the same file stored."""

    plan: NotesImportPlan
    created: int
    already: int
    pending: bool


class NotesImportRefused(DomainError):
    """At least one row is wrong: nothing was written. ``plan`` says row by row why."""

    def __init__(self, plan: NotesImportPlan) -> None:
        first = plan.refused[0]
        message = _("Row %(row)s: %(reason)s") % {
            "row": first.number,
            "reason": first.errors[0],
        }
        super().__init__(message, code="import_refused", field="file")
        self.plan = plan


# --- reading one row ----------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _choice_lookup(choices: Any) -> dict[str, str]:
    """Every way a file may write a choice: its value, and its label in English, Arabic and
    French, case-insensitive."""
    lookup: dict[str, str] = {}
    for language in ("en", "ar", "fr"):
        with translation.override(language):
            for choice in choices:
                lookup.setdefault(str(choice.label).casefold(), choice.value)
    for choice in choices:
        lookup[choice.value.casefold()] = choice.value
    return lookup


def _dimension(value: Any) -> str:
    text = _text(value)
    if not text:
        raise DomainError(
            _("The dimension is required: one of %(dimensions)s.")
            % {"dimensions": ", ".join(Dimension.values)},
            code="dimension_required",
        )
    found = _choice_lookup(Dimension).get(text.casefold())
    if found is None:
        raise DomainError(
            _("“%(value)s” is not a dimension; use one of: %(dimensions)s.")
            % {"value": text[:40], "dimensions": ", ".join(Dimension.values)},
            code="dimension_invalid",
        )
    return found


def _language(value: Any) -> str | None:
    text = _text(value)
    if not text:
        return None
    found = _choice_lookup(Language).get(text.casefold())
    if found is None:
        raise DomainError(
            _("“%(value)s” is not a language; use one of: %(languages)s, or leave it empty.")
            % {"value": text[:40], "languages": ", ".join(Language.values)},
            code="language_invalid",
        )
    return None if found == Language.UNDETERMINED else found


def _said_at(value: Any) -> dt.time | dt.datetime | None:
    if value is None or isinstance(value, dt.time | dt.datetime):
        return value
    if isinstance(value, dt.timedelta):  # a spreadsheet's duration read as a time of day
        seconds = int(value.total_seconds()) % 86_400
        return dt.time(seconds // 3600, seconds % 3600 // 60, seconds % 60)
    text = _text(value)
    for fmt in _TIME_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.time() if fmt.startswith("%H") else parsed
    raise DomainError(
        _("“%(value)s” is not a time: write it as 14:30.") % {"value": text[:40]},
        code="said_at_invalid",
    )


class _Speakers:
    """The workshop's speakers, found by exact name, phone number or e-mail address."""

    def __init__(self, workshop: Workshop) -> None:
        self.people = list(
            workshop_speakers(workshop=workshop)
            .select_related("user")
            .prefetch_related("organisations")
        )
        self.by_name: dict[str, list[Participant]] = {}
        self.by_phone: dict[str, Participant] = {}
        self.by_email: dict[str, Participant] = {}
        self._declined: dict[int, bool] = {}
        for person in self.people:
            self.by_name.setdefault(_name_key(person.display_name), []).append(person)
            if person.user is not None:
                if person.user.username.startswith("+"):
                    self.by_phone[person.user.username] = person
                if person.user.email:
                    self.by_email[person.user.email.casefold()] = person

    def declined(self, person: Participant) -> bool:
        """Whether the person declined to take part (asked once per person and file)."""
        if person.pk not in self._declined:
            answer = participant_consent_answer(participant=person)
            self._declined[person.pk] = answer is False
        return self._declined[person.pk]

    def find(self, speaker: str, organisation: str) -> Participant | None:
        """The one speaker the cell names; ``None`` when none or several (``ambiguous``)."""
        if "@" in speaker:
            return self.by_email.get(speaker.casefold())
        if speaker.lstrip("+").replace(" ", "").replace(".", "").replace("-", "").isdigit():
            try:
                return self.by_phone.get(phone_normalise(speaker))
            except DomainError:
                return None
        named = self.by_name.get(_name_key(speaker), [])
        if len(named) > 1 and organisation:
            key = _name_key(organisation)
            named = [
                person
                for person in named
                if any(
                    key in {_name_key(o.name), _name_key(o.name_fr), _name_key(o.slug)}
                    for o in person.organisations.all()
                )
            ]
        return named[0] if len(named) == 1 else None

    def ambiguous(self, speaker: str) -> bool:
        return len(self.by_name.get(_name_key(speaker), [])) > 1


def _name_key(name: str) -> str:
    return _SPACES.sub(" ", name or "").strip().casefold()


_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")


#: What sets a referenced row's key apart: ``import:<workshop>:ref:<reference>``.
NOTE_REFERENCE_MARK = ":ref:"


def note_reference_key(workshop: Workshop, reference: str) -> str:
    """The idempotency key of a row with its own ``reference`` (at most 64 characters of
    ``core.validation``'s alphabet)."""
    return f"import:{workshop.pk}{NOTE_REFERENCE_MARK}{reference}"


def _key(workshop: Workshop, digest: str, number: int) -> str:
    """The row's idempotency key: at most 64 letters, digits and colons (``core.validation``)."""
    return f"import:{workshop.pk}:{digest[:24]}:{number}"


def _reference(value: Any) -> str:
    text = _text(value)
    if text and not _REFERENCE.fullmatch(text):
        raise DomainError(
            _(
                "“%(value)s” is not a reference: use 1 to 40 letters, digits, dots, hyphens or "
                "underscores, starting with a letter or a digit."
            )
            % {"value": text[:40]},
            code="reference_invalid",
        )
    return text


def said_at_moment(said_at: dt.time | dt.datetime | None, workshop: Workshop) -> dt.datetime | None:
    """A row's ``said_at`` as a moment: a time of day on the meeting's day, a naive date and
    time in the site's time zone."""
    if said_at is None:
        return None
    zone = timezone.get_default_timezone()
    if isinstance(said_at, dt.datetime):
        return said_at if timezone.is_aware(said_at) else timezone.make_aware(said_at, zone)
    day = timezone.localtime(workshop.meeting.starts_at, zone).date()
    return dt.datetime.combine(day, said_at, tzinfo=zone)


def _read_row(row: NoteRow, *, workshop: Workshop, digest: str, speakers: _Speakers) -> NoteResult:
    cells = row.cells
    result = NoteResult(number=row.number, text=_text(cells["text"])[:200])
    result.idempotency_key = _key(workshop, digest, row.number)

    def check(column: str, call: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return call(*args, **kwargs)
        except DomainError as error:
            result.errors.append(f"{column}: {error.message}")
            return None

    text = check(
        "text",
        user_text_clean,
        _text(cells["text"]),
        field="text",
        max_length=TEXT_MAX_LENGTH,
        required=True,
    )
    if text is not None:
        result.text = text
    result.dimension = check("dimension", _dimension, cells["dimension"]) or ""
    result.language = check("language", _language, cells["language"])
    result.said_at = check("said_at", _said_at, cells["said_at"])
    result.reference = check("reference", _reference, cells["reference"]) or ""
    if result.reference:
        result.idempotency_key = note_reference_key(workshop, result.reference)
    result.speaker = _text(cells["speaker"])[:200]
    if result.speaker:
        result.author = speakers.find(result.speaker, _text(cells["organisation"]))
        if result.author is not None:
            result.speaker_status = NAMED
        else:
            result.speaker_status = AMBIGUOUS if speakers.ambiguous(result.speaker) else NOT_NAMED
        if result.author is not None and speakers.declined(result.author):
            result.errors.append(
                "speaker: "
                + _(
                    "This participant declined to take part: their words cannot be recorded "
                    "unless they give their consent."
                )
            )
    return result


# --- the whole file -----------------------------------------------------------------------------


def _may_import(by: User | None, workshop: Workshop) -> None:
    if by is None or not rules.can_import_notes(by, workshop):
        raise DomainError(
            _(
                "Only this round table's facilitator, its rapporteur and those who manage its "
                "consultation may import its notes."
            ),
            code="import_forbidden",
        )


def _pending(workshop: Workshop, by: User) -> bool:
    moderation = Consultation.objects.values_list("moderation", flat=True).get(
        pk=workshop.meeting.consultation_id
    )
    return moderation == Consultation.Moderation.PRE and not rules.can_moderate(by, workshop)


def _plan(
    *, workshop: Workshop, data: bytes, filename: str, by: User, status: str
) -> NotesImportPlan:
    _may_import(by, workshop)
    if status != Workshop.Status.OPEN:
        raise workshop_not_open_error(status)
    rows = note_files.read(name=filename, content=data)
    digest = hashlib.sha256(data).hexdigest()
    speakers = _Speakers(workshop)
    results = [_read_row(row, workshop=workshop, digest=digest, speakers=speakers) for row in rows]
    seen: dict[str, NoteResult] = {}
    for result in results:
        if not result.reference:
            continue
        first = seen.setdefault(result.reference, result)
        if first is not result:
            message = _("reference: “%(reference)s” is given to rows %(first)s and %(row)s.") % {
                "reference": result.reference,
                "first": first.number,
                "row": result.number,
            }
            for duplicate in (first, result):
                if message not in duplicate.errors:
                    duplicate.errors.append(message)
    keys = [result.idempotency_key for result in results]
    stored = set(
        Contribution.objects.filter(
            workshop=workshop, channel=Channel.IMPORT, idempotency_key__in=keys
        ).values_list("idempotency_key", flat=True)
    )
    for result in results:
        if result.idempotency_key in stored:
            result.action = ALREADY
    return NotesImportPlan(
        workshop=workshop,
        filename=filename,
        digest=digest,
        rows=results,
        pending=_pending(workshop, by),
    )


def contributions_import_check(
    *, workshop: Workshop, data: bytes, filename: str, by: User
) -> NotesImportPlan:
    """What importing the file ``data`` (named ``filename``: ``.csv`` or ``.xlsx``) into
    ``workshop`` would store, row by row, and every row's errors; writes nothing. A file, a
    workshop or a user that cannot import at all raise ``DomainError``."""
    return _plan(workshop=workshop, data=data, filename=filename, by=by, status=workshop.status)


@transaction.atomic
def contributions_import(
    *, workshop: Workshop, data: bytes, filename: str, by: User
) -> NotesImportResult:
    """Import the file ``data`` (named ``filename``) into ``workshop``, every row or none: any
    wrong row raises ``NotesImportRefused`` and nothing is written. Rows an earlier import of the
    same file stored are counted in ``already`` and stored again nowhere."""
    # Under the workshop's lock for the whole import: a close waits for it, or refuses it.
    locked = workshop_status_and_moderation_locked(workshop_id=workshop.pk)
    plan = _plan(workshop=workshop, data=data, filename=filename, by=by, status=locked[0])
    if not plan.ok:
        raise NotesImportRefused(plan)
    consented: set[int] = set()
    for result in plan.rows:
        if result.action != NEW:
            continue
        try:
            author = result.author
            if author is not None and author.pk not in consented:
                if participant_consent_answer(participant=author) is None:
                    consent_record(
                        participant=author,
                        granted=True,
                        method=Consent.Method.ORAL,
                        recorded_by=by,
                    )
                consented.add(author.pk)
            submission = contribution_submit(
                workshop=workshop,
                text=result.text,
                dimension=result.dimension,
                channel=Channel.IMPORT,
                author=author,
                recorded_by=by,
                language=result.language,
                idempotency_key=result.idempotency_key,
                said_at=said_at_moment(result.said_at, workshop),
                workshop_locked=locked,
            )
        except DomainError as error:
            result.errors.append(error.message)
            raise NotesImportRefused(plan) from None
        if submission.created:
            result.contribution_id = submission.contribution.pk
        else:
            result.action = ALREADY
    return NotesImportResult(
        plan=plan,
        created=sum(1 for row in plan.rows if row.contribution_id is not None),
        already=plan.already,
        pending=plan.pending,
    )


__all__ = [
    "ALREADY",
    "AMBIGUOUS",
    "NAMED",
    "NEW",
    "NOTE_REFERENCE_MARK",
    "NOT_NAMED",
    "NoteResult",
    "NotesImportPlan",
    "NotesImportRefused",
    "NotesImportResult",
    "contributions_import",
    "contributions_import_check",
    "note_reference_key",
    "said_at_moment",
]
