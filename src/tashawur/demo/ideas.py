"""The demo's ``idea`` labels (contributions.yaml) read against the findings of a synthesis run.

A synthesis groups contributions by meaning, not by the demo's labels, so a finding may hold one
contribution of an idea among others. ``FindingIdeas`` says how much of a finding an idea makes
up; the programme's measures cite the findings mostly about their ideas, and the demo's analyst
accepts the findings mostly about one idea.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from tashawur.contributions.models import Contribution
from tashawur.demo.field_capture import demo_file_key
from tashawur.demo.files import default_data_dir, read_yaml
from tashawur.diagnosis.models import Finding, FindingContribution, SynthesisRun

#: A finding is mostly about ideas when they make up more than this share of what it holds.
MIN_SHARE = Fraction(1, 2)


def demo_ideas_contribution_keys(groups: list[dict[str, Any]]) -> dict[str, list[str]]:
    """idea -> the keys of the contributions that carry it, in file order."""
    keys: dict[str, list[str]] = defaultdict(list)
    for group in groups:
        for row in group["contributions"]:
            keys[row["idea"]].append(row["key"])
    return dict(keys)


@dataclass
class FindingIdeas:
    """What one finding holds of the demo's ideas."""

    finding: Finding
    #: Its contributions, the demo's and any added since.
    size: int = 0
    #: idea -> how many of its contributions carry it.
    ideas: Counter[str] = field(default_factory=Counter)
    #: idea -> the ids of its contributions that carry it.
    members: dict[str, set[int]] = field(default_factory=lambda: defaultdict(set))

    def share(self, ideas: Iterable[str]) -> Fraction:
        """The share of its contributions that carry one of ``ideas``."""
        held = sum(self.ideas[idea] for idea in set(ideas))
        return Fraction(held, self.size) if self.size else Fraction(0)

    @property
    def main_idea(self) -> str | None:
        """The idea that more than ``MIN_SHARE`` of its contributions carry, if one does."""
        for idea in self.ideas:
            if self.share([idea]) > MIN_SHARE:
                return idea
        return None


def demo_findings_ideas(
    *, run: SynthesisRun, data_dir: Traversable | Path | None = None
) -> dict[int, FindingIdeas]:
    """finding id -> what it holds of the demo's ideas, for the findings of ``run`` the
    diagnosis shows (merged and rejected ones are left aside), in the run's order."""
    data_dir = data_dir or default_data_dir()
    keys_of_idea = demo_ideas_contribution_keys(
        read_yaml(data_dir, "contributions.yaml")["workshops"]
    )
    idea_of_file_key = {key: idea for idea, keys in keys_of_idea.items() for key in keys}
    idea_of: dict[int, str] = {}
    # Demo rows keep their file key in their idempotency key (the imported notes as the row's
    # reference: demo.field_capture).
    for key, pk in Contribution.objects.filter(
        consultation_id=run.consultation_id, idempotency_key__isnull=False
    ).values_list("idempotency_key", "pk"):
        idea = idea_of_file_key.get(demo_file_key(key) or "")
        if idea is not None:
            idea_of[pk] = idea
    found: dict[int, FindingIdeas] = {}
    for finding in (
        Finding.objects.filter(run=run)
        .exclude(status__in=[Finding.Status.MERGED, Finding.Status.REJECTED])
        .order_by("position")
    ):
        # The run itself, not a copy per finding: its stored result is large to read.
        finding.run = run
        found[finding.pk] = FindingIdeas(finding=finding)
    for finding_id, contribution_id in FindingContribution.objects.filter(
        finding_id__in=list(found)
    ).values_list("finding_id", "contribution_id"):
        held = found[finding_id]
        held.size += 1
        idea = idea_of.get(contribution_id)
        if idea is not None:
            held.ideas[idea] += 1
            held.members[idea].add(contribution_id)
    return found
