from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "tashawur.consultations"
    verbose_name = _("Consultations")

    def ready(self) -> None:
        # The cached public pages' look-ups (generations.py): bumped by every save and delete.
        from tashawur.consultations import generations

        generations.signals_connect()
