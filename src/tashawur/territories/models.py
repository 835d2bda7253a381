from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tashawur.core.i18n import pick_label
from tashawur.core.models import TimeStampedModel


class Territory(TimeStampedModel):
    """Country → region (HCP codes 01–12) → prefecture/province → commune."""

    class Level(models.TextChoices):
        COUNTRY = "country", _("Country")
        REGION = "region", _("Region")
        PROVINCE = "province", _("Prefecture or province")
        COMMUNE = "commune", _("Commune")

    class Kind(models.TextChoices):
        COUNTRY = "country", _("Country")
        REGION = "region", _("Region")
        PREFECTURE = "prefecture", _("Prefecture")
        PROVINCE = "province", _("Province")
        URBAN_COMMUNE = "urban_commune", _("Urban commune")
        RURAL_COMMUNE = "rural_commune", _("Rural commune")

    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    code = models.CharField(_("HCP code"), max_length=16, unique=True)
    iso_code = models.CharField(_("ISO 3166-2 code"), max_length=16, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    name_ar = models.CharField(_("name (Arabic)"), max_length=200)
    name_fr = models.CharField(_("name (French)"), max_length=200)
    name_zgh = models.CharField(_("name (Tifinagh)"), max_length=200, blank=True)
    population = models.PositiveIntegerField(_("population"), null=True, blank=True)
    population_year = models.PositiveSmallIntegerField(_("census year"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    source = models.TextField(_("source"), blank=True)

    class Meta:
        verbose_name = _("territory")
        verbose_name_plural = _("territories")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="country", parent__isnull=True)
                | (~Q(level="country") & Q(parent__isnull=False)),
                name="territory_only_country_is_root",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return pick_label(ar=self.name_ar, fr=self.name_fr)
