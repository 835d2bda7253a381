"""A round table's notes as a CSV or XLSX file: checking an upload before it is parsed, reading
its rows, and writing the template to fill in. Pure: nothing here reads or writes the database
(``services.importing`` decides what the rows become).

One row a contribution, the columns of ``COLUMNS`` (``text`` and ``dimension`` required, the
others optional), named by the first row in any order. ``reference`` is the note's own
reference in the secretary's notes (``T2-14``): a row imported again with the same reference,
from this file or a corrected one, is not stored twice. Row numbers are those a spreadsheet
shows: the header is row 1, the first note row 2.

The checks before parsing and the reading are ``core.tabular``'s, shared with the other
imports: the file's size (``TASHAWUR_NOTES_FILE_MAX_BYTES``, 5 MiB), an XLSX file's central
directory (a zip bomb is refused before it is opened), UTF-8 with or without a byte order mark
or else Windows-1256 for a CSV file; and the number of rows
(``TASHAWUR_NOTES_FILE_MAX_ROWS``, 10,000: reading stops at the first row over).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from tashawur.core import tabular
from tashawur.core.tabular import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE

__all__ = [
    "COLUMNS",
    "CSV_CONTENT_TYPE",
    "REQUIRED_COLUMNS",
    "XLSX_CONTENT_TYPE",
    "NoteRow",
    "check_upload",
    "max_bytes",
    "max_rows",
    "read",
    "write_template",
]

COLUMNS = ("text", "dimension", "language", "speaker", "organisation", "said_at", "reference")
REQUIRED_COLUMNS = ("text", "dimension")

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ROWS = 10_000


def max_bytes() -> int:
    return int(getattr(settings, "TASHAWUR_NOTES_FILE_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "TASHAWUR_NOTES_FILE_MAX_ROWS", DEFAULT_MAX_ROWS))


@dataclass(frozen=True)
class NoteRow:
    """One note as read: its number in the file and its cells (every column of ``COLUMNS``;
    ``None`` when absent or empty). Text cells have their formula escape taken off; an XLSX
    file's times and dates are kept as openpyxl gives them."""

    number: int
    cells: dict[str, Any]


def check_upload(*, name: str, content: bytes) -> str:
    """Every check that comes before parsing; returns the file's kind ("csv" or "xlsx")."""
    return tabular.check_upload(name=name, content=content, max_bytes=max_bytes())


def _header(cells: Sequence[Any]) -> list[str]:
    names = tabular.header_names(cells)
    columns = ", ".join(COLUMNS)
    unknown = [name for name in names if name not in COLUMNS]
    if unknown:
        raise tabular.refused(
            _("Row 1: unknown column “%(column)s”. The columns are: %(columns)s.")
            % {"column": unknown[0][:40], "columns": columns},
            "file_header",
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise tabular.refused(
            _("Row 1: the column “%(column)s” is missing. The columns are: %(columns)s.")
            % {"column": missing[0], "columns": columns},
            "file_header",
        )
    if len(set(names)) != len(names):
        raise tabular.refused(_("Row 1: a column is named twice."), "file_header")
    return names


def _cell(value: Any) -> Any:
    if tabular.is_blank(value):
        return None
    return tabular.unescape_formula(value) if isinstance(value, str) else value


def _rows(records: Iterator[Sequence[Any]], limit: int) -> list[NoteRow]:
    try:
        header = next(records)
    except StopIteration:
        raise tabular.refused(_("The file is empty."), "file_empty") from None
    names = _header(header)
    rows: list[NoteRow] = []
    for number, record in enumerate(records, start=2):
        if all(tabular.is_blank(value) for value in record):
            continue
        if len(rows) >= limit:
            raise tabular.refused(
                _("The file has more than %(limit)s note rows.") % {"limit": limit},
                "file_too_many_rows",
            )
        if any(not tabular.is_blank(value) for value in record[len(names) :]):
            raise tabular.refused(
                _("Row %(row)s has more cells than the header has columns.") % {"row": number},
                "file_row_too_long",
            )
        cells = dict.fromkeys(COLUMNS)
        for index, name in enumerate(names):
            if index < len(record):
                cells[name] = _cell(record[index])
        rows.append(NoteRow(number=number, cells=cells))
    if not rows:
        raise tabular.refused(_("The file has no note rows."), "file_empty")
    return rows


def read(*, name: str, content: bytes, limit: int | None = None) -> list[NoteRow]:
    """The note rows of an uploaded file, after every check that comes before parsing; a
    ``DomainError`` (on the ``file`` field) refuses the file as a whole."""
    kind = check_upload(name=name, content=content)
    return tabular.read_records(
        content, kind=kind, consume=lambda records: _rows(records, limit or max_rows())
    )


# --- the template to fill in ----------------------------------------------------------------------

#: The template's example rows: one named speaker, one anonymous, in Arabic and French.
EXAMPLE_ROWS = (
    (
        "نقترح إحداث شباك موحد لمواكبة التعاونيات",
        "proposal",
        "ar",
        "",
        "",
        "10:30",
        "T1-01",
    ),
    (
        "Le manque de points d'eau freine l'élevage",
        "challenge",
        "fr",
        "",
        "",
        "",
        "T1-02",
    ),
)


def _write_csv(rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads the Arabic), every cell formula-escaped."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([tabular.escape_cell(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _write_xlsx(rows: Iterable[Sequence[str]]) -> bytes:
    """One sheet, right to left, every cell text and formula-escaped."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "notes"
    sheet.sheet_view.rightToLeft = True
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for values in rows:
        sheet.append([tabular.escape_cell(value) for value in values])
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def write_template(*, kind: str) -> bytes:
    """The file to fill in: the header row and the example rows."""
    return _write_xlsx(EXAMPLE_ROWS) if kind == "xlsx" else _write_csv(EXAMPLE_ROWS)
