"""The "My data" renderers: JSON parses, CSV is formula-escaped and opens in Excel, the ZIP
holds every section."""

import csv
import datetime as dt
import io
import json
import zipfile

import pytest

from tashawur.web.exports import (
    EXPORT_SECTIONS,
    export_csv,
    export_csv_zip,
    export_file_name,
    export_json,
)

DAY = dt.date(2026, 11, 29)


@pytest.fixture
def document():
    return {
        "format_version": 1,
        "exported_at": "2026-11-29T23:00:00+01:00",
        "participant": {"display_name": "فاطمة أ.", "reads": True, "email": None},
        **{section: [] for section in EXPORT_SECTIONS if section != "participant"},
        "contributions": [{"id": 7, "text": '=HYPERLINK("http://x")', "dimension": "proposal"}],
    }


def _rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_starts_with_a_byte_order_mark_so_excel_reads_arabic(document):
    data = export_csv(document, "participant")

    assert data.startswith(b"\xef\xbb\xbf")
    assert _rows(data)[1][:1] == ["فاطمة أ."]


def test_csv_escapes_a_cell_a_spreadsheet_would_run_as_a_formula(document):
    rows = _rows(export_csv(document, "contributions"))

    header, row = rows
    assert header == list(EXPORT_SECTIONS["contributions"])
    assert row[header.index("text")] == '\'=HYPERLINK("http://x")'
    assert row[header.index("id")] == "7"


def test_csv_writes_booleans_and_missing_values_plainly(document):
    header, row = _rows(export_csv(document, "participant"))

    assert (row[header.index("reads")], row[header.index("email")]) == ("true", "")


def test_csv_of_an_empty_section_still_has_its_header(document):
    assert _rows(export_csv(document, "votes")) == [list(EXPORT_SECTIONS["votes"])]


def test_zip_holds_one_csv_per_section_in_a_dated_folder(document):
    archive = zipfile.ZipFile(io.BytesIO(export_csv_zip(document, day=DAY)))

    assert archive.namelist() == [
        f"tashawur-my-data-2026-11-29/{section}.csv" for section in EXPORT_SECTIONS
    ]
    assert archive.read("tashawur-my-data-2026-11-29/contributions.csv") == export_csv(
        document, "contributions"
    )


def test_json_is_one_readable_document(document):
    data = export_json(document)

    assert json.loads(data) == document
    assert "فاطمة أ." in data.decode()


def test_file_names_carry_the_date():
    assert export_file_name(day=DAY, extension="json") == "tashawur-my-data-2026-11-29.json"
