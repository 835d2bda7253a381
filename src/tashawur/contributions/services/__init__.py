"""Every write to contributions, votes and their moderation: keyword-only, atomic, translated
``DomainError``s (STYLE.md). The services live by subject in this package; import them from here.
"""

from tashawur.contributions.services.closing import (
    workshop_close_with_report,
)
from tashawur.contributions.services.erasure import (
    participant_erase,
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
from tashawur.contributions.services.votes import (
    Ballot,
    contribution_vote_counters_recompute,
    vote_cast,
)

__all__ = [
    "Ballot",
    "Report",
    "Submission",
    "contribution_flag",
    "contribution_identify_language",
    "contribution_language_identify",
    "contribution_moderate",
    "contribution_submit",
    "contribution_vote_counters_recompute",
    "participant_erase",
    "vote_cast",
    "workshop_close_with_report",
]
