"""A round table's life: opened, then closed with its report; its status read under lock."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tashawur.consultations.models import Consultation, Meeting, Workshop
from tashawur.consultations.signals import workshop_closed
from tashawur.core.errors import DomainError
from tashawur.core.text import clean_user_text, contains_bidi_controls

CLOSING_REPORT_MAX_LENGTH = 20_000


# --- workshops -------------------------------------------------------------------------------


def workshop_status_locked(*, workshop_id: int) -> str:
    """The workshop's status, read under a lock that holds until the transaction ends.

    Contributions and votes take a shared lock (PostgreSQL ``FOR SHARE``: they do not wait for
    each other) and ``workshop_close`` an exclusive one, so nothing lands in a workshop after it
    has closed. SQLite runs one writing transaction at a time (``IMMEDIATE``), which is as safe.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT status FROM {Workshop._meta.db_table} WHERE id = %s FOR SHARE",  # noqa: S608
                [workshop_id],
            )
            row = cursor.fetchone()
        if row is None:
            raise Workshop.DoesNotExist
        return str(row[0])
    return Workshop.objects.values_list("status", flat=True).get(pk=workshop_id)


def workshop_status_and_moderation_locked_with(
    *, workshop_id: int, reads: Sequence[tuple[str, Sequence[Any]]]
) -> tuple[str, str, list[Any]]:
    """``workshop_status_and_moderation_locked``, and the value of each of ``reads`` (the SQL
    of a query of one column and one row at most, and its parameters; ``None`` for no row),
    in order, read in the same statement as scalar subqueries: a contribution reads its
    sender's idempotency key and its author's consent with the status, one query, not three.
    The lock is the same: on the round table's row alone."""
    quote = connection.ops.quote_name
    columns = "".join(f", ({sql})" for sql, _params in reads)
    params: list[Any] = [param for _sql, read_params in reads for param in read_params]
    # SQLite: no row locks; its writing transactions run one at a time (IMMEDIATE).
    lock = " FOR SHARE OF w" if connection.vendor == "postgresql" else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.status, c.moderation{columns} "  # noqa: S608
            f"FROM {quote(Workshop._meta.db_table)} w "
            f"JOIN {quote(Meeting._meta.db_table)} m ON m.id = w.meeting_id "
            f"JOIN {quote(Consultation._meta.db_table)} c ON c.id = m.consultation_id "
            f"WHERE w.id = %s{lock}",
            [*params, workshop_id],
        )
        row = cursor.fetchone()
    if row is None:
        raise Workshop.DoesNotExist
    return str(row[0]), str(row[1]), list(row[2:])


def workshop_status_and_moderation_locked(*, workshop_id: int) -> tuple[str, str]:
    """The workshop's status, under the lock of ``workshop_status_locked``, and its
    consultation's moderation (pre or post), read in the same query: a contribution needs
    both, and asking twice made every submission one query longer."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT w.status, c.moderation FROM {Workshop._meta.db_table} w "  # noqa: S608
                f"JOIN {Meeting._meta.db_table} m ON m.id = w.meeting_id "
                f"JOIN {Consultation._meta.db_table} c ON c.id = m.consultation_id "
                "WHERE w.id = %s FOR SHARE OF w",
                [workshop_id],
            )
            row = cursor.fetchone()
        if row is None:
            raise Workshop.DoesNotExist
        return str(row[0]), str(row[1])
    status, moderation = Workshop.objects.values_list(
        "status", "meeting__consultation__moderation"
    ).get(pk=workshop_id)
    return status, moderation


def workshop_not_open_error(status: str) -> DomainError:
    if status == Workshop.Status.CLOSED:
        message = _("This workshop is closed: it no longer takes contributions or votes.")
    else:
        message = _("This workshop has not opened yet.")
    return DomainError(message, code="workshop_not_open")


@transaction.atomic
def workshop_open(*, workshop: Workshop) -> Workshop:
    """Open a planned workshop; its meeting is then under way."""
    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if locked.status == Workshop.Status.OPEN:
        raise DomainError(_("This workshop is already open."), code="workshop_already_open")
    if locked.status == Workshop.Status.CLOSED:
        raise DomainError(
            _("This workshop is closed and cannot be opened again."), code="workshop_closed"
        )
    locked.status = Workshop.Status.OPEN
    locked.opened_at = timezone.now()
    locked.save(update_fields=["status", "opened_at", "updated_at"])
    Meeting.objects.filter(pk=locked.meeting_id, status=Meeting.Status.PLANNED).update(
        status=Meeting.Status.OPEN, updated_at=timezone.now()
    )
    return locked


@transaction.atomic
def workshop_close(*, workshop: Workshop, closing_report: str) -> Workshop:
    """Close an open workshop with its rapporteur's closing report.

    Takes the workshop row exclusively, so a contribution or vote in flight either lands before
    the close or is refused.
    """
    if contains_bidi_controls(closing_report):
        raise DomainError(
            _("The report contains invisible direction-control characters; remove them."),
            code="text_bidi_controls",
            field="closing_report",
        )
    report = clean_user_text(closing_report)
    if not report:
        raise DomainError(
            _("Write the closing report before closing the workshop."),
            code="closing_report_empty",
            field="closing_report",
        )
    if len(report) > CLOSING_REPORT_MAX_LENGTH:
        raise DomainError(
            _("The closing report is too long: %(length)s characters, at most %(max)s.")
            % {"length": len(report), "max": CLOSING_REPORT_MAX_LENGTH},
            code="text_too_long",
            field="closing_report",
        )
    locked = Workshop.objects.select_for_update().get(pk=workshop.pk)
    if locked.status == Workshop.Status.CLOSED:
        raise DomainError(_("This workshop is already closed."), code="workshop_already_closed")
    if locked.status != Workshop.Status.OPEN:
        raise DomainError(
            _("This workshop has not opened yet, so it cannot be closed."),
            code="workshop_not_open",
        )
    locked.status = Workshop.Status.CLOSED
    locked.closed_at = timezone.now()
    locked.closing_report = report
    locked.save(update_fields=["status", "closed_at", "closing_report", "updated_at"])
    # Once committed, and robust: a receiver that fails never undoes or refuses the close.
    transaction.on_commit(
        lambda: workshop_closed.send(sender=Workshop, workshop=locked), robust=True
    )
    return locked
