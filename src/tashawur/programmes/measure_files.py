"""A programme's measures as a CSV or XLSX file: checking an upload before it is parsed, reading
its rows, and writing the export and the empty template. Pure: nothing here reads or writes the
database (``services.importing`` decides what the rows do).

One row a measure, the columns of ``COLUMNS``; the first row names them. Row numbers are those
a spreadsheet shows: the header is row 1, the first measure row 2.

Limits are checked before anything is parsed (``core.tabular``, shared with the other
imports): the file's size (``TASHAWUR_MEASURES_FILE_MAX_BYTES``, 2 MiB), for an XLSX file what
its ZIP's central directory says it unpacks to (a zip bomb is refused before openpyxl opens it),
and the number of rows (``TASHAWUR_MEASURES_FILE_MAX_ROWS``, 5,000: reading stops at the first
row over). A CSV file is UTF-8 (with or without a byte order mark) or Windows-1256, separated by
commas or semicolons.

Every text cell written is formula-escaped (``core.tabular.escape_cell``); reading takes that
apostrophe off again, so an exported file imports back unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from tashawur.core import tabular
from tashawur.core.tabular import (
    CSV_CONTENT_TYPE,
    MAX_MEMBERS,
    MAX_RATIO,
    MAX_UNPACKED_BYTES,
    XLSX_CONTENT_TYPE,
    check_archive,
    decode_csv,
    escape_cell,
    file_kind,
    unescape_formula,
)

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

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
DEFAULT_MAX_ROWS = 5_000

__all__ = [  # the shared checks, as this module's callers know them
    "CSV_CONTENT_TYPE",
    "MAX_MEMBERS",
    "MAX_RATIO",
    "MAX_UNPACKED_BYTES",
    "XLSX_CONTENT_TYPE",
    "check_archive",
    "decode_csv",
    "escape_cell",
    "file_kind",
    "unescape_formula",
]


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


_refused = tabular.refused


# --- checks before parsing -----------------------------------------------------------------------


def check_size(size: int) -> None:
    tabular.check_size(size, limit=max_bytes())


def check_upload(*, name: str, content: bytes) -> str:
    """Every check that comes before parsing; returns the file's kind ("csv" or "xlsx")."""
    return tabular.check_upload(name=name, content=content, max_bytes=max_bytes())


# --- reading ------------------------------------------------------------------------------------


def _header(cells: Sequence[Any]) -> list[str]:
    names = tabular.header_names(cells)
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


_blank = tabular.is_blank


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
    return tabular.read_csv_records(content, lambda records: _rows(records, limit or max_rows()))


def read_xlsx(content: bytes, *, limit: int | None = None) -> list[Row]:
    """The first sheet's rows; call ``check_archive`` first."""
    return tabular.read_xlsx_records(content, lambda records: _rows(records, limit or max_rows()))


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
