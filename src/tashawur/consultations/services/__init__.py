"""Every write to consultations, meetings, workshops and registrations: keyword-only, atomic,
translated ``DomainError``s (STYLE.md). The services live by subject in this package; import them
from here."""

from tashawur.consultations.services.reference import (
    theme_subtheme_slug,
    themes_load_reference,
)
from tashawur.consultations.services.registration import (
    CheckIn,
    attendance_record,
    badge_code_grouped,
    badge_code_normalise,
    meeting_register,
    registration_cancel,
    registration_check_in,
    walk_in_register,
)
from tashawur.consultations.services.workshops import (
    CLOSING_REPORT_MAX_LENGTH,
    workshop_close,
    workshop_not_open_error,
    workshop_open,
    workshop_status_and_moderation_locked,
    workshop_status_locked,
)
from tashawur.consultations.services.workspace import (
    INVITATION_LIFETIME,
    AgendaItemSpec,
    agenda_items_replace,
    consultation_create,
    consultation_update,
    invitation_create,
    invitation_sign_up_count,
    invitation_usable,
    invitation_withdraw,
    meeting_create,
    meeting_update,
    workshop_create,
    workshop_update,
)

__all__ = [
    "CLOSING_REPORT_MAX_LENGTH",
    "INVITATION_LIFETIME",
    "AgendaItemSpec",
    "CheckIn",
    "agenda_items_replace",
    "attendance_record",
    "badge_code_grouped",
    "badge_code_normalise",
    "consultation_create",
    "consultation_update",
    "invitation_create",
    "invitation_sign_up_count",
    "invitation_usable",
    "invitation_withdraw",
    "meeting_create",
    "meeting_register",
    "meeting_update",
    "registration_cancel",
    "registration_check_in",
    "theme_subtheme_slug",
    "themes_load_reference",
    "walk_in_register",
    "workshop_close",
    "workshop_create",
    "workshop_not_open_error",
    "workshop_open",
    "workshop_status_and_moderation_locked",
    "workshop_status_locked",
    "workshop_update",
]
