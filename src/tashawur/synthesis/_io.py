"""Reading contributions from CSV, XLSX and JSONL, and writing the three outputs."""

from __future__ import annotations

import csv
import html
import io
import json
import os
import sys
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

from ._types import Finding, SynthesisResult

#: Cells starting with these are read as formulas by spreadsheets (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Member ids listed per finding in the HTML report (all of them are in findings.json).
REPORT_MEMBER_IDS = 200


#: Default cap on what an input may occupy once read: the file itself for CSV and JSONL, the
#: sum of its members' unpacked sizes for XLSX (a ZIP archive).
MAX_UNPACKED_MB = 50.0
#: Default cap on an archive's compression ratio (unpacked / compressed), overall and per large
#: member. Spreadsheet XML packs 5 to 20 times; a zip bomb packs hundreds to a thousand times.
MAX_RATIO = 100.0
#: Members smaller than this are not held to the per-member ratio: a small file of repeated
#: markup (styles, an empty sheet) can pack very well without being able to hurt.
_RATIO_MEMBER_FROM = 1 << 20
_MB = 1 << 20
#: Suffixes read as ZIP archives.
ARCHIVE_SUFFIXES = frozenset({".xlsx", ".xlsm", ".zip"})
#: Suffixes `read_records` reads.
_READ_SUFFIXES = frozenset({".xlsx", ".xlsm", ".csv", ".tsv", ".txt", ".jsonl", ".ndjson"})


class InputFileError(ValueError):
    """The input file cannot be read as contributions; the message says why."""


class InputTooLargeError(InputFileError):
    """The input is over a size or compression-ratio limit; refused before it is parsed.

    Attributes
    ----------
    name : str
        The file's name, as used in the message.
    limit : str
        ``"size"`` (unpacked size over ``max_unpacked_mb``) or ``"ratio"`` (compression ratio
        over ``max_ratio``).
    unpacked_bytes : int
        The file's size (CSV, JSONL) or the sum of its members' unpacked sizes (archives).
    ratio : float
        The compression ratio that was over the limit (0 for a size refusal).
    """

    def __init__(
        self, message: str, *, name: str, limit: str, unpacked_bytes: int, ratio: float = 0.0
    ) -> None:
        super().__init__(message)
        self.name = name
        self.limit = limit
        self.unpacked_bytes = unpacked_bytes
        self.ratio = ratio


def _megabytes(size: float) -> str:
    return f"{size / _MB:,.1f} MB"


def check_input_size(
    source: str | os.PathLike[str] | IO[bytes],
    *,
    name: str | None = None,
    archive: bool | None = None,
    max_unpacked_mb: float = MAX_UNPACKED_MB,
    max_ratio: float = MAX_RATIO,
) -> int:
    """Refuse an input file that is too large to read, or a ZIP bomb, before parsing it.

    A ZIP archive (XLSX) is judged from its central directory alone, which nothing is unpacked
    to read: the sum of the members' declared sizes must stay within ``max_unpacked_mb`` and
    the compression ratio (unpacked / compressed) within ``max_ratio``, overall and for every
    member of 1 MB or more. Python's ``zipfile``, which openpyxl reads through, never unpacks a
    member past its declared size (a member that lies fails its CRC check instead), so the
    declared sizes bound what parsing can unpack. Any other file is held to ``max_unpacked_mb``
    by its own size.

    Parameters
    ----------
    source : path or binary file object
        The file; a file object (an upload) must be seekable and is left at its start.
    name : str or None
        Name used in messages (default: the path's file name).
    archive : bool or None
        Whether to read ``source`` as a ZIP archive; by default, when the name ends in
        ``.xlsx``, ``.xlsm`` or ``.zip``.
    max_unpacked_mb : float
        Largest unpacked size accepted, in megabytes of 2**20 bytes.
    max_ratio : float
        Largest compression ratio accepted.

    Returns
    -------
    int
        The unpacked size in bytes.

    Raises
    ------
    InputTooLargeError
        Over a limit; the message names the limit and the option that raises it.
    InputFileError
        An archive that is not a readable ZIP file.
    """
    target: Path | IO[bytes]
    stream: IO[bytes] | None = None
    if isinstance(source, str | os.PathLike):
        target = Path(source)
        name = name or target.name
        packed = target.stat().st_size
    else:
        target = stream = source
        name = name or str(getattr(source, "name", "") or "input")
        packed = stream.seek(0, os.SEEK_END)
        stream.seek(0)
    if archive is None:
        archive = Path(name).suffix.lower() in ARCHIVE_SUFFIXES
    limit = int(max_unpacked_mb * _MB)
    size_hint = f"over the limit of {_megabytes(limit)} (--max-unpacked-mb)"
    if packed > limit:
        raise InputTooLargeError(
            f"{name} is {_megabytes(packed)}, {size_hint}",
            name=name,
            limit="size",
            unpacked_bytes=packed,
        )
    if not archive:
        return packed
    try:
        with zipfile.ZipFile(target) as book:
            members = book.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as error:
        raise InputFileError(f"{name} is not a readable XLSX workbook ({error})") from None
    finally:
        if stream is not None:
            stream.seek(0)
    unpacked = sum(m.file_size for m in members)
    if unpacked > limit:
        raise InputTooLargeError(
            f"{name} unpacks to {_megabytes(unpacked)}, {size_hint}",
            name=name,
            limit="size",
            unpacked_bytes=unpacked,
        )
    compressed = sum(m.compress_size for m in members)
    ratios = [(unpacked / max(compressed, 1), "")] + [
        (m.file_size / max(m.compress_size, 1), f" (member {m.filename})")
        for m in members
        if m.file_size >= _RATIO_MEMBER_FROM
    ]
    ratio, where = max(ratios)
    if ratio > max_ratio:
        raise InputTooLargeError(
            f"{name} is compressed {ratio:,.0f} times{where}, over the limit of "
            f"{max_ratio:,.0f} (--max-ratio): it looks like a zip bomb",
            name=name,
            limit="ratio",
            unpacked_bytes=unpacked,
            ratio=ratio,
        )
    return unpacked


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
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError) as error:
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
    except (zipfile.BadZipFile, OSError, KeyError, ValueError, SyntaxError) as error:
        # A member that unpacks differently from what the archive declares fails its CRC
        # check here, as does a damaged sheet; SyntaxError covers the XML parsers' errors.
        raise InputFileError(f"{path.name} is a damaged XLSX workbook ({error})") from None
    finally:
        book.close()


def read_records(
    path: str | Path,
    *,
    text_column: str = "text",
    id_column: str = "id",
    meta_columns: Sequence[str] = (),
    translation_column: str | None = None,
    max_unpacked_mb: float = MAX_UNPACKED_MB,
    max_ratio: float = MAX_RATIO,
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
    max_unpacked_mb, max_ratio : float
        Limits checked by `check_input_size` before the file is parsed.

    Returns
    -------
    list of dict
        Records with ``id``, ``text``, optional ``translation`` and the metadata columns.

    Raises
    ------
    InputTooLargeError
        When the file is over a limit (see `check_input_size`); nothing was parsed.
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
    if suffix in _READ_SUFFIXES:
        check_input_size(path, max_unpacked_mb=max_unpacked_mb, max_ratio=max_ratio)
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
