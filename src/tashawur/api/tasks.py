"""Background entry points: they take ids, load objects and call a service.

The open-data ZIP's rebuild is defined next to what enqueues it (``archives``), so that the
archives never import this module; the worker and callers find it here too.
"""

from __future__ import annotations

from tashawur.api.archives import open_data_archive_task

__all__ = ["open_data_archive_task"]
