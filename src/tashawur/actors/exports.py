"""Renderers for the "My data" export: the selector's plain document in, file bytes out."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from typing import Any

from tashawur.actors.selectors import EXPORT_SECTIONS
from tashawur.core.text import escape_formula

# Excel opens a CSV as UTF-8 (and so shows Arabic) only when it starts with a byte order mark.
CSV_ENCODING = "utf-8-sig"
FILE_STEM = "tashawur-my-data"


def export_file_name(*, day: dt.date, extension: str) -> str:
    return f"{FILE_STEM}-{day.isoformat()}.{extension}"


def export_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return escape_formula(str(value))


def export_csv(document: dict[str, Any], section: str) -> bytes:
    """One section as CSV, formula-escaped, in UTF-8 with a byte order mark."""
    rows = document[section]
    if isinstance(rows, dict):  # the participant's own record is a single row
        rows = [rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = EXPORT_SECTIONS[section]
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue().encode(CSV_ENCODING)


def export_csv_zip(document: dict[str, Any], *, day: dt.date) -> bytes:
    """A ZIP holding one CSV per section, in a folder named like the ZIP itself."""
    folder = f"{FILE_STEM}-{day.isoformat()}"
    stamp = (day.year, day.month, day.day, 0, 0, 0)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for section in EXPORT_SECTIONS:
            info = zipfile.ZipInfo(f"{folder}/{section}.csv", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, export_csv(document, section))
    return buffer.getvalue()
