import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tashawur.core.i18n import pick_label
from tashawur.core.models import TimeStampedModel


class ActorType(models.Model):
    """From the product's seed data (actor_types.yaml): a type, or a subtype of one."""

    slug = models.SlugField(_("identifier"), max_length=64, unique=True)
    category = models.CharField(_("category"), max_length=32)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subtypes",
    )
    label_ar = models.CharField(_("label (Arabic)"), max_length=200)
    label_fr = models.CharField(_("label (French)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    legal_basis = models.TextField(_("legal basis"), blank=True)
    source = models.TextField(_("source"), blank=True)
    needs_verification = models.BooleanField(_("needs verification"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("actor type")
        verbose_name_plural = _("actor types")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return pick_label(ar=self.label_ar, fr=self.label_fr, en=self.label_en)


class QualitySign(models.Model):
    """A distinctive sign of origin and quality (IGP, AOP, label agricole, collective mark…)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    sign_type = models.CharField(_("type"), max_length=64)
    product = models.CharField(_("product"), max_length=200)
    region_text = models.CharField(_("region"), max_length=300, blank=True)
    area = models.TextField(_("area"), blank=True)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    year_note = models.TextField(_("note on the year"), blank=True)
    holder = models.CharField(_("holder or applicant"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=64, blank=True)
    source = models.TextField(_("source"), blank=True)

    class Meta:
        verbose_name = _("quality sign")
        verbose_name_plural = _("quality signs")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sign_type})"


class Organisation(TimeStampedModel):
    class Sector(models.TextChoices):
        ARGAN = "argan", _("Argan")
        SAFFRON = "saffron", _("Saffron")
        DATES = "dates", _("Dates")
        ALMONDS = "almonds", _("Almonds")
        HONEY = "honey", _("Honey")
        CACTUS = "cactus", _("Cactus")
        AROMATIC_PLANTS = "aromatic_plants", _("Aromatic and medicinal plants")
        AGRICULTURE = "agriculture", _("Agriculture")
        LIVESTOCK = "livestock", _("Livestock")
        HANDICRAFT = "handicraft", _("Handicraft")
        FOOD = "food", _("Food processing")
        FISHING = "fishing", _("Fishing")
        TOURISM = "tourism", _("Tourism")
        SERVICES = "services", _("Services")
        FINANCE = "finance", _("Finance")
        PUBLIC = "public", _("Public service")
        TRAINING = "training", _("Training and research")
        MEDIA = "media", _("Media")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=300)
    name_fr = models.CharField(_("name (French)"), max_length=300, blank=True)
    slug = models.SlugField(_("identifier"), max_length=100, unique=True)
    actor_type = models.ForeignKey(
        ActorType, verbose_name=_("actor type"), on_delete=models.PROTECT, related_name="+"
    )
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="organisations",
    )
    sector = models.CharField(_("sector"), max_length=32, choices=Sector.choices)
    quality_signs = models.ManyToManyField(
        QualitySign, verbose_name=_("quality signs"), blank=True, related_name="organisations"
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Participant(TimeStampedModel):
    """A person taking part. Data is kept minimal (Law 09-08). ``pseudonym`` is an internal
    random handle (replaced on erasure); open data shows a keyed hash per consultation instead
    (``api.selectors.author_pseudonym``), which cannot be linked across consultations."""

    class Gender(models.TextChoices):
        FEMALE = "female", _("Woman")
        MALE = "male", _("Man")
        UNDISCLOSED = "undisclosed", _("Prefers not to say")

    class AgeBand(models.TextChoices):
        A18 = "18-24", "18–24"
        A25 = "25-34", "25–34"
        A35 = "35-44", "35–44"
        A45 = "45-54", "45–54"
        A55 = "55-64", "55–64"
        A65 = "65+", "65+"
        UNDISCLOSED = "undisclosed", _("Prefers not to say")

    display_name = models.CharField(_("name"), max_length=200)
    pseudonym = models.UUIDField(_("pseudonym"), default=uuid.uuid4, unique=True, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="participant",
    )
    organisations = models.ManyToManyField(
        Organisation, verbose_name=_("organisations"), blank=True, related_name="participants"
    )
    actor_type = models.ForeignKey(
        ActorType,
        verbose_name=_("actor type"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("As the person describes themselves when signing up."),
    )
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participants",
    )
    gender = models.CharField(
        _("gender"), max_length=16, choices=Gender.choices, default=Gender.UNDISCLOSED
    )
    age_band = models.CharField(
        _("age band"), max_length=16, choices=AgeBand.choices, default=AgeBand.UNDISCLOSED
    )
    preferred_language = models.CharField(_("preferred language"), max_length=16, blank=True)
    reads = models.BooleanField(
        _("reads and writes"),
        default=True,
        help_text=_("When false, facilitators capture this person's contributions for them."),
    )
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def primary_organisation(self) -> Organisation | None:
        return self.organisations.first()


class ConsentText(models.Model):
    """One version of what a participant consents to; never edited once published."""

    class Purpose(models.TextChoices):
        PARTICIPATION = "participation", _("Taking part and having contributions published")
        CONTACT = "contact", _("Being contacted about follow-up")
        RECORDING = "recording", _("Voice recording")

    purpose = models.CharField(_("purpose"), max_length=32, choices=Purpose.choices)
    version = models.PositiveIntegerField(_("version"))
    text_ar = models.TextField(_("text (Arabic)"))
    text_fr = models.TextField(_("text (French)"))
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        verbose_name = _("consent text")
        verbose_name_plural = _("consent texts")
        ordering = ["purpose", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["purpose", "version"], name="consenttext_unique_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} v{self.version}"

    @property
    def text(self) -> str:
        """The text in the active language (Arabic unless French is active)."""
        return pick_label(ar=self.text_ar, fr=self.text_fr)


class Consent(models.Model):
    """An answer to one version of a consent text; withdrawal is recorded, not deleted."""

    class Method(models.TextChoices):
        WEB = "web", _("Web form")
        PAPER = "paper", _("Signed paper form")
        ORAL = "oral", _("Oral, recorded by a facilitator")

    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        on_delete=models.CASCADE,
        related_name="consents",
    )
    consent_text = models.ForeignKey(
        ConsentText, verbose_name=_("consent text"), on_delete=models.PROTECT, related_name="+"
    )
    granted = models.BooleanField(_("granted"))
    method = models.CharField(_("method"), max_length=16, choices=Method.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-recorded_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "consent_text"],
                condition=Q(withdrawn_at__isnull=True),
                name="consent_one_active_per_text",
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant} — {self.consent_text}"
