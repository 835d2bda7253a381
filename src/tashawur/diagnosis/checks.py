"""System checks of the diagnosis's settings (``tashawur manage check``)."""

from __future__ import annotations

from typing import Any

from django.core import checks

from tashawur.diagnosis.services import executors


def dask_scheduler_check(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when ``TASHAWUR_DASK_SCHEDULER`` is set where Dask cannot be imported: every
    synthesis run would fail (``dask_missing``)."""
    if not executors.dask_scheduler() or executors.dask_installed():
        return []
    return [
        checks.Warning(
            "TASHAWUR_DASK_SCHEDULER is set but Dask's distributed package is not installed: "
            "every synthesis run will fail.",
            hint="Install the dask extra (pip install 'tashawur[dask]') or empty the setting.",
            id="tashawur.diagnosis.W001",
        )
    ]
