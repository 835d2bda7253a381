"""Every write to contributions, votes and their moderation: keyword-only, atomic, translated
``DomainError``s (STYLE.md). The services live by subject in this package; import them from here.
"""

from tashawur.contributions.services.closing import (
    workshop_close_with_report,
)
from tashawur.contributions.services.erasure import (
    participant_erase,
)
from tashawur.contributions.services.import_jobs import (
    notes_import_execute,
    notes_import_in_background,
    notes_import_queue,
    notes_import_run,
)
from tashawur.contributions.services.importing import (
    NotesImportPlan,
    NotesImportRefused,
    NotesImportResult,
    contributions_import,
    contributions_import_check,
    note_reference_key,
)
from tashawur.contributions.services.inbound import (
    InboundResult,
    inbound_message_receive,
)
from tashawur.contributions.services.moderation import (
    Report,
    contribution_flag,
    contribution_moderate,
)
from tashawur.contributions.services.submissions import (
    Submission,
    contribution_identify_language,
    contribution_language_identify,
    contribution_submit,
)
from tashawur.contributions.services.voice import (
    VoiceNote,
    contribution_transcribe,
    voice_note_check,
)
from tashawur.contributions.services.votes import (
    Ballot,
    QuickBallot,
    contribution_vote_counters_recompute,
    vote_cast,
    vote_cast_quick,
)

__all__ = [
    "Ballot",
    "InboundResult",
    "NotesImportPlan",
    "NotesImportRefused",
    "NotesImportResult",
    "QuickBallot",
    "Report",
    "Submission",
    "VoiceNote",
    "contribution_flag",
    "contribution_identify_language",
    "contribution_language_identify",
    "contribution_moderate",
    "contribution_submit",
    "contribution_transcribe",
    "contribution_vote_counters_recompute",
    "contributions_import",
    "contributions_import_check",
    "inbound_message_receive",
    "note_reference_key",
    "notes_import_execute",
    "notes_import_in_background",
    "notes_import_queue",
    "notes_import_run",
    "participant_erase",
    "voice_note_check",
    "vote_cast",
    "vote_cast_quick",
    "workshop_close_with_report",
]
