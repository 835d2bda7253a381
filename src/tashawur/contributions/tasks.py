"""Background entry points: they take ids, load objects and call a service.

The language identification task is defined next to the service that enqueues it
(``services.contribution_identify_language``), so that this module imports the services and
never the reverse; the worker and callers find it here too.
"""

from __future__ import annotations

from tashawur.contributions.services import contribution_identify_language, notes_import_run

__all__ = ["contribution_identify_language", "notes_import_run"]
