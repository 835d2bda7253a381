from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContributionsConfig(AppConfig):
    name = "tashawur.contributions"
    verbose_name = _("Contributions")

    def ready(self) -> None:
        # The cached public pages' versions (generations.py): bumped by every save and delete.
        from tashawur.contributions import generations

        generations.signals_connect()
