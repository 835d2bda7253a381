"""Every write to consultations, meetings, workshops and registrations: keyword-only, atomic,
translated ``DomainError``s (STYLE.md). The services live by subject in this package; import them
from here."""

from tashawur.consultations.services.reference import (
    theme_subtheme_slug,
    themes_load_reference,
)
from tashawur.consultations.services.registration import (
    attendance_record,
    meeting_register,
    registration_cancel,
)
from tashawur.consultations.services.workshops import (
    CLOSING_REPORT_MAX_LENGTH,
    workshop_close,
    workshop_not_open_error,
    workshop_open,
    workshop_status_locked,
)

__all__ = [
    "CLOSING_REPORT_MAX_LENGTH",
    "attendance_record",
    "meeting_register",
    "registration_cancel",
    "theme_subtheme_slug",
    "themes_load_reference",
    "workshop_close",
    "workshop_not_open_error",
    "workshop_open",
    "workshop_status_locked",
]
