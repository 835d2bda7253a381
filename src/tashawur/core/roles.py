from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The people of DESIGN.md §1. A user holds one role; scope comes from assignments
    (a consultation's coordinators, a workshop's facilitator and rapporteur)."""

    NATIONAL_COORDINATOR = "national_coordinator", _("National coordinator")
    REGIONAL_COORDINATOR = "regional_coordinator", _("Regional coordinator")
    FACILITATOR = "facilitator", _("Facilitator")
    RAPPORTEUR = "rapporteur", _("Rapporteur")
    ANALYST = "analyst", _("Analyst")
    PARTICIPANT = "participant", _("Participant")
