"""Every write to an action programme. Keyword-only, atomic; a broken rule raises a translated
``DomainError`` naming the field at fault (STYLE.md).

Who may call these is the views' and the admin's business (``programmes.rules``).

The programme and its measures are written in ``measures``, indicators and progress in
``progress``; ``checks`` holds what they share. Import the services from this package.
"""

from tashawur.programmes.services.checks import MONEY_MAX, NOTE_MAX_LENGTH, TITLE_MAX_LENGTH
from tashawur.programmes.services.editing import (
    indicator_update,
    indicator_value_record,
    measure_delete,
    measure_finding_link,
    measure_finding_unlink,
    measure_shift,
    programme_update,
)
from tashawur.programmes.services.importing import (
    ImportPlan,
    MeasuresImportRefused,
    measures_import,
    measures_import_check,
)
from tashawur.programmes.services.measures import (
    MEASURE_LEVELS,
    FundingTerms,
    measure_add,
    measure_move,
    measure_placement_check,
    measure_set_funding,
    measure_update,
    programme_adopt,
    programme_create,
)
from tashawur.programmes.services.progress import (
    EVIDENCE_TYPES,
    evidence_check,
    evidence_max_bytes,
    evidence_sniff,
    indicator_add,
    measure_check_takes_progress,
    progress_check,
    progress_record,
)

__all__ = [
    "EVIDENCE_TYPES",
    "MEASURE_LEVELS",
    "MONEY_MAX",
    "NOTE_MAX_LENGTH",
    "TITLE_MAX_LENGTH",
    "FundingTerms",
    "ImportPlan",
    "MeasuresImportRefused",
    "evidence_check",
    "evidence_max_bytes",
    "evidence_sniff",
    "indicator_add",
    "indicator_update",
    "indicator_value_record",
    "measure_add",
    "measure_check_takes_progress",
    "measure_delete",
    "measure_finding_link",
    "measure_finding_unlink",
    "measure_move",
    "measure_placement_check",
    "measure_set_funding",
    "measure_shift",
    "measure_update",
    "measures_import",
    "measures_import_check",
    "programme_adopt",
    "programme_create",
    "programme_update",
    "progress_check",
    "progress_record",
]
