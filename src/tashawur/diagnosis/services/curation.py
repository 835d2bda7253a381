"""Curation of a run's findings by the analyst: rename, accept or reject, merge, split.

Only the findings of the run the diagnosis shows are curated (``SynthesisRun.objects``'s
``shown_first``); every change is recorded as a ``CurationEvent``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tashawur.consultations.models import Consultation
from tashawur.core.errors import DomainError
from tashawur.core.text import clean_user_text, contains_bidi_controls
from tashawur.diagnosis import rules
from tashawur.diagnosis.models import (
    CurationEvent,
    Finding,
    FindingContribution,
    SynthesisRun,
)
from tashawur.diagnosis.services.storing import dominant_dimension

#: A title the analyst sets: as long as the model field allows.
TITLE_MAX_LENGTH = 300
#: Quotes a finding shows at most (the library picks up to three).
QUOTES_MAX = 3
#: A quote worth showing says something: the library's threshold on the analysed text.
_QUOTE_MIN_LENGTH = 12


def _curation_check_allowed(user: Any, consultation: Consultation) -> None:
    if not rules.can_curate_findings(user, consultation):
        raise DomainError(
            _("You are not allowed to curate the findings of this consultation."),
            code="curation_not_allowed",
        )


def _run_lock_current(run_id: int) -> SynthesisRun:
    """Lock the run (curation of one run is serialised) and check that the diagnosis shows it.

    Only the consultation's last successful run is curated: curating an older one would change
    nothing anybody reads.
    """
    run = SynthesisRun.objects.select_for_update().select_related("consultation").get(pk=run_id)
    current = (
        SynthesisRun.objects.filter(consultation_id=run.consultation_id)
        .shown_first()
        .values_list("pk", flat=True)
        .first()
    )
    if current != run.pk:
        raise DomainError(
            _(
                "This finding belongs to an earlier synthesis run; only the findings of the "
                "latest run, which the diagnosis shows, can be curated."
            ),
            code="finding_run_superseded",
        )
    return run


def _finding_lock(finding_id: int, run: SynthesisRun, *, field: str | None = None) -> Finding:
    finding = Finding.objects.select_for_update().filter(pk=finding_id, run=run).first()
    if finding is None:
        raise DomainError(
            _("This finding does not belong to the synthesis run being curated."),
            code="finding_other_run",
            field=field,
        )
    return finding


def _finding_check_not_merged(finding: Finding, *, field: str | None = None) -> None:
    if finding.status == Finding.Status.MERGED:
        raise DomainError(
            _("This finding has been merged into another one: curate that one instead."),
            code="finding_merged",
            field=field,
        )


def _title_clean(title: str, *, field: str) -> str:
    if contains_bidi_controls(title):
        raise DomainError(
            _(
                "The title contains invisible direction-control characters (such as U+202E) "
                "that can disguise what it says; remove them and send it again."
            ),
            code="title_bidi_controls",
            field=field,
        )
    cleaned = " ".join(clean_user_text(title).split())
    if len(cleaned) > TITLE_MAX_LENGTH:
        raise DomainError(
            ngettext(
                "The title is too long: %(length)s character, at most %(max)s.",
                "The title is too long: %(length)s characters, at most %(max)s.",
                len(cleaned),
            )
            % {"length": len(cleaned), "max": TITLE_MAX_LENGTH},
            code="title_too_long",
            field=field,
        )
    return cleaned


def _event_record(
    *,
    run: SynthesisRun,
    finding: Finding,
    action: str,
    user: Any,
    details: dict[str, Any],
    carried: dict[str, Any] | None = None,
) -> CurationEvent:
    """Record a curation action; one replayed from an earlier run (``carried``: where it came
    from) is recorded as ``carried`` with the action it replays in its details."""
    if carried is not None:
        details = {"action": action, **details, "source": carried}
        action = CurationEvent.Action.CARRIED
    return CurationEvent.objects.create(
        run=run,
        finding=finding,
        action=action,
        actor=user if getattr(user, "is_authenticated", False) else None,
        details=details,
    )


@transaction.atomic
def finding_rename(
    *, finding: Finding, user: Any, title_ar: str | None = None, title_fr: str | None = None
) -> Finding:
    """Set the analyst's Arabic and/or French title of a finding (``None`` leaves a title as it
    is, ``""`` clears it and the computed label shows again). Renaming to the same titles
    changes nothing and records nothing."""
    _curation_check_allowed(user, finding.run.consultation)
    new_ar = None if title_ar is None else _title_clean(title_ar, field="title_ar")
    new_fr = None if title_fr is None else _title_clean(title_fr, field="title_fr")
    run = _run_lock_current(finding.run_id)
    locked = _finding_lock(finding.pk, run)
    _finding_check_not_merged(locked)
    rename_apply(run=run, finding=locked, title_ar=new_ar, title_fr=new_fr, user=user)
    return locked


def rename_apply(
    *,
    run: SynthesisRun,
    finding: Finding,
    title_ar: str | None,
    title_fr: str | None,
    user: Any,
    carried: dict[str, Any] | None = None,
) -> bool:
    """Set the titles of a locked, unmerged finding of the locked ``run`` (checked and cleaned
    by the caller) and record it; whether anything changed."""
    before = {"ar": finding.title_override_ar, "fr": finding.title_override_fr}
    if title_ar is not None:
        finding.title_override_ar = title_ar
    if title_fr is not None:
        finding.title_override_fr = title_fr
    after = {"ar": finding.title_override_ar, "fr": finding.title_override_fr}
    if after == before:
        return False
    finding.save(update_fields=["title_override_ar", "title_override_fr"])
    _event_record(
        run=run,
        finding=finding,
        action=CurationEvent.Action.RENAME,
        user=user,
        details={"before": before, "after": after},
        carried=carried,
    )
    return True


_STATUS_ACTIONS = {
    Finding.Status.ACCEPTED: CurationEvent.Action.ACCEPT,
    Finding.Status.REJECTED: CurationEvent.Action.REJECT,
    Finding.Status.PROPOSED: CurationEvent.Action.RESET,
}


@transaction.atomic
def finding_status_set(*, finding: Finding, user: Any, status: str) -> Finding:
    """Accept or reject a finding, or set it back to proposed. A finding already in that status
    is returned unchanged (a form sent twice records one event)."""
    _curation_check_allowed(user, finding.run.consultation)
    if status not in _STATUS_ACTIONS:
        raise DomainError(
            _("Choose accept, reject or back to proposed."), code="status_invalid", field="status"
        )
    run = _run_lock_current(finding.run_id)
    locked = _finding_lock(finding.pk, run)
    _finding_check_not_merged(locked)
    status_apply(run=run, finding=locked, status=status, user=user)
    return locked


def status_apply(
    *,
    run: SynthesisRun,
    finding: Finding,
    status: str,
    user: Any,
    carried: dict[str, Any] | None = None,
) -> bool:
    """Set the status (proposed, accepted, rejected) of a locked, unmerged finding of the
    locked ``run`` and record it; whether it changed."""
    if finding.status == status:
        return False
    before = finding.status
    finding.status = status
    finding.save(update_fields=["status"])
    _event_record(
        run=run,
        finding=finding,
        action=_STATUS_ACTIONS[Finding.Status(status)],
        user=user,
        details={"before": before, "after": status},
        carried=carried,
    )
    return True


def _profiles_combine(findings: Sequence[Finding]) -> dict[str, list[dict[str, Any]]]:
    """The breakdowns of the union of findings: counts add up (the findings partition the
    run's contributions); shares and lifts follow. Whether a value is over-represented needs
    the library's test over the whole run: a merged finding gets it again at the next run."""
    combined: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for finding in findings:
        for name, groups in (finding.profiles or {}).items():
            for group in groups:
                cell = combined[name].setdefault(
                    str(group["value"]),
                    {"count": 0, "overall_share": float(group["overall_share"])},
                )
                cell["count"] += int(group["count"])
    out: dict[str, list[dict[str, Any]]] = {}
    for name, cells in combined.items():
        total = sum(c["count"] for c in cells.values()) or 1
        rows = []
        for value, cell in sorted(cells.items(), key=lambda kv: (-kv[1]["count"], kv[0])):
            share = cell["count"] / total
            overall = cell["overall_share"]
            rows.append(
                {
                    "value": value,
                    "count": cell["count"],
                    "share": round(share, 4),
                    "overall_share": overall,
                    "lift": round(share / overall, 3) if overall else None,
                    "p_value": None,
                    "over_represented": False,
                }
            )
        out[name] = rows
    return out


def _quotes_choose(finding: Finding, *, preferred: Sequence[int] = ()) -> list[int]:
    """Re-rank the quotes of ``finding`` among its own members; return the quoted ids.

    Quotes are real members' texts, never written ones: first those in ``preferred`` (the
    quotes the finding had, in their order), then members in a language not quoted yet, then
    the others, oldest first; texts too short to say something come last.
    """
    members = list(
        FindingContribution.objects.filter(finding=finding, duplicate_of__isnull=True)
        .select_related("contribution")
        .order_by("contribution_id")
    )
    by_id = {m.contribution_id: m for m in members}
    chosen: list[int] = [c for c in preferred if c in by_id][:QUOTES_MAX]
    languages = {by_id[c].contribution.language for c in chosen}
    rest = sorted(
        (m for m in members if m.contribution_id not in chosen),
        key=lambda m: (
            len(m.contribution.text.strip()) < _QUOTE_MIN_LENGTH,
            m.contribution.language in languages,
            m.contribution_id,
        ),
    )
    for member in rest:
        if len(chosen) >= QUOTES_MAX:
            break
        chosen.append(member.contribution_id)
        languages.add(member.contribution.language)
    # Clear first: (finding, rank) is unique, and ranks move.
    FindingContribution.objects.filter(finding=finding).update(is_representative=False, rank=None)
    for rank, contribution_id in enumerate(chosen, start=1):
        FindingContribution.objects.filter(finding=finding, contribution_id=contribution_id).update(
            is_representative=True, rank=rank
        )
    return chosen


def _counts_recount(finding: Finding) -> None:
    """Size, duplicates and dimensions of a finding from the contributions it now cites."""
    citations = FindingContribution.objects.filter(finding=finding)
    counts = Counter(citations.values_list("contribution__dimension", flat=True))
    finding.size = sum(counts.values())
    finding.duplicate_count = citations.filter(duplicate_of__isnull=False).count()
    finding.dimension_counts = dict(counts)
    finding.dimension = dominant_dimension(counts)


@transaction.atomic
def findings_merge(*, target: Finding, sources: Sequence[Finding], user: Any) -> Finding:
    """Merge ``sources`` into ``target``: the target cites every contribution they cited.

    Citations are moved, not copied (a contribution is cited once per run), the target's
    counts follow, and each source is marked merged into the target and leaves the lists. The
    run is locked first, so that two analysts merging the same findings cannot both succeed.
    The target keeps its quotes and takes the sources' quotes after them, up to
    ``QUOTES_MAX``.
    """
    consultation = target.run.consultation
    _curation_check_allowed(user, consultation)
    source_ids = sorted({s.pk for s in sources})
    if not source_ids:
        raise DomainError(
            _("Choose at least one finding to merge."), code="merge_nothing", field="sources"
        )
    if target.pk in source_ids:
        raise DomainError(
            _("A finding cannot be merged into itself."),
            code="merge_into_itself",
            field="target",
        )
    if any(s.run_id != target.run_id for s in sources):
        raise DomainError(
            _("Only findings of the same synthesis run can be merged."),
            code="merge_across_runs",
            field="target",
        )
    run = _run_lock_current(target.run_id)
    locked_target = _finding_lock(target.pk, run, field="target")
    locked_sources = list(
        Finding.objects.select_for_update().filter(pk__in=source_ids, run=run).order_by("position")
    )
    if len(locked_sources) != len(source_ids):
        raise DomainError(
            _("Only findings of the same synthesis run can be merged."),
            code="merge_across_runs",
            field="target",
        )
    if not locked_target.is_visible:
        raise DomainError(
            _(
                "The finding to merge into must be shown in the diagnosis: "
                "neither merged nor rejected."
            ),
            code="merge_target_hidden",
            field="target",
        )
    for source in locked_sources:
        _finding_check_not_merged(source, field="sources")
    return merge_apply(run=run, target=locked_target, sources=locked_sources, user=user)


def merge_apply(
    *,
    run: SynthesisRun,
    target: Finding,
    sources: Sequence[Finding],
    user: Any,
    carried: dict[str, Any] | None = None,
) -> Finding:
    """Merge the locked, unmerged ``sources`` into the locked, shown ``target`` of the locked
    ``run`` (all checked by the caller) and record it."""
    locked_target, locked_sources = target, list(sources)
    quotes = list(
        FindingContribution.objects.filter(
            finding__in=[locked_target, *locked_sources], is_representative=True
        )
        .order_by("rank")
        .values_list("finding_id", "contribution_id")
    )
    order = {f.pk: k for k, f in enumerate([locked_target, *locked_sources])}
    preferred = [c for _f, c in sorted(quotes, key=lambda q: order[q[0]])]
    moved = FindingContribution.objects.filter(finding__in=locked_sources).update(
        finding=locked_target, is_representative=False, rank=None
    )
    _quotes_choose(locked_target, preferred=preferred)
    locked_target.profiles = _profiles_combine([locked_target, *locked_sources])
    _counts_recount(locked_target)
    locked_target.save(
        update_fields=["size", "duplicate_count", "dimension", "dimension_counts", "profiles"]
    )
    for source in locked_sources:
        source.status = Finding.Status.MERGED
        source.merged_into = locked_target
        source.save(update_fields=["status", "merged_into"])
    # Findings merged earlier into a source now name the finding that cites their
    # contributions.
    Finding.objects.filter(merged_into__in=locked_sources).update(merged_into=locked_target)
    _event_record(
        run=run,
        finding=locked_target,
        action=CurationEvent.Action.MERGE,
        user=user,
        details={
            "merged": [s.key for s in locked_sources],
            "merged_ids": [s.pk for s in locked_sources],
            "contributions_moved": moved,
        },
        carried=carried,
    )
    return locked_target


def _split_key(run: SynthesisRun, base: str) -> str:
    taken = set(Finding.objects.filter(run=run, key__startswith=base).values_list("key", flat=True))
    n = 1
    while f"{base}-{n}"[:32] in taken:
        n += 1
    return f"{base}-{n}"[:32]


@transaction.atomic
def finding_split(
    *,
    finding: Finding,
    contribution_ids: Sequence[int],
    user: Any,
    title_ar: str = "",
    title_fr: str = "",
) -> Finding:
    """Move the chosen members of ``finding`` (with the contributions that repeat them) into a
    new finding of the same run, and return it.

    The new finding has no computed label, so it needs a title in Arabic or French; it takes a
    key derived from the source's (``F3-1``) and the run's next position. Quotes of both are
    chosen again among their own members; their breakdowns wait for the next run.
    """
    _curation_check_allowed(user, finding.run.consultation)
    new_ar = _title_clean(title_ar, field="title_ar")
    new_fr = _title_clean(title_fr, field="title_fr")
    chosen = sorted({int(c) for c in contribution_ids})
    if not chosen:
        raise DomainError(
            _("Choose the contributions that form the new finding."),
            code="split_nothing_chosen",
            field="contributions",
        )
    if not new_ar and not new_fr:
        raise DomainError(
            _("Give the new finding a title, in Arabic or in French."),
            code="split_title_missing",
            field="title_ar",
        )
    run = _run_lock_current(finding.run_id)
    source = _finding_lock(finding.pk, run)
    _finding_check_not_merged(source)
    citations = list(FindingContribution.objects.filter(finding=source))
    members = {c.contribution_id for c in citations if c.duplicate_of_id is None}
    strangers = [c for c in chosen if c not in members]
    if strangers:
        raise DomainError(
            ngettext(
                "Contribution #%(numbers)s is not one of this finding's members.",
                "Contributions #%(numbers)s are not among this finding's members.",
                len(strangers),
            )
            % {"numbers": ", #".join(str(c) for c in strangers)},
            code="split_not_members",
            field="contributions",
        )
    if len(chosen) == len(members):
        raise DomainError(
            _("Leave at least one contribution in this finding: a split cannot take them all."),
            code="split_all_members",
            field="contributions",
        )
    return split_apply(
        run=run, source=source, chosen=chosen, title_ar=new_ar, title_fr=new_fr, user=user
    )


def split_apply(
    *,
    run: SynthesisRun,
    source: Finding,
    chosen: Sequence[int],
    title_ar: str,
    title_fr: str,
    user: Any,
    carried: dict[str, Any] | None = None,
) -> Finding:
    """Move the ``chosen`` members of the locked, unmerged ``source`` of the locked ``run``
    (some of its members, not all: checked by the caller) into a new finding titled
    ``title_ar``/``title_fr``, record it and return the new finding."""
    new_ar, new_fr = title_ar, title_fr
    citations = list(FindingContribution.objects.filter(finding=source))
    quoted = [
        c.contribution_id
        for c in sorted(citations, key=lambda c: c.rank or 0)
        if c.is_representative
    ]
    position = (
        Finding.objects.filter(run=run).order_by("-position").values_list("position", flat=True)
    ).first() or 0
    new = Finding.objects.create(
        run=run,
        key=_split_key(run, source.key),
        theme_key=source.theme_key,
        theme_label_ar=source.theme_label_ar,
        theme_label_fr=source.theme_label_fr,
        title_override_ar=new_ar,
        title_override_fr=new_fr,
        size=len(chosen),  # set again below
        dimension=source.dimension,
        position=position + 1,
    )
    moving = [
        c.pk
        for c in citations
        if c.contribution_id in chosen
        or (c.duplicate_of_id is not None and c.duplicate_of_id in chosen)
    ]
    FindingContribution.objects.filter(pk__in=moving).update(
        finding=new, is_representative=False, rank=None
    )
    for part in (new, source):
        _quotes_choose(part, preferred=quoted)
        _counts_recount(part)
        part.profiles = {}
        part.save(
            update_fields=["size", "duplicate_count", "dimension", "dimension_counts", "profiles"]
        )
    _event_record(
        run=run,
        finding=source,
        action=CurationEvent.Action.SPLIT,
        user=user,
        details={
            "new_finding": new.key,
            "new_finding_id": new.pk,
            "contributions": list(chosen),
            "contributions_moved": len(moving),
        },
        carried=carried,
    )
    return new
