"""A programme's measures as CSV and XLSX files: reading, writing and the all-or-nothing import."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from django.utils import translation
from openpyxl import Workbook, load_workbook

from tashawur.core.errors import DomainError
from tashawur.programmes import measure_files
from tashawur.programmes.measure_files import COLUMNS
from tashawur.programmes.models import Measure, Programme
from tashawur.programmes.services import (
    MeasuresImportRefused,
    measures_import,
    measures_import_check,
)
from tests.actors.factories import OrganisationFactory
from tests.programmes.factories import MeasureFactory, ProgrammeFactory

pytestmark = pytest.mark.django_db


def _programme() -> Programme:
    """Axis 1 with 1.1 (owner, a partner, budget, dates) and 1.2 (a title that looks like a
    formula); the programme runs 2019 to 2023."""
    programme = ProgrammeFactory()
    owner = OrganisationFactory(slug="conseil-regional", name="مجلس الجهة")
    axis = MeasureFactory(programme=programme, code="1", owner=owner, budget=None)
    child = MeasureFactory(
        programme=programme,
        parent=axis,
        code="1.1",
        title_fr='=HYPERLINK("http://evil")',
        description_ar="وصف\nعلى سطرين",
        owner=owner,
        budget=Decimal("1500000.50"),
        starts_on=dt.date(2020, 1, 1),
        ends_on=dt.date(2021, 6, 30),
        weight=Decimal("30.00"),
        status=Measure.Status.IN_PROGRESS,
        position=2,
    )
    child.partners.add(OrganisationFactory(slug="odco"), OrganisationFactory(slug="indh"))
    MeasureFactory(programme=programme, parent=axis, code="1.2", title_ar="-ناقص", owner=None)
    return programme


def _snapshot(programme: Programme) -> list[tuple]:
    return [
        (
            m.code,
            m.parent.code if m.parent else "",
            m.title_ar,
            m.title_fr,
            m.description_ar,
            m.description_fr,
            m.owner_id,
            sorted(p.pk for p in m.partners.all()),
            m.budget,
            m.starts_on,
            m.ends_on,
            m.weight,
            m.status,
            m.position,
            m.updated_at,
        )
        for m in Measure.objects.filter(programme=programme).order_by("code")
    ]


def _export(programme: Programme, kind: str) -> bytes:
    measures = Measure.objects.filter(programme=programme).prefetch_related("partners")
    return measure_files.write(measure_files.export_rows(measures), kind=kind)


def _csv(*rows: dict[str, str], header: tuple[str, ...] = COLUMNS) -> str:
    lines = [",".join(header)]
    for row in rows:
        lines.append(",".join(f'"{row.get(name, "")}"' for name in header))
    return "\n".join(lines) + "\n"


def _row(**cells: str) -> dict[str, str]:
    return {"code": "2", "title_ar": "محور 2", "title_fr": "Axe 2", **cells}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_an_export_imports_back_without_changing_anything(kind: str) -> None:
    programme = _programme()
    before = _snapshot(programme)

    rows = measure_files.read_upload(name=f"m.{kind}", content=_export(programme, kind))
    plan = measures_import(programme=programme, rows=rows)

    assert [row.action for row in plan.rows] == ["unchanged"] * 3
    assert _snapshot(programme) == before


def test_an_import_adds_and_changes_measures_parents_first() -> None:
    programme = _programme()
    OrganisationFactory(slug="x", name="جمعية الأمل", name_fr="Association Al Amal")
    content = _csv(
        _row(code="2.1", parent_code="2", title_ar="فعل", owner="Association Al Amal"),
        _row(code="2", budget="1 000,50", starts_on="01/02/2020", status="Planned"),
        _row(code="1.2", parent_code="2", partners="odco; indh"),
    ).encode()

    plan = measures_import(programme=programme, rows=measure_files.read_csv(content))

    assert [(r.code, r.action) for r in plan.rows] == [
        ("2.1", "new"),
        ("2", "new"),
        ("1.2", "changed"),
    ]
    measures = {m.code: m for m in Measure.objects.filter(programme=programme)}
    assert measures["2.1"].parent == measures["2"]
    assert measures["2.1"].owner.slug == "x"
    assert measures["2"].budget == Decimal("1000.50")
    assert measures["2"].starts_on == dt.date(2020, 2, 1)
    assert measures["1.2"].parent == measures["2"]
    assert {p.slug for p in measures["1.2"].partners.all()} == {"odco", "indh"}
    assert measures["1.1"].status == Measure.Status.IN_PROGRESS  # not in the file: untouched


def test_a_windows_1256_csv_is_read() -> None:
    content = _csv(_row(title_ar="تسويق منتوجات التعاونيات")).encode("cp1256")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    rows = measure_files.read_csv(content)
    assert rows[0].cells["title_ar"] == "تسويق منتوجات التعاونيات"


def test_a_csv_with_a_byte_order_mark_and_semicolons_is_read() -> None:
    text = ";".join(COLUMNS) + "\n2;;محور;Axe;;;;odco, indh;;;;;;\n"
    rows = measure_files.read_csv(("\ufeff" + text).encode("utf-8"))
    assert rows[0].number == 2
    assert rows[0].cells["code"] == "2"
    assert rows[0].cells["title_ar"] == "محور"


def test_one_bad_row_refuses_the_whole_file_with_its_row_number() -> None:
    programme = _programme()
    before = _snapshot(programme)
    content = _csv(
        _row(code="2"),
        _row(code="3", title_ar="محور 3"),
        _row(code="4", budget="-5"),
    ).encode()

    with translation.override("fr"), pytest.raises(MeasuresImportRefused) as refused:
        measures_import(programme=programme, rows=measure_files.read_csv(content))

    assert "Ligne 4" in refused.value.message
    assert "négatif" in refused.value.message
    assert [r.number for r in refused.value.plan.refused] == [4]
    assert _snapshot(programme) == before
    assert not Measure.objects.filter(programme=programme, code="2").exists()


@pytest.mark.parametrize(
    ("cells", "error"),
    [
        ({"parent_code": "9"}, "parent_code"),
        ({"starts_on": "31/02/2020"}, "starts_on"),
        ({"ends_on": "2020-13-01"}, "ends_on"),
        ({"budget": "-1"}, "budget"),
        ({"owner": "nobody"}, "owner"),
        ({"partners": "odco; nobody"}, "partners"),
        ({"status": "finished"}, "status"),
        ({"starts_on": "2021-01-01", "ends_on": "2020-01-01"}, "ends_on"),
        ({"starts_on": "2030-01-01"}, "starts_on"),
        ({"code": "2.a"}, "code"),
        ({"title_fr": ""}, "title_fr"),
        ({"weight": "120"}, "weight"),
        ({"position": "-1"}, "position"),
    ],
)
def test_each_bad_cell_is_named(cells: dict[str, str], error: str) -> None:
    programme = _programme()
    OrganisationFactory(slug="odco-2", name="odco")
    rows = measure_files.read_csv(_csv(_row(**cells)).encode())
    plan = measures_import_check(programme=programme, rows=rows)
    assert not plan.ok
    assert plan.rows[0].errors[0].startswith(error + ":"), plan.rows[0].errors


def test_a_code_twice_in_the_file_is_refused() -> None:
    programme = _programme()
    rows = measure_files.read_csv(_csv(_row(), _row(), _row(code="3")).encode())
    plan = measures_import_check(programme=programme, rows=rows)
    assert [r.number for r in plan.refused] == [3]
    assert "2" in plan.refused[0].errors[0]


def test_a_fourth_level_is_refused() -> None:
    programme = _programme()
    rows = measure_files.read_csv(
        _csv(
            _row(code="5"),
            _row(code="5.1", parent_code="5"),
            _row(code="5.1.1", parent_code="5.1"),
            _row(code="5.1.1.1", parent_code="5.1.1"),
        ).encode()
    )
    plan = measures_import_check(programme=programme, rows=rows)
    assert [r.number for r in plan.refused] == [5]
    assert plan.refused[0].errors[0].startswith("parent_code:")


def test_a_loop_of_parents_is_refused() -> None:
    programme = _programme()
    rows = measure_files.read_csv(_csv(_row(code="1", parent_code="1.1")).encode())
    plan = measures_import_check(programme=programme, rows=rows)
    assert plan.refused and plan.refused[0].errors[0].startswith("parent_code:")


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (20 * 1024 * 1024))
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_before_it_is_opened(monkeypatch: pytest.MonkeyPatch) -> None:
    content = _bomb()
    assert len(content) < 100 * 1024

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("openpyxl opened the bomb")

    monkeypatch.setattr("openpyxl.load_workbook", never)
    with pytest.raises(DomainError) as refused:
        measure_files.read_upload(name="bomb.xlsx", content=content)
    assert refused.value.code == "file_zip_bomb"


def test_a_file_over_the_size_limit_is_refused(settings) -> None:
    settings.TASHAWUR_MEASURES_FILE_MAX_BYTES = 100
    with pytest.raises(DomainError) as refused:
        measure_files.read_upload(name="m.csv", content=_csv(_row()).encode() * 3)
    assert refused.value.code == "file_too_large"


def _plain(code: str) -> list[object]:
    return [code, "", "محور", "Axe", "", "", "", "", None, None, None, None, "", None]


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_too_many_rows_are_refused(kind: str, settings) -> None:
    settings.TASHAWUR_MEASURES_FILE_MAX_ROWS = 3
    three = measure_files.write([_plain(str(n)) for n in range(1, 4)], kind=kind)
    assert len(measure_files.read_upload(name=f"m.{kind}", content=three)) == 3
    four = measure_files.write([_plain(str(n)) for n in range(1, 5)], kind=kind)
    with pytest.raises(DomainError) as refused:
        measure_files.read_upload(name=f"m.{kind}", content=four)
    assert refused.value.code == "file_too_many_rows"


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_every_text_cell_is_formula_escaped(kind: str) -> None:
    programme = _programme()
    content = _export(programme, kind)
    if kind == "csv":
        text = content.decode("utf-8-sig")
        assert "'=HYPERLINK" in text
        assert "'-ناقص" in text
        cells = [cell for line in text.splitlines() for cell in line.split(",")]
    else:
        sheet = load_workbook(io.BytesIO(content)).active
        cells = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
        assert '\'=HYPERLINK("http://evil")' in cells
        assert sheet.cell(row=3, column=1).data_type == "s"  # codes stay text
    for cell in cells:
        assert not str(cell).lstrip('"').startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_an_escaped_looking_text_survives_the_round_trip() -> None:
    assert measure_files.unescape_formula(measure_files.escape_cell("'=x")) == "'=x"
    assert measure_files.unescape_formula(measure_files.escape_cell("=x")) == "=x"
    assert measure_files.unescape_formula(measure_files.escape_cell("l'=x")) == "l'=x"


def test_an_unknown_or_missing_column_refuses_the_file() -> None:
    with pytest.raises(DomainError, match="budjet"):
        measure_files.read_csv(_csv(_row(), header=(*COLUMNS[:-1], "budjet")).encode())
    with pytest.raises(DomainError, match="position"):
        measure_files.read_csv(_csv(_row(), header=COLUMNS[:-1]).encode())


def test_a_broken_workbook_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        measure_files.read_upload(name="m.xlsx", content=b"PK\x03\x04 not a zip")
    assert refused.value.code == "file_unreadable"
    book = Workbook()
    buffer = io.BytesIO()
    book.save(buffer)
    with pytest.raises(DomainError) as refused:
        measure_files.read_upload(name="m.xlsx", content=buffer.getvalue())
    assert refused.value.code == "file_empty"


def test_a_closed_programme_refuses_the_file() -> None:
    programme = _programme()
    Programme.objects.filter(pk=programme.pk).update(
        status=Programme.Status.CLOSED, adopted_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    programme.refresh_from_db()
    with pytest.raises(DomainError) as refused:
        measures_import_check(
            programme=programme, rows=measure_files.read_csv(_csv(_row()).encode())
        )
    assert refused.value.code == "programme_closed"


def test_a_budget_below_the_funding_is_refused() -> None:
    programme = _programme()
    funded = Measure.objects.get(programme=programme, code="1.1")
    funded.funding_lines.create(source="indh_p3", amount=Decimal("1000000"))
    rows = measure_files.read_csv(_csv(_row(code="1.1", parent_code="1", budget="500")).encode())
    plan = measures_import_check(programme=programme, rows=rows)
    assert plan.refused[0].errors[0].startswith("budget:")
