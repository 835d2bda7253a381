from django.apps import AppConfig
from django.urls import register_converter
from django.utils.translation import gettext_lazy as _

from tashawur.core.converters import IdConverter


class CoreConfig(AppConfig):
    name = "tashawur.core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Before any URLconf is read: the apps write ids in addresses as <id:pk>.
        register_converter(IdConverter, "id")
