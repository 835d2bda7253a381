"""A programme's measures as a CSV or XLSX file: checking an upload before it is parsed, reading
its rows, and writing the export and the empty template. Pure: nothing here reads or writes the
database (``services.importing`` decides what the rows do).

One row a measure, the columns of ``COLUMNS``; the first row names them. Row numbers are those
a spreadsheet shows: the header is row 1, the first measure row 2.

Limits are checked before anything is parsed (DESIGN.md §6: robust): the file's size
(``TASHAWUR_MEASURES_FILE_MAX_BYTES``, 2 MiB), for an XLSX file the unpacked size and the
compression ratio read from the ZIP's central directory alone (a zip bomb is refused before
openpyxl opens it; Python's ``zipfile`` never unpacks a member past its declared size), and the
number of rows (``TASHAWUR_MEASURES_FILE_MAX_ROWS``, 5,000: reading stops at the first row over).
A CSV file is read as UTF-8 (with or without a byte order mark) when it decodes strictly as
such, else as Windows-1256 (Arabic Excel's "CSV"); its separator is a comma or a semicolon
(French Excel's), told from the header.

Every text cell written is formula-escaped (``core.text.escape_formula``: an apostrophe before
a cell beginning with = + - @ tab or CR); reading takes that apostrophe off again, so an
exported file imports back unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from tashawur.core.errors import DomainError
from tashawur.core.text import escape_formula

COLUMNS = (
    "code",
    "parent_code",
    "title_ar",
    "title_fr",
    "description_ar",
    "description_fr",
    "owner",
    "partners",
    "budget",
    "starts_on",
    "ends_on",
    "weight",
    "status",
    "position",
)
#: Columns a spreadsheet must keep as text ("1.10" is not the number 1.1).
_TEXT_CODE_COLUMNS = frozenset({"code", "parent_code"})
PARTNER_SEPARATOR = ";"

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_ROWS = 5_000
#: What an XLSX file may unpack to, and its compression ratio (overall, and for each member of
#: 1 MiB or more). Spreadsheet XML packs 5 to 20 times; a zip bomb hundreds to a thousand.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 1_000
_RATIO_MEMBER_FROM = 1024 * 1024

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def max_bytes() -> int:
    return int(getattr(settings, "TASHAWUR_MEASURES_FILE_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "TASHAWUR_MEASURES_FILE_MAX_ROWS", DEFAULT_MAX_ROWS))


@dataclass(frozen=True)
class Row:
    """One measure row as read: its number in the file and its cells as text ("" when empty);
    dates and numbers of an XLSX file are kept as openpyxl gives them."""

    number: int
    cells: dict[str, Any]


def _refused(message: str, code: str) -> DomainError:
    return DomainError(message, code=code, field="file")


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


# --- checks before parsing -----------------------------------------------------------------------


def file_kind(name: str) -> str:
    """ "csv" or "xlsx", from the uploaded file's name."""
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        return "xlsx"
    if lowered.endswith((".csv", ".txt")):
        return "csv"
    raise _refused(_("Upload a CSV or XLSX file."), "file_type")


def check_size(size: int) -> None:
    limit = max_bytes()
    if size > limit:
        raise _refused(
            _("The file is %(size)s MB, over the limit of %(limit)s MB.")
            % {"size": _megabytes(size), "limit": _megabytes(limit)},
            "file_too_large",
        )
    if size == 0:
        raise _refused(_("The file is empty."), "file_empty")


def check_archive(content: bytes) -> None:
    """Refuse an XLSX file whose members unpack to too much, or pack too well (a zip bomb),
    judging from the ZIP's central directory only: nothing is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            members = book.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise _refused(_("This is not a readable XLSX workbook."), "file_unreadable") from None
    if len(members) > MAX_MEMBERS:
        raise _refused(_("This is not a readable XLSX workbook."), "file_unreadable")
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise _refused(
            _("The workbook unpacks to %(size)s MB, over the limit of %(limit)s MB.")
            % {"size": _megabytes(unpacked), "limit": _megabytes(MAX_UNPACKED_BYTES)},
            "file_unpacks_too_large",
        )
    packed = sum(member.compress_size for member in members)
    ratios = [unpacked / max(packed, 1)] + [
        member.file_size / max(member.compress_size, 1)
        for member in members
        if member.file_size >= _RATIO_MEMBER_FROM
    ]
    if max(ratios) > MAX_RATIO:
        raise _refused(
            _("The workbook is compressed too much to be a spreadsheet; it was not opened."),
            "file_zip_bomb",
        )


def check_upload(*, name: str, content: bytes) -> str:
    """Every check that comes before parsing; returns the file's kind ("csv" or "xlsx")."""
    kind = file_kind(name)
    check_size(len(content))
    if kind == "xlsx":
        check_archive(content)
    return kind


# --- reading ------------------------------------------------------------------------------------


def decode_csv(content: bytes) -> str:
    """UTF-8 (a byte order mark is dropped) when the bytes are strictly UTF-8, else Windows-1256;
    bytes that are neither refuse the file."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("cp1256")
    except UnicodeDecodeError:
        raise _refused(
            _("The file's text encoding is not UTF-8 or Windows-1256 (Arabic)."),
            "file_encoding",
        ) from None


def unescape_formula(value: str) -> str:
    """Undo ``escape_formula``: the apostrophe written before a cell a spreadsheet would run."""
    if value.startswith("'") and value[1:].lstrip("'").startswith(_FORMULA_START):
        return value[1:]
    return value


def escape_cell(value: str) -> str:
    """``escape_formula``, and an apostrophe before a text that already starts with escaped
    formula (so ``unescape_formula`` gives it back whole)."""
    if value.startswith("'") and value.lstrip("'").startswith(_FORMULA_START):
        return "'" + value
    return escape_formula(value)


def _header(cells: Sequence[Any]) -> list[str]:
    names = [str(cell or "").strip().lstrip("\ufeff").strip().lower() for cell in cells]
    while names and not names[-1]:
        names.pop()
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise _refused(
            _("Row 1: unknown column “%(column)s”. The columns are: %(columns)s.")
            % {"column": unknown[0], "columns": ", ".join(COLUMNS)},
            "file_header",
        )
    missing = [name for name in COLUMNS if name not in names]
    if missing:
        raise _refused(
            _("Row 1: the column “%(column)s” is missing. The columns are: %(columns)s.")
            % {"column": missing[0], "columns": ", ".join(COLUMNS)},
            "file_header",
        )
    if len(set(names)) != len(names):
        raise _refused(_("Row 1: a column is named twice."), "file_header")
    return names


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _rows(records: Iterator[Sequence[Any]], limit: int) -> list[Row]:
    """The rows under the header, blank ones left out; refused past ``limit`` rows (reading
    stops there)."""
    try:
        header = next(records)
    except StopIteration:
        raise _refused(_("The file is empty."), "file_empty") from None
    names = _header(header)
    rows: list[Row] = []
    for number, record in enumerate(records, start=2):
        if all(_blank(value) for value in record):
            continue
        if len(rows) >= limit:
            raise _refused(
                _("The file has more than %(limit)s measure rows.") % {"limit": limit},
                "file_too_many_rows",
            )
        extra = record[len(names) :]
        if any(not _blank(value) for value in extra):
            raise _refused(
                _("Row %(row)s has more cells than the header has columns.") % {"row": number},
                "file_row_too_long",
            )
        cells = {name: (record[i] if i < len(record) else None) for i, name in enumerate(names)}
        rows.append(
            Row(
                number=number,
                cells={
                    name: unescape_formula(value) if isinstance(value, str) else value
                    for name, value in cells.items()
                },
            )
        )
    return rows


def read_csv(content: bytes, *, limit: int | None = None) -> list[Row]:
    text = decode_csv(content)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        return _rows(
            csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), limit or max_rows()
        )
    except csv.Error:
        raise _refused(_("The CSV file cannot be read."), "file_unreadable") from None


def read_xlsx(content: bytes, *, limit: int | None = None) -> list[Row]:
    """The first sheet's rows; call ``check_archive`` first."""
    from openpyxl import load_workbook  # imported when a workbook is read

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise _refused(_("This is not a readable XLSX workbook."), "file_unreadable") from None
    try:
        sheet = book.worksheets[0]
        return _rows(iter(sheet.iter_rows(values_only=True)), limit or max_rows())
    except DomainError:
        raise
    except Exception:
        raise _refused(_("This is not a readable XLSX workbook."), "file_unreadable") from None
    finally:
        book.close()


def read_upload(*, name: str, content: bytes) -> list[Row]:
    """The rows of an uploaded file, after every check that comes before parsing."""
    kind = check_upload(name=name, content=content)
    return read_xlsx(content) if kind == "xlsx" else read_csv(content)


# --- writing ------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_csv(rows: Iterable[Sequence[Any]]) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads the Arabic), every cell formula-escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([escape_cell(_text(value)) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(rows: Iterable[Sequence[Any]]) -> bytes:
    """One sheet, right to left; codes as text, dates as dates, amounts as numbers, every text
    cell formula-escaped."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "measures"
    sheet.sheet_view.rightToLeft = True
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append([escape_cell(value) if isinstance(value, str) else value for value in values])
    for index, name in enumerate(COLUMNS, start=1):
        for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
            if name in _TEXT_CODE_COLUMNS:
                cell.number_format = "@"
            elif isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write(rows: Iterable[Sequence[Any]], *, kind: str) -> bytes:
    return write_xlsx(rows) if kind == "xlsx" else write_csv(rows)


# --- what a measure's row holds -------------------------------------------------------------------


def measure_row(measure: Any, *, parent_code: str) -> list[Any]:
    """A measure (``Measure``, its owner and partners fetched) as a row of ``COLUMNS``:
    organisations by their identifier, which the import reads back."""
    partners = sorted(partner.slug for partner in measure.partners.all())
    return [
        measure.code,
        parent_code,
        measure.title_ar,
        measure.title_fr,
        measure.description_ar,
        measure.description_fr,
        measure.owner.slug if measure.owner_id else "",
        f"{PARTNER_SEPARATOR} ".join(partners),
        measure.budget,
        measure.starts_on,
        measure.ends_on,
        measure.weight,
        measure.status,
        measure.position,
    ]


def export_rows(measures: Iterable[Any]) -> list[list[Any]]:
    """The measures as rows, sorted by code ("2.10" after "2.9")."""
    from tashawur.programmes.selectors import code_sort_key

    listed = list(measures)
    codes = {measure.pk: measure.code for measure in listed}
    return [
        measure_row(measure, parent_code=codes.get(measure.parent_id, ""))
        for measure in sorted(listed, key=lambda m: code_sort_key(m.code))
    ]
