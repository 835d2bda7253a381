"""Steps 4 and 9 around the steps' own work: folding duplicates, and assembling the result."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._dedup import DuplicateFinder, duplicate_groups
from ._group import id_key
from ._title import FindingTitle
from ._types import (
    ENGINE_VERSION,
    DuplicateGroup,
    Finding,
    Quote,
    Record,
    SynthesisResult,
    Theme,
)

IntArray = NDArray[np.int64]
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")
_LATIN_LETTER = re.compile("[A-Za-z]")


def assemble(
    records: list[Record],
    canonical: IntArray,
    levels: list[str],
    analysable: NDArray[np.bool_],
    members: IntArray,
    theme_of: IntArray,
    finding_of: IntArray,
    theme_ids: list[str],
    finding_ids: list[str],
    phrases: tuple[list[list[str]], ...],
    quotes: list[list[int]],
    profiles: list[Any],
    finding_of_record: IntArray,
    titles: Sequence[FindingTitle] | None = None,
) -> SynthesisResult:
    """Build the result: findings and themes with their labels, quotes and profiles, each
    record's assignment, and the duplicate groups (warnings, parameters and timings empty)."""
    f_ar, f_fr, t_ar, t_fr = phrases
    finding_theme = np.zeros(len(finding_ids), dtype=np.int64)
    finding_theme[finding_of] = theme_of
    sizes = np.bincount(finding_of_record[finding_of_record >= 0], minlength=len(finding_ids))
    # Plain lists for the loops below: a NumPy scalar per item cost more than the rest.
    member_list, theme_of_finding, size_of = (
        members.tolist(),
        finding_theme.tolist(),
        sizes.tolist(),
    )
    member_lists: list[list[str]] = [[] for _ in finding_ids]
    for i, f in zip(member_list, finding_of.tolist(), strict=True):
        member_lists[f].append(records[i].id)
    findings: list[Finding] = []
    for f, fid in enumerate(finding_ids):
        quoted = [records[member_list[k]] for k in quotes[f]]
        findings.append(
            Finding(
                id=fid,
                theme=theme_ids[theme_of_finding[f]],
                size=int(size_of[f]),
                label_ar="، ".join(f_ar[f][:3]),
                label_fr=", ".join(f_fr[f][:3]),
                key_phrases_ar=f_ar[f],
                key_phrases_fr=f_fr[f],
                representative_ids=[r.id for r in quoted],
                member_ids=member_lists[f],
                profiles=profiles[f],
                quotes=[Quote(id=r.id, text=r.text, language=r.language) for r in quoted],
                duplicate_count=int(size_of[f]) - len(member_lists[f]),
            )
        )
        if titles is not None:
            title = titles[f]
            finding = findings[-1]
            finding.title_ar, finding.title_fr = title.ar, title.fr
            finding.title_ar_source, finding.title_fr_source = title.ar_source, title.fr_source
            finding.title_borrowed_from = title.borrowed_from
            finding.title_language_fallback = title.language_fallback
    theme_sizes = np.bincount(finding_theme, weights=sizes, minlength=len(theme_ids))
    themes = [
        Theme(
            id=tid,
            size=int(theme_sizes[t]),
            label_ar="، ".join(t_ar[t][:3]),
            label_fr=", ".join(t_fr[t][:3]),
            finding_ids=[finding_ids[f] for f in np.nonzero(finding_theme == t)[0].tolist()],
            key_phrases_ar=t_ar[t],
            key_phrases_fr=t_fr[t],
        )
        for t, tid in enumerate(theme_ids)
    ]
    assignments: list[dict[str, str | None]] = []
    canonical_of, analysed = canonical.tolist(), analysable.tolist()
    for i, (r, f) in enumerate(zip(records, finding_of_record.tolist(), strict=True)):
        c = canonical_of[i]
        assignments.append(
            {
                "id": r.id,
                "language": r.language,
                "script": r.script,
                "theme": theme_ids[theme_of_finding[f]] if f >= 0 else None,
                "finding": finding_ids[f] if f >= 0 else None,
                "duplicate_of": records[c].id if c != i and analysed[i] else None,
            }
        )
    groups: list[DuplicateGroup] = duplicate_groups([r.id for r in records], canonical, levels)
    findings.sort(key=lambda f: (id_key(f.theme), id_key(f.id)))
    themes.sort(key=lambda t: id_key(t.id))
    return SynthesisResult(
        assignments=assignments,
        findings=findings,
        themes=themes,
        duplicates=groups,
        warnings=[],
        parameters={},
        timings={},
        engine_version=ENGINE_VERSION,
    )


def fold_copies(
    finder: DuplicateFinder, records: Sequence[Record], live: IntArray
) -> tuple[IntArray, list[str]]:
    """Canonical index and duplicate level of every record, by exact and normalised copy."""
    copy_of, level = finder.find_copies(
        [records[i].text for i in live], [records[i].analysis_text for i in live]
    )
    canonical = np.arange(len(records), dtype=np.int64)
    canonical[live] = live[copy_of]
    levels = [""] * len(records)
    for k, i in enumerate(live.tolist()):
        levels[i] = level[k]
    return canonical, levels


def fold_paraphrases(
    canonical: IntArray, levels: list[str], live: IntArray, firsts: IntArray, roots: IntArray
) -> None:
    """Point every copy of a paraphrase to the paraphrase group's canonical item, in place."""
    root_of = np.arange(len(canonical), dtype=np.int64)
    root_of[firsts] = firsts[roots]
    target = root_of[canonical[live]]
    moved = target != canonical[live]
    for i in live[moved].tolist():
        levels[i] = "paraphrase"
    canonical[live] = target


def profile_fields(records: Sequence[Record]) -> dict[str, list[str | None]]:
    """The language and every metadata field of the records, by field name."""
    fields: dict[str, list[str | None]] = {"language": [r.language for r in records]}
    for key in sorted({k for r in records for k in r.metadata}):
        fields[key] = [r.metadata.get(key) for r in records]
    return fields


def label_texts(records: Sequence[Record]) -> tuple[list[str], list[str]]:
    """Per record, its Arabic-script text and its French text for key phrases."""
    arabic: list[str] = []
    french: list[str] = []
    for r in records:
        ar = r.text if r.script == "Arab" else ""
        fr = r.text if r.language == "fr" else ""
        if r.translation:
            if _ARABIC_LETTER.search(r.translation):
                ar = f"{ar} {r.translation}".strip()
            elif _LATIN_LETTER.search(r.translation) and r.language not in {"en"}:
                fr = f"{fr} {r.translation}".strip()
        arabic.append(ar)
        french.append(fr)
    return arabic, french
