"""Writing an opinion map: groups.csv, statements.csv, breakdowns.csv and report.html."""

from __future__ import annotations

import csv
import html
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from tashawur.synthesis._io import escape_formula

from ._map import OpinionMap
from ._matrix import natural_order

#: Colours of groups in the map (colour-blind safe, Okabe-Ito).
_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9")


def _number(value: float, digits: int = 4) -> str:
    return "" if math.isnan(value) else f"{value:.{digits}f}"


def group_name(group: int) -> str:
    """Pol.is names groups by letter: A, B, C …"""
    return chr(ord("A") + group)


def write_groups(path: Path, result: OpinionMap) -> None:
    """``participant, group``: the group (0-based, as Pol.is) or blank when not clustered."""
    label = dict(zip(result.participant_ids_, result.labels_.tolist(), strict=True))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["participant", "group"])
        for participant in natural_order(label):
            group = label[participant]
            writer.writerow([escape_formula(participant), "" if group < 0 else str(group)])


def write_statements(path: Path, result: OpinionMap, texts: Mapping[str, str]) -> None:
    """One row per statement: consensus, divisiveness and per-group counts and repness."""
    stats = result.statements_
    groups = range(result.n_groups_)
    header = ["statement", "text", "consensus", "divisiveness"]
    for g in groups:
        header += [f"group_{g}_{c}" for c in ("agree", "disagree", "pass", "repness", "repful_for")]
    repful = stats.repful_for_agree
    repness = stats.repness
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for j in result.consensus_order():
            statement = result.statement_ids_[j]
            row = [
                escape_formula(statement),
                escape_formula(texts.get(statement, "")),
                _number(float(stats.consensus[j]), 6),
                _number(float(stats.divisiveness[j])),
            ]
            for g in groups:
                compared = not math.isnan(float(repness[g, j]))
                row += [
                    str(stats.agree[g, j]),
                    str(stats.disagree[g, j]),
                    str(stats.passes[g, j]),
                    _number(float(repness[g, j])),
                    ("agree" if repful[g, j] else "disagree") if compared else "",
                ]
            writer.writerow(row)


def write_breakdowns(path: Path, result: OpinionMap) -> None:
    """``field, value, group, count, share, overall_share`` for each group and field value."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["field", "value", "group", "count", "share", "overall_share"])
        for b in result.breakdowns_:
            writer.writerow(
                [
                    b.field,
                    escape_formula(b.value),
                    b.group,
                    b.count,
                    _number(b.share),
                    _number(b.overall_share),
                ]
            )


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _statement_html(statement: str, texts: Mapping[str, str]) -> str:
    text = texts.get(statement, "")
    body = f'<span dir="auto">{_e(text)}</span>' if text else ""
    return f'<bdi class="sid">#{_e(statement)}</bdi> {body}'


def _map_svg(result: OpinionMap, size: int = 360) -> str:
    kept = result.kept_
    points = result.embedding_[kept]
    labels = result.labels_[kept]
    if len(points) == 0:
        return ""
    # Draw base clusters (at most ~100 discs) rather than every participant: small and readable.
    if result.clusterer_ is not None and len(result.clusterer_.base_centers_):
        centres = result.clusterer_.base_centers_
        weights = result.clusterer_.base_weights_
        groups = result.clusterer_.group_of_base_
    else:
        centres, weights, groups = points, np.ones(len(points)), labels
    span = float(np.abs(centres).max()) or 1.0
    scale = (size / 2 - 16) / span
    discs = []
    for (x, y), w, g in zip(centres.tolist(), weights.tolist(), groups.tolist(), strict=True):
        r = 2.0 + 2.0 * math.sqrt(w)
        cx, cy = size / 2 + x * scale, size / 2 - y * scale
        colour = _COLOURS[g % len(_COLOURS)]
        discs.append(
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.1f}" fill="{colour}" '
            f'fill-opacity="0.55"><title>{_e(group_name(g))}: {int(w)}</title></circle>'
        )
    return (
        f'<svg viewBox="0 0 {size} {size}" width="{size}" '
        f'height="{size}" role="img" aria-label="opinion map">'
        f'<rect width="{size}" height="{size}" fill="#fafafa" stroke="#ccc"/>'
        f'<line x1="{size / 2}" y1="0" x2="{size / 2}" y2="{size}" stroke="#ddd"/>'
        f'<line x1="0" y1="{size / 2}" x2="{size}" y2="{size / 2}" stroke="#ddd"/>'
        + "".join(discs)
        + "</svg>"
    )


_CSS = """
body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:60rem;line-height:1.4}
table{border-collapse:collapse;margin-block:0.5rem 1rem}
th,td{border:1px solid #ccc;padding:0.2rem 0.5rem;text-align:start;vertical-align:top}
td.n{text-align:end;font-variant-numeric:tabular-nums}
.sid{color:#666;font-size:0.85em}
.swatch{display:inline-block;width:0.8em;height:0.8em;margin-inline-end:0.3em}
"""


def write_report(
    path: Path,
    result: OpinionMap,
    texts: Mapping[str, str],
    *,
    title: str = "Opinion map",
    notes: Sequence[str] = (),
    top: int = 10,
) -> None:
    """A self-contained HTML page: map, groups, representative, consensus, divisive statements."""
    stats = result.statements_
    n_clustered = int((result.labels_ >= 0).sum())
    n_votes = int(result.n_votes_)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en" dir="ltr"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        "<p>"
        f"{len(result.participant_ids_)} participants, {len(result.statement_ids_)} statements, "
        f"{n_votes} votes; {n_clustered} participants clustered in "
        f"{result.n_groups_} group{'s' if result.n_groups_ != 1 else ''}.</p>",
    ]
    parts += [f"<p>{_e(note)}</p>" for note in notes]
    parts.append(_map_svg(result))
    if result.n_groups_:
        parts.append(
            "<p>Each disc is a base cluster of participants who voted alike, sized by its members"
            " and coloured by group. Under each group, the statements that set it apart, as"
            " Pol.is picks them: <em>repness</em> is the group's smoothed agree (or disagree) rate"
            " divided by everyone else's.</p>"
        )
    sizes = np.bincount(result.labels_[result.labels_ >= 0], minlength=result.n_groups_)
    for g in range(result.n_groups_):
        colour = _COLOURS[g % len(_COLOURS)]
        parts.append(
            f'<h2><span class="swatch" style="background:{colour}"></span>'
            f"Group {group_name(g)}: {int(sizes[g])} participants "
            f"<small>(group {g} in the CSV files)</small></h2>"
        )
        representatives = result.representatives_.get(g, [])
        if representatives:
            parts.append(
                "<table><tr><th>statement</th><th>side</th><th>in group</th><th>repness</th></tr>"
            )
            for r in representatives:
                statement = result.statement_ids_[r.statement]
                parts.append(
                    f"<tr><td>{_statement_html(statement, texts)}</td><td>{_e(r.repful_for)}</td>"
                    f'<td class="n">{r.n_success}/{r.n_trials}</td>'
                    f'<td class="n">{r.repness:.2f}</td></tr>'
                )
            parts.append("</table>")
    for heading, explanation, order, value in (
        (
            "Group-informed consensus",
            "The product over groups of each group's smoothed agreement, (agree + 1) / (seen + 2):"
            " high only when every group agrees.",
            result.consensus_order(),
            stats.consensus,
        ),
        (
            "Most divisive statements",
            "The gap between the most and the least agreeing group's smoothed agreement.",
            result.divisive_order(),
            stats.divisiveness,
        ),
    ):
        if result.n_groups_ == 0:
            break
        parts.append(
            f"<h2>{_e(heading)}</h2><p>{_e(explanation)}</p>"
            "<table><tr><th>statement</th><th>score</th>"
        )
        parts += [f"<th>agree {group_name(g)}</th>" for g in range(result.n_groups_)]
        parts.append("</tr>")
        for j in order[:top]:
            statement = result.statement_ids_[j]
            parts.append(
                f"<tr><td>{_statement_html(statement, texts)}</td>"
                f'<td class="n">{_number(float(value[j]), 3)}</td>'
            )
            for g in range(result.n_groups_):
                seen = stats.agree[g, j] + stats.disagree[g, j] + stats.passes[g, j]
                parts.append(f'<td class="n">{stats.agree[g, j]}/{seen}</td>')
            parts.append("</tr>")
        parts.append("</table>")
    if result.breakdowns_:
        parts.append("<h2>Who is in each group</h2>")
        for field in dict.fromkeys(b.field for b in result.breakdowns_):
            rows = [b for b in result.breakdowns_ if b.field == field]
            parts.append(f"<h3>{_e(field.replace('_', ' '))}</h3><table><tr><th>value</th>")
            parts += [f"<th>{group_name(g)}</th>" for g in range(result.n_groups_)]
            parts.append("<th>all</th></tr>")
            for field_value in dict.fromkeys(b.value for b in rows):
                cells = {b.group: b for b in rows if b.value == field_value}
                parts.append(f'<tr><td dir="auto">{_e(field_value)}</td>')
                parts += [
                    f'<td class="n">{cells[g].count} ({cells[g].share:.0%})</td>'
                    for g in range(result.n_groups_)
                ]
                parts.append(f'<td class="n">{next(iter(cells.values())).overall_share:.0%}</td>')
                parts.append("</tr>")
            parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("\n".join(parts), encoding="utf-8")
