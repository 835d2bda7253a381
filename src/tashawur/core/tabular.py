"""Spreadsheet files people upload (CSV or XLSX): the checks that come before parsing and the
reading of their records, shared by every import (a programme's measures, a round table's
notes). Pure: nothing here touches the database, and each importer names its own columns.

Limits are checked before anything is parsed (DESIGN.md §6: robust): the file's size, and for an
XLSX file the unpacked size, the number of members and the compression ratio, read from the
ZIP's central directory alone (a zip bomb is refused before openpyxl opens it; Python's
``zipfile`` never unpacks a member past its declared size). A CSV file is read as UTF-8 (with or
without a byte order mark) when it decodes strictly as such, else as Windows-1256 (Arabic
Excel's "CSV"); its separator is a comma or a semicolon (French Excel's), told from its first
line.

Every text cell written is formula-escaped (``core.text.escape_formula``: an apostrophe before
a cell beginning with = + - @ tab or CR); ``unescape_formula`` takes that apostrophe off again,
so an exported file imports back unchanged.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from django.utils.translation import gettext as _

from tashawur.core.errors import DomainError
from tashawur.core.text import escape_formula

T = TypeVar("T")

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: What an XLSX file may unpack to, and its compression ratio (overall, and for each member of
#: 1 MiB or more). Spreadsheet XML packs 5 to 20 times; a zip bomb hundreds to a thousand.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 1_000
_RATIO_MEMBER_FROM = 1024 * 1024

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def refused(message: str, code: str) -> DomainError:
    """The file as a whole is refused (the error sits on the form's ``file`` field)."""
    return DomainError(message, code=code, field="file")


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


# --- checks before parsing -----------------------------------------------------------------------


def file_kind(name: str) -> str:
    """ "csv" or "xlsx", from the uploaded file's name."""
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        return "xlsx"
    if lowered.endswith((".csv", ".txt")):
        return "csv"
    raise refused(_("Upload a CSV or XLSX file."), "file_type")


def check_size(size: int, *, limit: int) -> None:
    if size > limit:
        raise refused(
            _("The file is %(size)s MB, over the limit of %(limit)s MB.")
            % {"size": megabytes(size), "limit": megabytes(limit)},
            "file_too_large",
        )
    if size == 0:
        raise refused(_("The file is empty."), "file_empty")


def check_archive(
    content: bytes,
    *,
    max_unpacked: int = MAX_UNPACKED_BYTES,
    max_ratio: float = MAX_RATIO,
    max_members: int = MAX_MEMBERS,
) -> None:
    """Refuse an XLSX file whose members unpack to too much, are too many, or pack too well (a
    zip bomb), judging from the ZIP's central directory only: nothing is unpacked."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            members = book.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError):
        raise refused(_("This is not a readable XLSX workbook."), "file_unreadable") from None
    if len(members) > max_members:
        raise refused(_("This is not a readable XLSX workbook."), "file_unreadable")
    unpacked = sum(member.file_size for member in members)
    if unpacked > max_unpacked:
        raise refused(
            _("The workbook unpacks to %(size)s MB, over the limit of %(limit)s MB.")
            % {"size": megabytes(unpacked), "limit": megabytes(max_unpacked)},
            "file_unpacks_too_large",
        )
    packed = sum(member.compress_size for member in members)
    ratios = [unpacked / max(packed, 1)] + [
        member.file_size / max(member.compress_size, 1)
        for member in members
        if member.file_size >= _RATIO_MEMBER_FROM
    ]
    if max(ratios) > max_ratio:
        raise refused(
            _("The workbook is compressed too much to be a spreadsheet; it was not opened."),
            "file_zip_bomb",
        )


def check_upload(*, name: str, content: bytes, max_bytes: int) -> str:
    """Every check that comes before parsing; returns the file's kind ("csv" or "xlsx")."""
    kind = file_kind(name)
    check_size(len(content), limit=max_bytes)
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
        raise refused(
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


def header_names(cells: Sequence[Any]) -> list[str]:
    """A header row's column names: trimmed, lower-cased, a byte order mark and trailing empty
    cells left out."""
    names = [str(cell or "").strip().lstrip("\ufeff").strip().lower() for cell in cells]
    while names and not names[-1]:
        names.pop()
    return names


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def read_csv_records(content: bytes, consume: Callable[[Iterator[Sequence[Any]]], T]) -> T:
    """``consume`` applied to the CSV file's records (lists of text); a file the ``csv`` module
    cannot read is refused."""
    text = decode_csv(content)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    try:
        return consume(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise refused(_("The CSV file cannot be read."), "file_unreadable") from None


def read_xlsx_records(content: bytes, consume: Callable[[Iterator[Sequence[Any]]], T]) -> T:
    """``consume`` applied to the first sheet's records (tuples of openpyxl's values: text,
    numbers, dates and times); call ``check_archive`` first."""
    from openpyxl import load_workbook  # imported when a workbook is read

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        raise refused(_("This is not a readable XLSX workbook."), "file_unreadable") from None
    try:
        sheet = book.worksheets[0]
        return consume(iter(sheet.iter_rows(values_only=True)))
    except DomainError:
        raise
    except Exception:
        raise refused(_("This is not a readable XLSX workbook."), "file_unreadable") from None
    finally:
        book.close()


def read_records(
    content: bytes, *, kind: str, consume: Callable[[Iterator[Sequence[Any]]], T]
) -> T:
    return (
        read_xlsx_records(content, consume)
        if kind == "xlsx"
        else read_csv_records(content, consume)
    )


# --- writing a report workbook -------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """One sheet of a report workbook: its title (at most 31 characters, as Excel allows), its
    header row and its rows (text, numbers, ``None`` for an empty cell)."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]]


def write_workbook(sheets: Sequence[Sheet], *, right_to_left: bool = True) -> bytes:
    """The sheets as one XLSX workbook: header rows bold, numbers as numbers, every text cell
    formula-escaped (``escape_cell``) and stored as text."""
    from openpyxl import Workbook  # imported when a workbook is written
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for about in sheets:
        sheet = book.create_sheet(title=about.title[:31])
        sheet.sheet_view.rightToLeft = right_to_left
        sheet.append([escape_cell(str(name)) for name in about.header])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for values in about.rows:
            sheet.append(
                [escape_cell(value) if isinstance(value, str) else value for value in values]
            )
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str):
                    cell.number_format = "@"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
