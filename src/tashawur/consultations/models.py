from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tashawur.core.i18n import pick_label
from tashawur.core.models import TimeStampedModel
from tashawur.core.roles import Role


class Dimension(models.TextChoices):
    """The facet of a participatory diagnosis every contribution is tagged with."""

    POTENTIAL = "potential", _("Potential")
    SPECIFICITY = "specificity", _("Specificity")
    CHALLENGE = "challenge", _("Challenge")
    PROPOSAL = "proposal", _("Proposal")
    QUESTION = "question", _("Question")
    COORDINATION = "coordination", _("Coordination")


class Theme(models.Model):
    """A consultation theme or sub-theme, from the product's seed data (themes.yaml)."""

    slug = models.SlugField(_("identifier"), max_length=64, unique=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("theme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subthemes",
    )
    label_ar = models.CharField(_("label (Arabic)"), max_length=300)
    label_fr = models.CharField(_("label (French)"), max_length=300)
    label_en = models.CharField(_("label (English)"), max_length=300)
    in_taroudant_2018_workshops = models.BooleanField(
        _("a Taroudant 2018 round table"), default=False
    )
    source_refs = models.JSONField(_("sources"), default=list, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("theme")
        verbose_name_plural = _("themes")
        ordering = ["position", "slug"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return pick_label(ar=self.label_ar, fr=self.label_fr, en=self.label_en)


class Strategy(TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        CLOSED = "closed", _("Closed")

    slug = models.SlugField(_("identifier"), max_length=100, unique=True)
    title_ar = models.CharField(_("title (Arabic)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300)
    description_ar = models.TextField(_("description (Arabic)"), blank=True)
    description_fr = models.TextField(_("description (French)"), blank=True)
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("territory"),
        on_delete=models.PROTECT,
        related_name="strategies",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )

    class Meta:
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return pick_label(ar=self.title_ar, fr=self.title_fr)


class Consultation(TimeStampedModel):
    """One region's consultation for a strategy."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")
        PUBLISHED = "published", _("Published")

    class Moderation(models.TextChoices):
        # Post-moderation: contributions appear at once and may be taken down afterwards.
        POST = "post", _("Published at once, moderated afterwards")
        PRE = "pre", _("Held until a moderator publishes them")

    strategy = models.ForeignKey(
        Strategy, verbose_name=_("strategy"), on_delete=models.PROTECT, related_name="consultations"
    )
    region = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="consultations",
    )
    slug = models.SlugField(_("identifier"), max_length=100, unique=True)
    title_ar = models.CharField(_("title (Arabic)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    coordinators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("regional coordinators"),
        blank=True,
        related_name="coordinated_consultations",
    )
    # Analysts run the synthesis, curate its findings and write the diagnosis of the
    # consultations they are assigned to (consultations.rules); the national coordinator of all.
    analysts = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("analysts"),
        blank=True,
        related_name="analysed_consultations",
        limit_choices_to={"role": Role.ANALYST},
    )
    moderation = models.CharField(
        _("moderation"), max_length=8, choices=Moderation.choices, default=Moderation.POST
    )

    class Meta:
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")
        ordering = ["region__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["strategy", "region"], name="consultation_one_per_region_and_strategy"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return pick_label(ar=self.title_ar, fr=self.title_fr)


class Meeting(TimeStampedModel):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Under way")
        CLOSED = "closed", _("Closed")

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    slug = models.SlugField(_("identifier"), max_length=100, unique=True)
    title_ar = models.CharField(_("title (Arabic)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    venue_ar = models.CharField(_("venue (Arabic)"), max_length=300)
    venue_fr = models.CharField(_("venue (French)"), max_length=300)
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("province"),
        on_delete=models.PROTECT,
        related_name="meetings",
    )
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="meeting_ends_after_it_starts"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return pick_label(ar=self.title_ar, fr=self.title_fr)

    @property
    def venue(self) -> str:
        return pick_label(ar=self.venue_ar, fr=self.venue_fr)

    class Phase(models.TextChoices):
        """What the public reads: a meeting follows its dates. A meeting whose end has passed
        was held, whatever its stored status (a round table may stay open online after it)."""

        UPCOMING = "planned", _("Upcoming")
        UNDER_WAY = "open", _("Under way")
        HELD = "closed", _("Held")

    @property
    def phase(self) -> Meeting.Phase:
        now = timezone.now()
        if self.status == Meeting.Status.CLOSED or now >= self.ends_at:
            return Meeting.Phase.HELD
        if self.status == Meeting.Status.OPEN or now >= self.starts_at:
            return Meeting.Phase.UNDER_WAY
        return Meeting.Phase.UPCOMING

    @property
    def phase_label(self) -> str:
        return str(self.phase.label)


class AgendaItem(models.Model):
    class Kind(models.TextChoices):
        OPENING = "opening", _("Opening session")
        PLENARY = "plenary", _("Plenary")
        WORKSHOPS = "workshops", _("Round tables")
        BREAK = "break", _("Break")
        CLOSING = "closing", _("Closing session")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="agenda_items"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    starts_at = models.TimeField(_("starts at"))
    ends_at = models.TimeField(_("ends at"), null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    title_ar = models.CharField(_("title (Arabic)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "position"], name="agendaitem_unique_position"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return pick_label(ar=self.title_ar, fr=self.title_fr)


class Workshop(TimeStampedModel):
    """A round table on a theme, with a facilitator, a rapporteur, a roster and a closing report."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.PROTECT, related_name="workshops"
    )
    theme = models.ForeignKey(
        Theme, verbose_name=_("theme"), on_delete=models.PROTECT, related_name="workshops"
    )
    position = models.PositiveSmallIntegerField(_("position"))
    title_ar = models.CharField(_("title (Arabic)"), max_length=300)
    title_fr = models.CharField(_("title (French)"), max_length=300)
    question_ar = models.TextField(_("question put to the table (Arabic)"), blank=True)
    question_fr = models.TextField(_("question put to the table (French)"), blank=True)
    room = models.CharField(_("room"), max_length=200, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("facilitator"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="facilitated_workshops",
    )
    rapporteur = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rapporteur"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_workshops",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PLANNED
    )
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closing_report = models.TextField(_("closing report"), blank=True)
    #: The keyword that sends an SMS or a messaging text to this round table ("TAR3 ...").
    sms_keyword = models.CharField(
        _("SMS keyword"), max_length=16, null=True, blank=True, unique=True
    )

    class Meta:
        verbose_name = _("workshop")
        verbose_name_plural = _("workshops")
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "position"], name="workshop_unique_position"
            ),
            models.CheckConstraint(
                condition=~Q(status="closed") | Q(closed_at__isnull=False),
                name="workshop_closed_has_closed_at",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return pick_label(ar=self.title_ar, fr=self.title_fr)

    @property
    def question(self) -> str:
        return pick_label(ar=self.question_ar, fr=self.question_fr)


# Badge codes: 8 characters from Crockford's alphabet (no I, L, O, U: nothing to misread when
# typed from a badge), random, about 10^12 of them. The QR code holds this code and nothing else.
BADGE_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
BADGE_CODE_LENGTH = 8


def badge_code_new() -> str:
    import secrets

    return "".join(secrets.choice(BADGE_CODE_ALPHABET) for _ in range(BADGE_CODE_LENGTH))


class Registration(TimeStampedModel):
    """A participant's registration to a meeting: at most one per participant and meeting.

    Beyond the meeting's capacity a registration waits (``WAITLISTED``) in the order it came;
    a cancellation promotes the first in line. ``code`` is the badge's random code, the only
    thing its QR code holds; ``checked_in_at`` is set at the door (scan, typed code or name).
    """

    class Status(models.TextChoices):
        REGISTERED = "registered", _("Registered")
        WAITLISTED = "waitlisted", _("On the waiting list")
        CANCELLED = "cancelled", _("Cancelled")

    meeting = models.ForeignKey(
        Meeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="registrations"
    )
    participant = models.ForeignKey(
        "actors.Participant",
        verbose_name=_("participant"),
        on_delete=models.CASCADE,
        related_name="registrations",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.REGISTERED
    )
    #: When the status last changed: the place in the waiting list (a person who cancels and
    #: comes back queues again), whatever else is saved on the row meanwhile.
    status_since = models.DateTimeField(_("status since"), default=timezone.now)
    code = models.CharField(
        _("badge code"), max_length=16, unique=True, default=badge_code_new, editable=False
    )
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked in by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    walk_in = models.BooleanField(
        _("walk-in"), default=False, help_text=_("Registered at the door on the day.")
    )

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["meeting", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "participant"], name="registration_one_per_meeting"
            ),
            models.CheckConstraint(
                condition=Q(checked_in_at__isnull=True) | Q(status="registered"),
                name="registration_checked_in_is_registered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant} @ {self.meeting}"


class Invitation(TimeStampedModel):
    """A link staff hand out (by message, on paper, as a QR code) to invite a group of people:
    it pre-fills where they belong on the sign-up form (province, actor type, organisation),
    never who they are, and with a meeting leads on to its registration. ``token`` is random
    and is the whole link; it works for many people until it expires or is withdrawn."""

    consultation = models.ForeignKey(
        Consultation,
        verbose_name=_("consultation"),
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    meeting = models.ForeignKey(
        Meeting,
        verbose_name=_("meeting"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="invitations",
    )
    token = models.CharField(_("token"), max_length=64, unique=True, editable=False)
    label = models.CharField(
        _("label"), max_length=200, help_text=_("Whom it is for, as staff will recognise it.")
    )
    organisation = models.CharField(_("organisation"), max_length=300, blank=True)
    actor_type = models.ForeignKey(
        "actors.ActorType",
        verbose_name=_("actor type"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("province"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("expires at"))
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    sign_ups = models.PositiveIntegerField(_("sign-ups"), default=0)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.label


class Attendance(models.Model):
    """A participant on a workshop's roster."""

    workshop = models.ForeignKey(
        Workshop, verbose_name=_("workshop"), on_delete=models.CASCADE, related_name="attendances"
    )
    participant = models.ForeignKey(
        "actors.Participant",
        verbose_name=_("participant"),
        on_delete=models.CASCADE,
        related_name="attendances",
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendances")
        constraints = [
            models.UniqueConstraint(
                fields=["workshop", "participant"], name="attendance_one_per_workshop"
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant} @ {self.workshop}"
