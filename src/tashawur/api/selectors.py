"""Reads for the open data of a consultation: which contributions may be published, and how
their authors are pseudonymised (DESIGN.md §6, Law 09-08).

The rules, in one place (``contributions.selectors``, which the public pages read too) so that
the ZIP, the JSON pages and the workshop page can never disagree:

- the consultation is public (not a draft);
- a contribution is published by moderation;
- an authored contribution is published when its author once granted the participation
  consent ("taking part and having contributions published", the rule ``contributions.services``
  applies at submission on the web; the import, offline and API channels do not ask, so it is
  checked here). It carries its author's pseudonym, actor type and province only while the
  author is not erased and stands by their consent to the current participation text: the text
  they agreed to says that after a withdrawal or an erasure "my contributions stay published,
  with no link to my identity", so those contributions stay, unlinked;
- a contribution without an author (recorded by a facilitator for the room) is published.

No name, e-mail, phone, organisation, gender, age band, recorder or voice note leaves here; the
author becomes a keyed hash that is stable within a consultation and unlinkable across
consultations, and their actor type and province are dropped when fewer than
``TASHAWUR_OPEN_DATA_K`` published authors of the consultation share that combination.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from tashawur.actors.models import Participant
from tashawur.consultations.models import Consultation, Dimension, Workshop
from tashawur.contributions.generations import (
    consultation_data_generation,
    consultation_removals_generation,
    consultation_votes_generation,
)
from tashawur.contributions.models import Contribution, Vote
from tashawur.contributions.selectors import (
    consultation_author_cells,
    consultation_contributions_linked,
    consultation_contributions_public,
)
from tashawur.core.caching import cached_build, version_key
from tashawur.core.errors import DomainError
from tashawur.core.models import User
from tashawur.core.privacy import anonymity_k
from tashawur.diagnosis.models import CurationEvent, Finding, FindingContribution, SynthesisRun

PSEUDONYM_PREFIX = "p_"
# The largest id ``contributions.json?after=`` takes: beyond any bigint primary key.
CURSOR_DIGITS = 18
# 16 hex digits (64 bits): no collision among a consultation's participants in practice.
PSEUDONYM_HEX_DIGITS = 16

# Columns, in order: CSV headers and JSON keys come from here.
CONTRIBUTION_FIELDS: tuple[str, ...] = (
    "id",
    "workshop_id",
    "theme",
    "dimension",
    "language",
    "channel",
    "created_on",
    "text",
    "translation_fr",
    "author_pseudonym",
    "author_actor_type",
    "author_province",
    "agree_count",
    "disagree_count",
    "pass_count",
)
STATEMENT_FIELDS: tuple[str, ...] = (
    "statement_id",
    "agree_count",
    "disagree_count",
    "pass_count",
    "vote_count",
)
FINDING_FIELDS: tuple[str, ...] = (
    "finding_key",
    "dimension",
    "theme_key",
    "theme_label_ar",
    "theme_label_fr",
    "label_ar",
    "label_fr",
    "size",
    "contribution_ids",
)
_HIDDEN_FINDINGS = (Finding.Status.REJECTED, Finding.Status.MERGED)


@dataclass(frozen=True)
class AuthorProfile:
    pseudonym: str
    actor_type: str
    province: str


def open_data_k() -> int:
    """The smallest group of authors whose actor type and province may be shown together
    (the public pages' threshold: ``core.privacy.anonymity_k``)."""
    return anonymity_k()


def open_data_consultation_get(*, slug: str) -> Consultation:
    """A public consultation by slug; a draft and an unknown slug both raise ``Http404``."""
    consultation = (
        Consultation.objects.select_related("region")
        .exclude(status=Consultation.Status.DRAFT)
        .filter(slug=slug)
        .first()
    )
    if consultation is None:
        raise Http404
    return consultation


def author_pseudonym(*, consultation_id: int, participant_id: int) -> str:
    """HMAC-SHA256 of the participant id under a key derived from ``SECRET_KEY`` and the
    consultation id: stable within a consultation, unlinkable across consultations without the
    secret (rotating ``SECRET_KEY`` changes every pseudonym)."""
    digest = salted_hmac(
        f"tashawur.api.open_data.consultation:{consultation_id}",
        str(participant_id),
        algorithm="sha256",
    ).hexdigest()
    return PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX_DIGITS]


def open_data_contributions(*, consultation: Consultation) -> QuerySet[Contribution]:
    """The contributions of ``consultation`` that open data may publish (rules above),
    oldest first."""
    return consultation_contributions_public(consultation=consultation)


def open_data_linked_contributions(*, consultation: Consultation) -> QuerySet[Contribution]:
    """The published contributions whose author open data may still link them to (through a
    pseudonym): not erased, standing by their consent to the current participation text."""
    return consultation_contributions_linked(consultation=consultation)


def open_data_author_profiles(
    *, consultation: Consultation, authors: Collection[int] | None = None
) -> dict[int, AuthorProfile]:
    """Pseudonym, actor type and province of every author published in open data, with the
    small cells suppressed as the public pages suppress them
    (``contributions.selectors.consultation_author_cells``: actor type of the first
    organisation by name, generalised from subtype to type; both dropped when fewer than
    ``open_data_k()`` authors share the combination).

    ``authors`` (participant ids) limits the answer to them. The cells are counted over every
    author, so a profile is the same whichever page asks for it: they are computed, with the
    pseudonyms, once per version of the consultation's contributions and authors
    (``contributions.generations``) and cached, not once per page of a hundred rows."""
    k = open_data_k()

    def profiles_all() -> dict[int, tuple[str, str, str]]:
        cells = consultation_author_cells(consultation=consultation, k=k)
        return {
            pk: (
                author_pseudonym(consultation_id=consultation.pk, participant_id=pk),
                cell.actor_type,
                cell.province,
            )
            for pk, cell in cells.items()
        }

    key = version_key(
        "open-data-authors", consultation.pk, k, *consultation_data_generation(consultation.pk)
    )
    every = cached_build(key, profiles_all, timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS))
    wanted = every.keys() if authors is None else every.keys() & set(authors)
    return {pk: AuthorProfile(*every[pk]) for pk in wanted}


def open_data_contributions_count(*, consultation: Consultation) -> int:
    """How many contributions open data publishes, counted once per version of the data."""
    key = version_key(
        "open-data-count", consultation.pk, *consultation_data_generation(consultation.pk)
    )
    return cached_build(
        key,
        lambda: open_data_contributions(consultation=consultation).count(),
        timeout=int(settings.TASHAWUR_PAGE_CACHE_SECONDS),
    )


def open_data_cursor_parse(raw: str | None) -> int | None:
    """The id after which ``contributions.json?after=`` asks for rows (``None`` when absent),
    or a ``DomainError``: ASCII digits only, at most ``CURSOR_DIGITS`` of them."""
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= CURSOR_DIGITS):
        raise DomainError(
            _(
                "“after” must be the identifier of a contribution, written with the digits 0 "
                "to 9 (at most %(digits)s)."
            )
            % {"digits": CURSOR_DIGITS},
            code="after_invalid",
            field="after",
        )
    return int(raw)


def open_data_version(*, consultation: Consultation) -> tuple[Any, ...]:
    """A version of everything the open-data ZIP holds, but the renderer and the day (the
    view adds them): the consultation, its contributions, authors and vote counters
    (``contributions.generations``: one cache read), the run the diagnosis shows and its
    curation (a rename, a merge: the findings' labels and members), and k. One small query."""
    curation = CurationEvent.objects.filter(run=OuterRef("pk")).order_by().values("run")
    run = (
        SynthesisRun.objects.filter(consultation=consultation)
        .shown_first()
        .annotate(
            curation_last=Subquery(curation.annotate(v=Max("pk")).values("v")),
            curation_n=Subquery(curation.annotate(v=Count("pk")).values("v")),
        )
        .values_list("pk", "engine_version", "finished_at", "curation_last", "curation_n")
        .first()
    )
    return (
        consultation.pk,
        consultation.updated_at,
        consultation.region_id,
        consultation.status,
        *consultation_votes_generation(consultation.pk),
        run,
        open_data_k(),
    )


def open_data_removals_version(
    *, consultation: Consultation, version: tuple[Any, ...]
) -> tuple[Any, ...]:
    """The part of ``version`` (``open_data_version``) that changes when something may have
    been taken out of the open data (``contributions.generations``, ``removals``): a takedown,
    an edit, a consent withdrawn, an erasure; the run shown or its curation (a finding
    rejected); k. Votes and new contributions leave it as it is."""
    run, k = version[-2], version[-1]
    return (
        consultation.pk,
        consultation.status,
        *consultation_removals_generation(consultation.pk),
        run,
        k,
    )


def _created_on(created_at: dt.datetime) -> str:
    return timezone.localtime(created_at).date().isoformat()


_CONTRIBUTION_COLUMNS = (
    "pk",
    "workshop_id",
    "theme__slug",
    "dimension",
    "language",
    "channel",
    "created_at",
    "text",
    "translation_fr",
    "author_id",
    "agree_count",
    "disagree_count",
    "pass_count",
)


def open_data_contribution_rows(
    contributions: Iterable[dict[str, Any]], *, profiles: dict[int, AuthorProfile]
) -> list[dict[str, Any]]:
    """Rows keyed by ``CONTRIBUTION_FIELDS`` from ``open_data_contribution_values`` rows."""
    rows = []
    for c in contributions:
        profile = profiles.get(c["author_id"]) if c["author_id"] is not None else None
        rows.append(
            {
                "id": c["pk"],
                "workshop_id": c["workshop_id"],
                "theme": c["theme__slug"] or "",
                "dimension": c["dimension"],
                "language": c["language"],
                "channel": c["channel"],
                "created_on": _created_on(c["created_at"]),
                "text": c["text"],
                "translation_fr": c["translation_fr"],
                "author_pseudonym": profile.pseudonym if profile else "",
                "author_actor_type": profile.actor_type if profile else "",
                "author_province": profile.province if profile else "",
                "agree_count": c["agree_count"],
                "disagree_count": c["disagree_count"],
                "pass_count": c["pass_count"],
            }
        )
    return rows


def open_data_contribution_values(
    contributions: QuerySet[Contribution],
) -> QuerySet[Contribution, dict[str, Any]]:
    """Only the columns open data may show: nothing else is even read from the database."""
    values: QuerySet[Contribution, dict[str, Any]] = contributions.values(*_CONTRIBUTION_COLUMNS)
    return values


def open_data_statement_rows(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Votes, aggregated per proposal: no voter-level rows (see the README for why)."""
    return [
        {
            "statement_id": row["id"],
            "agree_count": row["agree_count"],
            "disagree_count": row["disagree_count"],
            "pass_count": row["pass_count"],
            "vote_count": row["agree_count"] + row["disagree_count"] + row["pass_count"],
        }
        for row in rows
        if row["dimension"] == Dimension.PROPOSAL
    ]


def open_data_run(*, consultation: Consultation) -> SynthesisRun | None:
    """The latest successful synthesis run, as the diagnosis shows it."""
    return SynthesisRun.objects.current_for(consultation)


def open_data_finding_rows(
    *, run: SynthesisRun | None, published_ids: set[int]
) -> list[dict[str, Any]]:
    """The findings the diagnosis shows (neither merged nor rejected) of ``run``; each lists
    only the contributions that are in open data, while ``size`` is the run's own count."""
    if run is None:
        return []
    findings = list(
        run.findings.exclude(status__in=_HIDDEN_FINDINGS)
        .order_by("position")
        .values(
            "pk",
            "key",
            "dimension",
            "theme_key",
            "theme_label_ar",
            "theme_label_fr",
            "label_ar",
            "label_fr",
            "title_override_ar",
            "title_override_fr",
            "size",
        )
    )
    members: dict[int, list[int]] = {f["pk"]: [] for f in findings}
    for finding_id, contribution_id in (
        FindingContribution.objects.filter(finding_id__in=members)
        .order_by("finding_id", "contribution_id")
        .values_list("finding_id", "contribution_id")
    ):
        if contribution_id in published_ids:
            members[finding_id].append(contribution_id)
    return [
        {
            "finding_key": f["key"],
            "dimension": f["dimension"],
            "theme_key": f["theme_key"],
            "theme_label_ar": f["theme_label_ar"],
            "theme_label_fr": f["theme_label_fr"],
            "label_ar": f["title_override_ar"] or f["label_ar"],
            "label_fr": f["title_override_fr"] or f["label_fr"],
            "size": f["size"],
            "contribution_ids": members[f["pk"]],
        }
        for f in findings
    ]


@dataclass(frozen=True)
class OpenData:
    """Everything the ZIP holds, as plain rows."""

    consultation: Consultation
    generated_at: dt.datetime
    k: int
    run: SynthesisRun | None
    contributions: list[dict[str, Any]]
    statements: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    # The version of the data it was read at (``api.archives``); empty when nobody asked.
    version: str = ""


def open_data_build(*, consultation: Consultation, version: str = "") -> OpenData:
    """The open data of ``consultation``, read in a fixed number of queries; ``version`` names
    the state of the data read (taken before the reads)."""
    profiles = open_data_author_profiles(consultation=consultation)
    contributions = open_data_contribution_rows(
        open_data_contribution_values(open_data_contributions(consultation=consultation)),
        profiles=profiles,
    )
    run = open_data_run(consultation=consultation)
    return OpenData(
        consultation=consultation,
        generated_at=timezone.now(),
        k=open_data_k(),
        run=run,
        contributions=contributions,
        statements=open_data_statement_rows(contributions),
        findings=open_data_finding_rows(
            run=run, published_ids={row["id"] for row in contributions}
        ),
        version=version,
    )


# --- the write API ----------------------------------------------------------------------------


def contribution_key_used(
    *, author: Participant | None, recorded_by: User | None, idempotency_key: str | None
) -> bool:
    """Whether this sender (the recorder, else the author) already stored a contribution under
    the key: a replay, which the write API answers without counting it against the rate."""
    if idempotency_key is None:
        return False
    if recorded_by is not None:
        sent = Contribution.objects.filter(recorded_by=recorded_by)
    elif author is not None:
        sent = Contribution.objects.filter(author=author, recorded_by__isnull=True)
    else:
        return False
    return sent.filter(idempotency_key=idempotency_key).exists()


def vote_get(*, contribution: Contribution, participant: Participant, value: int) -> Vote | None:
    """The participant's vote on the contribution, if it already has this value."""
    return Vote.objects.filter(
        contribution=contribution, participant=participant, value=value
    ).first()


def workshop_status(*, workshop_id: int) -> str:
    return str(Workshop.objects.values_list("status", flat=True).get(pk=workshop_id))
