from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiagnosisConfig(AppConfig):
    name = "tashawur.diagnosis"
    verbose_name = _("Diagnosis")

    def ready(self) -> None:
        from django.core import checks

        from tashawur.consultations.signals import workshop_closed
        from tashawur.diagnosis import generations
        from tashawur.diagnosis.checks import dask_scheduler_check
        from tashawur.diagnosis.receivers import workshop_closed_refresh

        workshop_closed.connect(workshop_closed_refresh, dispatch_uid="diagnosis-workshop-closed")
        # The cached public pages' versions (generations.py): bumped by every save and delete.
        generations.signals_connect()
        checks.register(dask_scheduler_check)
