"""Reading contributions from CSV, XLSX and JSONL, and writing the three outputs."""

from __future__ import annotations

import csv
import html
import io
import json
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ._types import Finding, SynthesisResult

#: Cells starting with these are read as formulas by spreadsheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Member ids listed per finding in the HTML report (all of them are in findings.json).
REPORT_MEMBER_IDS = 200


class InputFileError(ValueError):
    """The input file cannot be read as contributions; the message says why."""


def escape_formula(value: str) -> str:
    """Prefix a cell that a spreadsheet would run as a formula with an apostrophe.

    Parameters
    ----------
    value : str
        A cell value.

    Returns
    -------
    str
        ``value``, or ``"'" + value`` when it starts with ``= + - @``, a tab or a carriage return.
    """
    return "'" + value if value.startswith(_FORMULA_START) else value


def decode(data: bytes, name: str) -> str:
    """Decode a text file: UTF-8 (with or without BOM), then Windows Arabic (cp1256).

    Raises
    ------
    InputFileError
        When the bytes are neither, or look binary.
    """
    for encoding in ("utf-8-sig", "cp1256"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise InputFileError(
        f"{name} is not a text file in UTF-8 or Windows Arabic (cp1256): save it as UTF-8"
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _rows_csv(text: str, wanted: Sequence[str]) -> tuple[list[str], list[dict[str, str]]]:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        sniffed = csv.Sniffer().sniff(text[:8192], delimiters=",;\t").delimiter
    except csv.Error:
        sniffed = ","
    # The sniffer can be fooled by punctuation inside texts: prefer a delimiter whose header
    # names every wanted column.
    best: tuple[str, list[str]] | None = None
    for delimiter in dict.fromkeys((sniffed, ",", ";", "\t")):
        header = _header(text, delimiter)
        if best is None:
            best = (delimiter, header)
        if all(column in header for column in wanted):
            best = (delimiter, header)
            break
    assert best is not None
    delimiter, header = best
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    next(reader, None)
    rows = [dict(zip(header, row, strict=False)) for row in reader if any(c.strip() for c in row)]
    return header, rows


def _header(text: str, delimiter: str) -> list[str]:
    first = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
    return [h.strip() for h in first]


def _rows_jsonl(text: str) -> tuple[list[str], list[dict[str, str]]]:
    rows: list[dict[str, str]] = []
    header: dict[str, None] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputFileError(f"line {number} is not valid JSON ({error.msg})") from None
        if not isinstance(item, dict):
            raise InputFileError(f"line {number} is not a JSON object")
        header.update(dict.fromkeys(str(k) for k in item))
        rows.append({str(k): _cell(v) for k, v in item.items()})
    return list(header), rows


def _rows_xlsx(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    from zipfile import BadZipFile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, OSError, KeyError, ValueError) as error:
        raise InputFileError(f"{path.name} is not a readable XLSX workbook ({error})") from None
    try:
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        first = next(lines, None)
        if first is None:
            return [], []
        header = [_cell(h).strip() for h in first]
        rows = []
        for line in lines:
            cells = [_cell(c) for c in line]
            if any(c.strip() for c in cells):
                rows.append(dict(zip(header, cells, strict=False)))
        return header, rows
    finally:
        book.close()


def read_records(
    path: str | Path,
    *,
    text_column: str = "text",
    id_column: str = "id",
    meta_columns: Sequence[str] = (),
    translation_column: str | None = None,
) -> list[dict[str, str]]:
    """Read contributions from a CSV (or TSV), XLSX or JSONL file.

    Parameters
    ----------
    path : str or Path
        The file; its suffix chooses the format.
    text_column, id_column : str
        Columns holding the contribution's text and its id.
    meta_columns : sequence of str
        Columns kept as metadata (profiles break findings down by them).
    translation_column : str or None
        Column holding a translation (used for Amazigh contributions).

    Returns
    -------
    list of dict
        Records with ``id``, ``text``, optional ``translation`` and the metadata columns.

    Raises
    ------
    InputFileError
        When the file is missing, empty, of an unknown type, badly encoded or lacks a column.
    """
    path = Path(path)
    wanted = [id_column, text_column, *meta_columns]
    if translation_column:
        wanted.append(translation_column)
    if not path.is_file():
        raise InputFileError(f"{path} does not exist or is not a file")
    suffix = path.suffix.lower()
    if suffix in {".xlsx", ".xlsm"}:
        header, rows = _rows_xlsx(path)
    elif suffix in {".csv", ".tsv", ".txt", ".jsonl", ".ndjson"}:
        data = path.read_bytes()
        if not data.strip():
            raise InputFileError(f"{path.name} is empty")
        text = decode(data, path.name)
        if suffix in {".jsonl", ".ndjson"}:
            header, rows = _rows_jsonl(text)
        else:
            header, rows = _rows_csv(text, wanted)
    else:
        raise InputFileError(f"{path.name}: unsupported file type (use .csv, .xlsx or .jsonl)")
    if not header and not rows:
        raise InputFileError(f"{path.name} is empty")
    missing = [c for c in wanted if c not in header]
    if missing:
        names = ", ".join(repr(m) for m in missing)
        raise InputFileError(
            f"column {names} not found in {path.name}; its columns are: "
            + (", ".join(header) or "(none)")
        )
    if not rows:
        raise InputFileError(f"{path.name} has a header but no contributions")
    records: list[dict[str, str]] = []
    for row in rows:
        record = {"id": row.get(id_column, ""), "text": row.get(text_column, "")}
        if translation_column:
            record["translation"] = row.get(translation_column, "")
        for column in meta_columns:
            record[column] = row.get(column, "")
        records.append(record)
    return records


def write_assignments(path: Path, result: SynthesisResult) -> None:
    """Write ``assignments.csv``: id, language, script, theme, finding, duplicate_of."""
    columns = ("id", "language", "script", "theme", "finding", "duplicate_of")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in result.assignments:
            writer.writerow([escape_formula(str(row.get(c) or "")) for c in columns])


def write_findings(path: Path, result: SynthesisResult) -> None:
    """Write ``findings.json``: the result without the per-contribution assignments."""
    path.write_text(
        json.dumps(result.to_dict(assignments=False), ensure_ascii=False, indent=1),
        encoding="utf-8",
    )


_CSS = """
body{font-family:system-ui,"Noto Sans Arabic","Noto Sans Tifinagh",sans-serif;margin:0 auto;
max-width:60rem;padding:1rem;line-height:1.5;color:#1b1b1b}
h1,h2,h3{line-height:1.25}
section.theme{border-block-start:3px solid #2b6f5e;margin-block:2rem}
article.finding{border:1px solid #ccc;border-radius:6px;padding:.5rem 1rem;margin-block:1rem}
blockquote{margin:.5rem 0;padding-inline-start:1rem;border-inline-start:4px solid #9cc}
.meta,.ids{color:#555;font-size:.9rem}
.over{font-weight:bold;color:#8a3b00}
table{border-collapse:collapse}td,th{padding:.15rem .5rem;border:1px solid #ddd;text-align:start}
"""


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _user(value: str) -> str:
    """User text isolated for direction: right-to-left Arabic inside any page and the reverse."""
    return f"<bdi>{_e(value)}</bdi>"


def _finding_html(finding: Finding) -> Iterable[str]:
    yield f'<article class="finding" id="{_e(finding.id)}">'
    yield (
        f'<h3>{_e(finding.id)} — <span dir="auto">{_user(finding.label_ar or "…")}</span>'
        f' / <span dir="auto">{_user(finding.label_fr or "…")}</span></h3>'
    )
    yield (
        f'<p class="meta">المساهمات / contributions : {finding.size}'
        f" (منها نسخ / dont copies : {finding.duplicate_count})</p>"
    )
    phrases = [*finding.key_phrases_ar, *finding.key_phrases_fr]
    if phrases:
        yield '<p class="meta">' + " · ".join(_user(p) for p in phrases) + "</p>"
    for quote in finding.quotes:
        yield (
            f'<blockquote dir="auto" lang="{_e(quote.language)}">{_e(quote.text)}</blockquote>'
            f'<p class="ids">— <bdi>{_e(quote.id)}</bdi> ({_e(quote.language)})</p>'
        )
    over = [
        (name, group)
        for name, groups in sorted(finding.profiles.items())
        for group in groups
        if group.over_represented
    ]
    if over:
        yield "<table><tr><th>field</th><th>group</th><th>n</th><th>lift</th><th>p</th></tr>"
        for name, group in over:
            yield (
                f'<tr class="over"><td>{_e(name)}</td><td>{_user(group.value)}</td>'
                f"<td>{group.count}</td><td>{group.lift}</td><td>{group.p_value:.3g}</td></tr>"
            )
        yield "</table>"
    shown = finding.member_ids[:REPORT_MEMBER_IDS]
    more = len(finding.member_ids) - len(shown)
    yield (
        f'<details><summary>{len(finding.member_ids)} ids</summary><p class="ids">'
        + ", ".join(_user(i) for i in shown)
        + (f" … (+{more}, findings.json)" if more else "")
        + "</p></details>"
    )
    yield "</article>"


def report_html(result: SynthesisResult) -> str:
    """Return a self-contained, right-to-left-aware HTML report of ``result``."""
    by_theme: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_theme.setdefault(finding.theme, []).append(finding)
    parts = [
        '<!doctype html><html lang="ar" dir="rtl"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        "<title>تركيب المساهمات / Synthèse des contributions</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>تركيب المساهمات / Synthèse des contributions</h1>",
        (
            f'<p class="meta">{len(result.assignments)} contributions · {len(result.themes)} '
            f"themes · {len(result.findings)} findings · {len(result.duplicates)} duplicate groups"
            f" · {_e(result.engine_version)}</p>"
        ),
    ]
    for warning in result.warnings:
        parts.append(f'<p class="meta" dir="auto">⚠ {_e(warning)}</p>')
    for theme in result.themes:
        parts.append(f'<section class="theme" id="{_e(theme.id)}">')
        parts.append(
            f'<h2>{_e(theme.id)} — <span dir="auto">{_user(theme.label_ar or "…")}</span> / '
            f'<span dir="auto">{_user(theme.label_fr or "…")}</span> ({theme.size})</h2>'
        )
        for finding in by_theme.get(theme.id, []):
            parts.extend(_finding_html(finding))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(path: Path, result: SynthesisResult) -> None:
    """Write ``report.html`` (see `report_html`)."""
    path.write_text(report_html(result), encoding="utf-8")
