"""Every write to an action programme. Keyword-only, atomic; a broken rule raises a translated
``DomainError`` naming the field at fault (STYLE.md).

Who may call these is the views' and the admin's business (``programmes.rules``).

The programme and its measures are written in ``measures``, indicators and progress in
``progress``; ``checks`` holds what they share. Import the services from this package.
"""

from tashawur.programmes.services.checks import MONEY_MAX, NOTE_MAX_LENGTH, TITLE_MAX_LENGTH
from tashawur.programmes.services.measures import (
    measure_add,
    measure_move,
    measure_placement_check,
    measure_set_funding,
    measure_update,
    programme_adopt,
    programme_create,
)
from tashawur.programmes.services.progress import (
    indicator_add,
    measure_check_takes_progress,
    progress_check,
    progress_record,
)

__all__ = [
    "MONEY_MAX",
    "NOTE_MAX_LENGTH",
    "TITLE_MAX_LENGTH",
    "indicator_add",
    "measure_add",
    "measure_check_takes_progress",
    "measure_move",
    "measure_placement_check",
    "measure_set_funding",
    "measure_update",
    "programme_adopt",
    "programme_create",
    "progress_check",
    "progress_record",
]
