from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tashawur.consultations.models import Dimension
from tashawur.core.models import TimeStampedModel
from tashawur.core.storage import private_storage

# Longest text a contribution may hold; forms and services check it before anything is stored.
TEXT_MAX_LENGTH = 2000


class Language(models.TextChoices):
    """Language and, where it matters, script (BCP 47 style)."""

    MSA = "ar", _("Modern Standard Arabic")
    DARIJA = "ary", _("Darija (Arabic script)")
    DARIJA_LATIN = "ary-Latn", _("Darija (Latin script)")
    FRENCH = "fr", _("French")
    AMAZIGH = "zgh", _("Amazigh (Tifinagh)")
    AMAZIGH_LATIN = "zgh-Latn", _("Amazigh (Latin script)")
    ENGLISH = "en", _("English")
    UNDETERMINED = "und", _("Other or not determined")


def audio_upload_to(instance: Any, filename: str) -> str:
    """A random name: the uploaded name (which may carry a person's name) is not kept."""
    suffix = Path(filename).suffix.lower()[:10]
    return f"contributions/audio/{uuid.uuid4().hex}{suffix}"


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    FACILITATOR = "facilitator", _("Recorded by the facilitator")
    IMPORT = "import", _("File import")
    OFFLINE = "offline", _("Offline capture")
    API = "api", _("API")
    SMS = "sms", _("SMS or messaging")


class ModerationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting moderation")
    PUBLISHED = "published", _("Published")
    REJECTED = "rejected", _("Rejected")


class ModerationReason(models.TextChoices):
    """Why a contribution is rejected or flagged; the author reads it."""

    OFF_TOPIC = "off_topic", _("Off topic")
    PERSONAL_DATA = "personal_data", _("Personal data")
    INSULT = "insult", _("Insult or hate")
    DUPLICATE = "duplicate", _("Duplicate")
    SPAM = "spam", _("Spam or advertising")
    OTHER = "other", _("Other")


# Longest note a moderator or a flag may carry.
NOTE_MAX_LENGTH = 500


class ContributionQuerySet(models.QuerySet["Contribution"]):
    def published(self) -> ContributionQuerySet:
        """What the public, the synthesis and the votes read: published contributions only."""
        return self.filter(moderation_status=ModerationStatus.PUBLISHED)


class VoteQuerySet(models.QuerySet["Vote"]):
    def on_published(self) -> VoteQuerySet:
        """Votes on published statements: the only ones counted or read by the synthesis."""
        return self.filter(contribution__moderation_status=ModerationStatus.PUBLISHED)


class Contribution(TimeStampedModel):
    """What someone said or wrote at a consultation."""

    objects = ContributionQuerySet.as_manager()

    consultation = models.ForeignKey(
        "consultations.Consultation",
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="contributions",
    )
    workshop = models.ForeignKey(
        "consultations.Workshop",
        verbose_name=_("workshop"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contributions",
    )
    text = models.TextField(_("text"), max_length=TEXT_MAX_LENGTH)
    translation_fr = models.TextField(_("French translation"), blank=True)
    language = models.CharField(
        _("language"), max_length=16, choices=Language.choices, default=Language.UNDETERMINED
    )
    dimension = models.CharField(_("dimension"), max_length=16, choices=Dimension.choices)
    theme = models.ForeignKey(
        "consultations.Theme",
        verbose_name=_("theme"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contributions",
    )
    territory = models.ForeignKey(
        "territories.Territory",
        verbose_name=_("territory concerned"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contributions",
    )
    author = models.ForeignKey(
        "actors.Participant",
        verbose_name=_("author"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contributions",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="recorded_contributions",
    )
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    moderation_status = models.CharField(
        _("moderation status"),
        max_length=16,
        choices=ModerationStatus.choices,
        default=ModerationStatus.PUBLISHED,
    )
    # A client-supplied key (offline capture, API, double-clicked form): a replay by the same
    # sender returns the first contribution and stores nothing new. The sender is the recording
    # user when there is one, else the author; keys are unique per sender, never across
    # senders, so that nobody learns of or blocks another's key.
    idempotency_key = models.CharField(  # noqa: DJ001 - NULL means no key; unique only when set
        _("idempotency key"),
        max_length=64,
        null=True,
        blank=True,
        editable=False,
    )
    # A voice note is personal data: kept on private storage, played only to the round table's
    # staff and its author, deleted with the person's data. Until someone transcribes it, the
    # contribution has no text and waits in moderation (the synthesis reads text only).
    audio = models.FileField(
        _("voice note"),
        upload_to=audio_upload_to,
        storage=private_storage,
        blank=True,
    )
    audio_seconds = models.PositiveIntegerField(_("voice note length (s)"), null=True, blank=True)
    transcribed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("transcribed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    transcribed_at = models.DateTimeField(_("transcribed at"), null=True, blank=True)
    # When it was said in the room, where that differs from when it was stored: a row of an
    # imported notes file, an item captured offline and synced later. Empty: said when stored.
    said_at = models.DateTimeField(_("said at"), null=True, blank=True)
    agree_count = models.PositiveIntegerField(_("agree"), default=0, editable=False)
    disagree_count = models.PositiveIntegerField(_("disagree"), default=0, editable=False)
    pass_count = models.PositiveIntegerField(_("pass"), default=0, editable=False)

    class Meta:
        verbose_name = _("contribution")
        verbose_name_plural = _("contributions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recorded_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False, recorded_by__isnull=False),
                name="contribution_unique_key_per_recorder",
            ),
            models.UniqueConstraint(
                fields=["author", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False, recorded_by__isnull=True),
                name="contribution_unique_key_per_author",
            ),
            models.CheckConstraint(
                condition=~Q(text="") | ~Q(audio=""), name="contribution_text_or_voice_note"
            ),
            models.CheckConstraint(
                condition=Q(author__isnull=False) | Q(recorded_by__isnull=False),
                name="contribution_has_author_or_recorder",
            ),
        ]
        indexes = [
            models.Index(fields=["consultation", "dimension"], name="contribution_cons_dim_idx"),
            models.Index(fields=["workshop", "moderation_status"], name="contribution_ws_mod_idx"),
        ]

    def __str__(self) -> str:
        return self.text[:80]

    @property
    def is_votable(self) -> bool:
        return self.dimension == Dimension.PROPOSAL


class Vote(TimeStampedModel):
    """One participant's vote on one statement; a second vote replaces the first."""

    objects = VoteQuerySet.as_manager()

    class Value(models.IntegerChoices):
        AGREE = 1, _("Agree")
        DISAGREE = -1, _("Disagree")
        PASS = 0, _("Pass")

    contribution = models.ForeignKey(
        Contribution, verbose_name=_("statement"), on_delete=models.CASCADE, related_name="votes"
    )
    participant = models.ForeignKey(
        "actors.Participant",
        verbose_name=_("participant"),
        on_delete=models.CASCADE,
        related_name="votes",
    )
    value = models.SmallIntegerField(_("vote"), choices=Value.choices)

    class Meta:
        verbose_name = _("vote")
        verbose_name_plural = _("votes")
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "participant"], name="vote_one_per_participant"
            ),
            models.CheckConstraint(condition=Q(value__in=[-1, 0, 1]), name="vote_value_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.participant} {self.get_value_display()} #{self.contribution_id}"


class ModerationEvent(models.Model):
    """One moderation decision on a contribution, by whom and why: the record of moderation."""

    class Action(models.TextChoices):
        PUBLISH = "publish", _("Published")
        REJECT = "reject", _("Rejected")
        RESTORE = "restore", _("Restored")
        KEEP = "keep", _("Kept published after reports")
        HOLD = "hold", _("Held for moderation")

    contribution = models.ForeignKey(
        Contribution,
        verbose_name=_("contribution"),
        on_delete=models.CASCADE,
        related_name="moderation_events",
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    reason = models.CharField(
        _("reason"), max_length=16, choices=ModerationReason.choices, blank=True
    )
    note = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("moderator"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="moderation_events",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("moderation event")
        verbose_name_plural = _("moderation events")
        ordering = ["-at", "-id"]
        constraints = [
            # A rejection says why; nothing else carries a reason.
            models.CheckConstraint(
                condition=(Q(action="reject") & ~Q(reason=""))
                | (~Q(action="reject") & Q(reason="")),
                name="moderation_event_reason_on_reject",
            ),
        ]
        indexes = [models.Index(fields=["contribution", "-at"], name="moderation_event_c_at_idx")]

    def __str__(self) -> str:
        return f"#{self.contribution_id} {self.get_action_display()}"


class ContributionFlag(TimeStampedModel):
    """A participant's report that a published contribution breaks the rules; one each.

    A moderator's next decision on the contribution resolves its open flags."""

    contribution = models.ForeignKey(
        Contribution, verbose_name=_("contribution"), on_delete=models.CASCADE, related_name="flags"
    )
    participant = models.ForeignKey(
        "actors.Participant",
        verbose_name=_("participant"),
        on_delete=models.CASCADE,
        related_name="flags",
    )
    reason = models.CharField(_("reason"), max_length=16, choices=ModerationReason.choices)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "participant"], name="flag_one_per_participant"
            ),
        ]
        indexes = [
            models.Index(fields=["contribution", "resolved_at"], name="flag_c_resolved_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.contribution_id} {self.get_reason_display()}"


class InboundMessage(models.Model):
    """A message received from an SMS or messaging gateway. The gateway's message id is the
    idempotency key (a replayed delivery is stored once); the sender's number is kept only as
    a keyed hash unless it matches a verified participant."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")

    gateway = models.CharField(_("gateway"), max_length=32)
    message_id = models.CharField(_("message id"), max_length=128)
    # Blank once the person is erased (Law 09-08).
    sender_hash = models.CharField(
        _("sender (keyed hash)"), max_length=64, db_index=True, blank=True
    )
    workshop = models.ForeignKey(
        "consultations.Workshop",
        verbose_name=_("workshop"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    contribution = models.ForeignKey(
        Contribution,
        verbose_name=_("contribution"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    reason = models.CharField(_("reason"), max_length=64, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "message_id"], name="inboundmessage_once_per_gateway"
            )
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.message_id}"


class NotesImport(TimeStampedModel):
    """A notes file confirmed for import that is too long to import within the request: the
    background worker imports it (all or nothing) and the page shows how it went."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Failed")

    workshop = models.ForeignKey(
        "consultations.Workshop",
        verbose_name=_("workshop"),
        on_delete=models.CASCADE,
        related_name="note_imports",
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    filename = models.CharField(_("file name"), max_length=200)
    # The file on private storage until the import ends (then deleted).
    stored_path = models.CharField(_("stored file"), max_length=255, blank=True, editable=False)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    created_count = models.PositiveIntegerField(_("contributions stored"), default=0)
    already_count = models.PositiveIntegerField(_("rows already imported"), default=0)
    pending = models.BooleanField(_("waiting for moderation"), default=False)
    # Row-level errors when the file was refused: [{"number": 12, "errors": ["..."]}, ...]
    errors = models.JSONField(_("errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notes import")
        verbose_name_plural = _("notes imports")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.REFUSED, self.Status.FAILED}
