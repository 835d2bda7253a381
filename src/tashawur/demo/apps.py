from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "tashawur.demo"
    verbose_name = _("Souss-Massa 2018 demo")
