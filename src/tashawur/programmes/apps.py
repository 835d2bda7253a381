from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgrammesConfig(AppConfig):
    name = "tashawur.programmes"
    verbose_name = _("Programmes")

    def ready(self) -> None:
        # The cached public pages' versions (generations.py): bumped by every save and delete.
        from tashawur.programmes import generations

        generations.signals_connect()
