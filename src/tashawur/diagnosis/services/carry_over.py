"""Curation carried over to a new synthesis run, and what could not be, left to the analyst.

When a run succeeds, each curated finding of the run the diagnosis showed before is mapped to
its successor among the new run's findings: the finding with the same stable key, else the one
whose contributions overlap it most (Jaccard index of the contribution ids at least
``JACCARD_MIN``, the best match unique). The curation is then replayed on the successors, in
this order: splits, merges, statuses, titles; then the written entries that cited the old
findings cite their successors. Each replayed action is a ``CurationEvent`` of the new run
(action ``carried``; its details name the action, the earlier run, finding and events), by the
analyst who acted first. What cannot be carried (a finding that vanished or split across
several new findings, a merge whose findings are gone, two curated findings landing in one new
finding with different titles or statuses, an entry whose finding has no successor) becomes a
``CarryOverIssue`` for the analyst to decide: pick a successor, or dismiss it. Nothing is
dropped silently: every curation event of the earlier run is named by a carried event or by an
issue.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tashawur.core.errors import DomainError
from tashawur.diagnosis import rules
from tashawur.diagnosis.models import (
    CarryOverIssue,
    CurationEvent,
    Diagnosis,
    DiagnosisEntry,
    Finding,
    FindingContribution,
    SynthesisRun,
)
from tashawur.diagnosis.services.curation import (
    merge_apply,
    rename_apply,
    split_apply,
    status_apply,
)

#: A new finding succeeds an old one without the same key when their contributions overlap at
#: least this much (shared ids over the ids of either), and no other new finding does as well.
JACCARD_MIN = 0.5
#: Candidate successors an issue lists (those sharing the most contributions).
CANDIDATES_MAX = 5

_STATUS_EVENTS = (
    CurationEvent.Action.ACCEPT,
    CurationEvent.Action.REJECT,
    CurationEvent.Action.RESET,
)


@dataclass
class CarryOver:
    """What a carry-over did: events it recorded on the new run and the issues it listed."""

    carried: list[CurationEvent] = field(default_factory=list)
    issues: list[CarryOverIssue] = field(default_factory=list)
    entries_repointed: int = 0


def _source(run: SynthesisRun, old: Finding, events: Iterable[CurationEvent]) -> dict[str, Any]:
    events = list(events)
    return {
        "run": run.pk,
        "finding": old.key,
        "finding_id": old.pk,
        "events": [e.pk for e in events],
        "at": max((e.created_at for e in events), default=timezone.now()).isoformat(),
    }


def _actor(events: Iterable[CurationEvent]) -> Any:
    """Who the carried action is recorded for: the analyst whose last event it replays."""
    actors = [e.actor for e in events if e.actor_id is not None]
    return actors[-1] if actors else None


class _CarryOver:
    def __init__(self, run: SynthesisRun, previous: SynthesisRun) -> None:
        self.run = run
        self.previous = previous
        self.out = CarryOver()
        # What a carry-over reads of the old findings (the heavy JSON of each is not needed).
        self.old = {
            f.pk: f
            for f in previous.findings.defer(
                "profiles", "key_phrases_ar", "key_phrases_fr", "dimension_counts", "title_sources"
            )
        }
        self.events = list(
            previous.curation_events.select_related("actor").order_by("created_at", "pk")
        )
        self.events_of: dict[int, list[CurationEvent]] = defaultdict(list)
        for event in self.events:
            self.events_of[event.finding_id].append(event)
        self.split_made = {
            int(e.details.get("new_finding_id", 0)): e
            for e in self.events
            if e.action == CurationEvent.Action.SPLIT
        }
        self.successor: dict[int, int | None] = {}
        self.issues: dict[tuple[int, int | None], CarryOverIssue] = {}
        self.status_from: dict[int, Finding] = {}
        self.title_from: dict[int, Finding] = {}

    # What each old finding cited and what each new one cites are read only when a successor is
    # looked for: a refresh with nothing curated never needs them (every citation of two runs).

    @cached_property
    def cited(self) -> dict[int, set[int]]:
        """What each old finding cited, as its run left it (after curation)."""
        cited: dict[int, set[int]] = defaultdict(set)
        for finding_id, contribution_id in FindingContribution.objects.filter(
            run=self.previous
        ).values_list("finding_id", "contribution_id"):
            cited[finding_id].add(contribution_id)
        return cited

    @cached_property
    def found(self) -> dict[str, set[int]]:
        """What the library found for each of its own findings of the earlier run (what the
        new run compares to)."""
        return _library_sets(self.previous.result or {})

    @cached_property
    def new_by_key(self) -> dict[str, Finding]:
        return {f.key: f for f in self.run.findings.all()}

    @cached_property
    def new_sets(self) -> dict[int, set[int]]:
        new_sets: dict[int, set[int]] = defaultdict(set)
        for finding_id, contribution_id in FindingContribution.objects.filter(
            run=self.run
        ).values_list("finding_id", "contribution_id"):
            new_sets[finding_id].add(contribution_id)
        return new_sets

    # -- mapping -------------------------------------------------------------------------------

    def contributions_of(self, old: Finding) -> set[int]:
        """What the library found for one of its own findings of the earlier run; else (a
        finding split off by hand, or of an older run) what it cites now."""
        library = old.run_id == self.previous.pk and old.pk not in self.split_made
        if library and old.key in self.found:
            return set(self.found[old.key])
        cited = self.cited.get(old.pk)
        if cited is None and old.run_id != self.previous.pk:
            cited = set(
                FindingContribution.objects.filter(finding=old).values_list(
                    "contribution_id", flat=True
                )
            )
        return set(cited or ())

    def live(self, finding_id: int | None) -> Finding | None:
        """The new run's finding as it is now, followed through the merges replayed."""
        seen: set[int] = set()
        while finding_id is not None and finding_id not in seen:
            seen.add(finding_id)
            finding = Finding.objects.filter(pk=finding_id, run=self.run).first()
            if finding is None:
                return None
            if finding.merged_into_id is None:
                return finding
            finding_id = finding.merged_into_id
        return None

    def successor_of(self, old: Finding) -> Finding | None:
        if old.pk not in self.successor:
            self.successor[old.pk] = self._successor_find(old)
        return self.live(self.successor[old.pk])

    def _successor_find(self, old: Finding) -> int | None:
        if old.pk in self.split_made and old.run_id == self.previous.pk:
            return None  # set by the split's replay, if it could be replayed
        same_key = self.new_by_key.get(old.key)
        if same_key is not None:
            return same_key.pk
        mine = self.contributions_of(old)
        if not mine:
            return None
        scores = sorted(
            (
                (len(mine & theirs) / len(mine | theirs), finding_id)
                for finding_id, theirs in self.new_sets.items()
                if mine & theirs
            ),
            reverse=True,
        )
        if not scores or scores[0][0] < JACCARD_MIN:
            return None
        if len(scores) > 1 and scores[1][0] == scores[0][0]:
            return None  # two equally good: the analyst decides
        return scores[0][1]

    def candidates(self, contributions: set[int]) -> list[dict[str, Any]]:
        """The new findings holding the most of ``contributions``, as they are now."""
        where = FindingContribution.objects.filter(
            run=self.run, contribution_id__in=list(contributions)
        ).values_list("finding_id", flat=True)
        counts: dict[int, int] = defaultdict(int)
        for finding_id in where:
            live = self.live(finding_id)
            if live is not None:
                counts[live.pk] += 1
        best = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:CANDIDATES_MAX]
        return [{"id": pk, "overlap": n} for pk, n in best]

    # -- recording -----------------------------------------------------------------------------

    def note(
        self,
        finding: Finding,
        action: str,
        old: Finding,
        events: list[CurationEvent],
        **details: Any,
    ) -> None:
        """A carried action that changed nothing on the new run (already so): recorded all the
        same, so that the history names every event carried."""
        self.out.carried.append(
            CurationEvent.objects.create(
                run=self.run,
                finding=finding,
                action=CurationEvent.Action.CARRIED,
                actor=_actor(events),
                details={
                    "action": action,
                    **details,
                    "source": _source(self.previous, old, events),
                },
            )
        )

    def carried_event(self) -> None:
        latest = self.run.curation_events.order_by("-pk").first()
        if latest is not None and latest.action == CurationEvent.Action.CARRIED:
            self.out.carried.append(latest)

    def issue(
        self,
        old: Finding,
        kind: str,
        events: Iterable[CurationEvent] = (),
        *,
        entry: DiagnosisEntry | None = None,
        **details: Any,
    ) -> CarryOverIssue:
        """List ``old`` for the analyst (one issue per old finding, and per entry citing it)."""
        key = (old.pk, entry.pk if entry else None)
        issue = self.issues.get(key)
        ids = [e.pk for e in events]
        if issue is None:
            issue = CarryOverIssue.objects.create(
                run=self.run,
                old_finding=old,
                old_finding_key=old.key,
                kind=kind,
                entry=entry,
                details={
                    "run": old.run_id,
                    "events": ids,
                    "titles": {"ar": old.title_override_ar, "fr": old.title_override_fr},
                    "status": old.status,
                    "candidates": self.candidates(self.contributions_of(old)),
                    **details,
                },
            )
            self.issues[key] = issue
            self.out.issues.append(issue)
        else:
            issue.details["events"] = sorted({*issue.details.get("events", []), *ids})
            issue.details.update({k: v for k, v in details.items() if k not in issue.details})
            issue.save(update_fields=["details"])
        return issue

    # -- replay --------------------------------------------------------------------------------

    def splits(self) -> None:
        for event in self.events:
            if event.action != CurationEvent.Action.SPLIT:
                continue
            made = self.old.get(int(event.details.get("new_finding_id", 0)))
            if made is None:
                continue
            events = [event]
            split_off = {int(c) for c in event.details.get("contributions", [])}
            holders: set[int] = set()
            for finding_id in FindingContribution.objects.filter(
                run=self.run, contribution_id__in=list(split_off)
            ).values_list("finding_id", flat=True):
                live = self.live(finding_id)
                if live is not None:
                    holders.add(live.pk)
            if len(holders) != 1:
                self.issue(
                    made,
                    CarryOverIssue.Kind.SPLIT if holders else CarryOverIssue.Kind.VANISHED,
                    events,
                    split_from=self.old[event.finding_id].key,
                    contributions=sorted(split_off),
                )
                continue
            holder = self.live(holders.pop())
            assert holder is not None
            members = set(
                FindingContribution.objects.filter(
                    finding=holder, duplicate_of__isnull=True
                ).values_list("contribution_id", flat=True)
            )
            chosen = sorted(split_off & members)
            if not chosen or len(chosen) == len(members):
                self.successor[made.pk] = holder.pk
                self.note(holder, "split", made, events, already_apart=True)
                continue
            new = split_apply(
                run=self.run,
                source=holder,
                chosen=chosen,
                title_ar=made.title_override_ar,
                title_fr=made.title_override_fr or ("" if made.title_override_ar else made.key),
                user=_actor(events),
                carried=_source(self.previous, made, events),
            )
            self.carried_event()
            self.successor[made.pk] = new.pk
            self.new_sets[new.pk] = set(
                FindingContribution.objects.filter(finding=new).values_list(
                    "contribution_id", flat=True
                )
            )

    def final(self, finding: Finding) -> Finding:
        seen = {finding.pk}
        while finding.merged_into_id is not None and finding.merged_into_id not in seen:
            finding = self.old[finding.merged_into_id]
            seen.add(finding.pk)
        return finding

    def merges(self) -> None:
        groups: dict[int, list[CurationEvent]] = defaultdict(list)
        for event in self.events:
            if event.action == CurationEvent.Action.MERGE:
                groups[self.final(self.old[event.finding_id]).pk].append(event)
        sources_of: dict[int, list[Finding]] = defaultdict(list)
        for finding in self.old.values():
            if finding.status == Finding.Status.MERGED:
                sources_of[self.final(finding).pk].append(finding)
        for target_id, merge_events in groups.items():
            target = self.old[target_id]
            sources = sorted(sources_of[target_id], key=lambda f: f.position)
            # What was done to the sources before they were merged is superseded by the merge.
            events = sorted(
                [*merge_events, *(e for s in sources for e in self.events_of[s.pk])],
                key=lambda e: (e.created_at, e.pk),
            )
            new_target = self.successor_of(target)
            if new_target is None:
                self.issue(
                    target,
                    CarryOverIssue.Kind.MERGE,
                    events,
                    merged=[s.key for s in sources],
                    sources_successor_ids=[
                        s.pk for s in (self.successor_of(s) for s in sources) if s is not None
                    ],
                )
                continue
            moving: list[Finding] = []
            for source in sources:
                new_source = self.successor_of(source)
                if new_source is None:
                    self.issue(
                        source,
                        CarryOverIssue.Kind.MERGE,
                        [e for e in events if source.pk in e.details.get("merged_ids", [])]
                        + self.events_of[source.pk],
                        into=target.key,
                        into_successor_id=new_target.pk,
                    )
                elif new_source.pk != new_target.pk and new_source not in moving:
                    moving.append(new_source)
            if moving:
                merge_apply(
                    run=self.run,
                    target=new_target,
                    sources=moving,
                    user=_actor(merge_events),
                    carried=_source(self.previous, target, events),
                )
                self.carried_event()
            else:
                self.note(new_target, "merge", target, events, already_together=True)

    def statuses(self) -> None:
        for old in self.old.values():
            if old.status == Finding.Status.MERGED:
                continue
            events = [e for e in self.events_of[old.pk] if e.action in _STATUS_EVENTS]
            if not events and old.status == Finding.Status.PROPOSED:
                continue
            new = self.successor_of(old)
            if new is None:
                self.issue(old, CarryOverIssue.Kind.VANISHED, events)
                continue
            other = self.status_from.get(new.pk)
            if other is not None and other.status != old.status:
                self.issue(old, CarryOverIssue.Kind.CONFLICT, events, with_finding=other.key)
                continue
            self.status_from[new.pk] = old
            if status_apply(
                run=self.run,
                finding=new,
                status=old.status,
                user=_actor(events),
                carried=_source(self.previous, old, events),
            ):
                self.carried_event()
            else:
                self.note(new, "status", old, events, status=old.status)

    def titles(self) -> None:
        for old in self.old.values():
            if old.status == Finding.Status.MERGED:
                continue
            events = [e for e in self.events_of[old.pk] if e.action == CurationEvent.Action.RENAME]
            titled = old.title_override_ar or old.title_override_fr
            if not events and not titled:
                continue
            new = self.successor_of(old)
            if new is None:
                self.issue(old, CarryOverIssue.Kind.VANISHED, events)
                continue
            titles = (old.title_override_ar, old.title_override_fr)
            other = self.title_from.get(new.pk)
            if other is not None and (other.title_override_ar, other.title_override_fr) != titles:
                self.issue(old, CarryOverIssue.Kind.CONFLICT, events, with_finding=other.key)
                continue
            self.title_from[new.pk] = old
            if rename_apply(
                run=self.run,
                finding=new,
                title_ar=old.title_override_ar,
                title_fr=old.title_override_fr,
                user=_actor(events),
                carried=_source(self.previous, old, events),
            ):
                self.carried_event()
            elif events:
                self.note(new, "rename", old, events, titles={"ar": titles[0], "fr": titles[1]})

    def entries(self) -> None:
        diagnosis = Diagnosis.objects.filter(consultation_id=self.run.consultation_id).first()
        if diagnosis is None:
            return
        changed = False
        cited_by: dict[int, list[int]] = defaultdict(list)
        for entry in diagnosis.entries.prefetch_related("findings__run").order_by("pk"):
            for finding in list(entry.findings.all()):
                if finding.run_id == self.run.pk:
                    continue
                self.old.setdefault(finding.pk, finding)
                start = self.final(finding) if finding.run_id == self.previous.pk else finding
                new = self.successor_of(start)
                if new is None:
                    self.issue(finding, CarryOverIssue.Kind.ENTRY, entry=entry)
                    continue
                entry.findings.remove(finding)
                entry.findings.add(new)
                cited_by[new.pk].append(entry.pk)
                self.out.entries_repointed += 1
                changed = True
        for finding_id, entry_ids in cited_by.items():
            finding = Finding.objects.get(pk=finding_id)
            CurationEvent.objects.create(
                run=self.run,
                finding=finding,
                action=CurationEvent.Action.CARRIED,
                actor=None,
                details={
                    "action": "cite",
                    "entries": entry_ids,
                    "source": {"run": self.previous.pk},
                },
            )
        if changed:
            Diagnosis.objects.filter(pk=diagnosis.pk).update(
                status=Diagnosis.Status.DRAFT, updated_at=timezone.now()
            )

    def open_issues(self) -> None:
        """Decisions still open on the earlier run stay open on the new one."""
        for issue in self.previous.carry_over_issues.filter(resolution="").select_related(
            "old_finding"
        ):
            key = (issue.old_finding_id, issue.entry_id)
            if key in self.issues:
                continue
            old = issue.old_finding
            details = dict(issue.details)
            details["candidates"] = self.candidates(self.contributions_of(old))
            details["from_issue"] = issue.pk
            self.issues[key] = CarryOverIssue.objects.create(
                run=self.run,
                old_finding=old,
                old_finding_key=issue.old_finding_key,
                kind=issue.kind,
                entry_id=issue.entry_id,
                details=details,
            )
            self.out.issues.append(self.issues[key])


def _library_sets(result: dict[str, Any]) -> dict[str, set[int]]:
    """Each finding of a stored library result with the contributions it carried: its members
    and their duplicates."""
    duplicates: dict[str, list[str]] = defaultdict(list)
    for group in result.get("duplicates", []):
        duplicates[str(group["canonical_id"])].extend(str(d) for d in group["duplicate_ids"])
    out: dict[str, set[int]] = {}
    for finding in result.get("findings", []):
        members = [str(m) for m in finding.get("member_ids", [])]
        out[str(finding["id"])] = {int(m) for m in members} | {
            int(d) for m in members for d in duplicates.get(m, [])
        }
    return out


def curation_carry_over(*, run: SynthesisRun, previous: SynthesisRun | None) -> CarryOver:
    """Carry the curation of ``previous`` (the run the diagnosis showed) over to ``run``, which
    has just stored its findings, in the caller's transaction; list what cannot be carried.

    Called by the run itself (``storing.result_store``) once it is closed as succeeded, so that
    the diagnosis never shows the new run without its curation: a failure here fails the run,
    and the earlier run, with its curation, stays the one shown.
    """
    if previous is None or previous.pk == run.pk:
        return CarryOver()
    carry = _CarryOver(run, previous)
    carry.splits()
    carry.merges()
    carry.statuses()
    carry.titles()
    carry.entries()
    carry.open_issues()
    return carry.out


# -- the analyst's decisions -------------------------------------------------------------------


def _issue_lock(issue: CarryOverIssue) -> tuple[CarryOverIssue, SynthesisRun]:
    locked = (
        CarryOverIssue.objects.select_for_update(of=("self",))
        .select_related("old_finding", "entry", "run__consultation")
        .get(pk=issue.pk)
    )
    run = SynthesisRun.objects.select_for_update().get(pk=locked.run_id)
    current = (
        SynthesisRun.objects.filter(consultation_id=run.consultation_id)
        .shown_first()
        .values_list("pk", flat=True)
        .first()
    )
    if current != run.pk:
        raise DomainError(
            _("This decision belongs to an earlier synthesis run: the latest run lists its own."),
            code="carry_over_superseded",
        )
    if not locked.is_open:
        raise DomainError(_("This has already been decided."), code="carry_over_decided")
    return locked, run


def _shown(finding_id: int | None, run: SynthesisRun) -> Finding | None:
    seen: set[int] = set()
    while finding_id is not None and finding_id not in seen:
        seen.add(finding_id)
        finding = Finding.objects.select_for_update().filter(pk=finding_id, run=run).first()
        if finding is None or finding.merged_into_id is None:
            return finding
        finding_id = finding.merged_into_id
    return None


@transaction.atomic
def carry_over_issue_resolve(
    *, issue: CarryOverIssue, user: Any, successor: Finding | None = None, dismiss: bool = False
) -> CarryOverIssue:
    """Decide what became of an earlier finding's curation: ``successor`` (a finding of the
    issue's run, shown) takes it over, or ``dismiss`` leaves it behind.

    Picking applies what was not carried: an entry cites the successor instead of the old
    finding; a merge is made again with the successor; otherwise the old finding's titles and
    status go to the successor, and the entries still citing the old finding cite the
    successor. Each change is recorded as a ``carried`` curation event by ``user``.
    """
    consultation = issue.run.consultation
    if not rules.can_curate_findings(user, consultation):
        raise DomainError(
            _("You are not allowed to curate the findings of this consultation."),
            code="curation_not_allowed",
        )
    locked, run = _issue_lock(issue)
    now = timezone.now()
    if dismiss:
        locked.resolution = CarryOverIssue.Resolution.DISMISSED
        locked.resolved_at, locked.resolved_by = now, user
        locked.save(update_fields=["resolution", "resolved_at", "resolved_by"])
        return locked
    chosen = _shown(successor.pk, run) if successor is not None else None
    if chosen is None or chosen.run_id != run.pk or chosen.status == Finding.Status.MERGED:
        raise DomainError(
            _("Choose a finding of the latest synthesis run."),
            code="carry_over_successor_invalid",
            field="successor",
        )
    old = locked.old_finding
    source = {"run": old.run_id, "finding": old.key, "finding_id": old.pk, "issue": locked.pk}
    if locked.kind == CarryOverIssue.Kind.ENTRY:
        _entry_repoint(locked.entry, old, chosen)
    elif locked.kind == CarryOverIssue.Kind.MERGE:
        if locked.details.get("into_successor_id"):
            target = _shown(int(locked.details["into_successor_id"]), run)
            sources = [chosen]
        else:
            target = chosen
            sources = [
                s
                for s in (
                    _shown(int(i), run) for i in locked.details.get("sources_successor_ids", [])
                )
                if s is not None
            ]
        if target is None or not target.is_visible:
            raise DomainError(
                _(
                    "The finding to merge into must be shown in the diagnosis: "
                    "neither merged nor rejected."
                ),
                code="merge_target_hidden",
                field="successor",
            )
        sources = [s for s in dict.fromkeys(sources) if s.pk != target.pk]
        if sources:
            merge_apply(run=run, target=target, sources=sources, user=user, carried=source)
    else:
        titles = locked.details.get("titles") or {}
        if titles.get("ar") or titles.get("fr"):
            rename_apply(
                run=run,
                finding=chosen,
                title_ar=titles.get("ar", ""),
                title_fr=titles.get("fr", ""),
                user=user,
                carried=source,
            )
        status = locked.details.get("status") or Finding.Status.PROPOSED
        if status in (Finding.Status.ACCEPTED, Finding.Status.REJECTED):
            status_apply(run=run, finding=chosen, status=status, user=user, carried=source)
        for other in (
            run.carry_over_issues.select_for_update(of=("self",))
            .filter(old_finding=old, kind=CarryOverIssue.Kind.ENTRY, resolution="")
            .select_related("entry")
        ):
            assert other.entry is not None
            _entry_repoint(other.entry, old, chosen)
            other.resolution = CarryOverIssue.Resolution.PICKED
            other.successor, other.resolved_at, other.resolved_by = chosen, now, user
            other.save(update_fields=["resolution", "successor", "resolved_at", "resolved_by"])
    locked.resolution = CarryOverIssue.Resolution.PICKED
    locked.successor, locked.resolved_at, locked.resolved_by = chosen, now, user
    locked.save(update_fields=["resolution", "successor", "resolved_at", "resolved_by"])
    return locked


def _entry_repoint(entry: DiagnosisEntry | None, old: Finding, new: Finding) -> None:
    if entry is None:
        return
    entry.findings.remove(old)
    entry.findings.add(new)
    Diagnosis.objects.filter(pk=entry.diagnosis_id).update(
        status=Diagnosis.Status.DRAFT, updated_at=timezone.now()
    )
