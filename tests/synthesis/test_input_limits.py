"""Input files are refused before parsing when too large once unpacked, or packed like a bomb."""

import io
import struct
import zipfile

import openpyxl
import pytest

from tashawur.synthesis import InputFileError, InputTooLargeError, check_input_size
from tashawur.synthesis._io import read_records
from tashawur.synthesis.command import main

from .corpus import records

ROWS = records(("ar", "fr"))
SHEET = "xl/worksheets/sheet1.xml"
MB = 1 << 20


def _bomb(path, unpacked, *, level=9):
    """A ZIP whose one sheet holds ``unpacked`` bytes of repeated markup, written in chunks."""
    chunk = b"<row><c><v>0</v></c></row>" * (MB // 26)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as archive,
        archive.open(SHEET, "w", force_zip64=True) as member,
    ):
        left = unpacked
        while left > 0:
            member.write(chunk[:left])
            left -= len(chunk)
    return path


def _workbook(path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "text"])
    for row in ROWS:
        sheet.append([row["id"], row["text"]])
    book.save(path)
    return path


@pytest.fixture
def openpyxl_unreached(monkeypatch):
    def load_workbook(*args, **kwargs):
        raise AssertionError("openpyxl was asked to parse a refused file")

    monkeypatch.setattr(openpyxl, "load_workbook", load_workbook)


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def test_xlsx_over_the_unpacked_limit_is_refused_before_openpyxl(
    tmp_path, capsys, openpyxl_unreached
):
    source = _bomb(tmp_path / "bomb.xlsx", 3 * MB)
    assert source.stat().st_size < 50_000
    code, err = _run(
        capsys, source, "--out", tmp_path / "out", "--max-unpacked-mb", "2", "--max-ratio", "5000"
    )
    assert code == 2
    assert err == (
        "tashawur synthesize: error: bomb.xlsx unpacks to 3.0 MB, over the limit of 2.0 MB "
        "(--max-unpacked-mb)\n"
    )
    assert not (tmp_path / "out").exists()


def test_xlsx_packed_over_the_ratio_is_refused_under_the_default_size_limit(
    tmp_path, openpyxl_unreached
):
    source = _bomb(tmp_path / "bomb.xlsx", 3 * MB)
    with pytest.raises(InputTooLargeError, match=r"it looks like a zip bomb") as caught:
        read_records(source)
    assert caught.value.limit == "ratio"
    assert caught.value.ratio > 100
    assert caught.value.unpacked_bytes == 3 * MB
    assert str(caught.value).startswith("bomb.xlsx is compressed ")
    assert "times (member xl/worksheets/sheet1.xml), over the limit of 100 (--max-ratio)" in str(
        caught.value
    )


def test_ratio_limit_is_an_option(tmp_path, capsys, openpyxl_unreached):
    source = _bomb(tmp_path / "bomb.xlsx", 3 * MB)
    code, err = _run(capsys, source, "--out", tmp_path / "out", "--max-ratio", "50")
    assert code == 2
    assert "over the limit of 50 (--max-ratio): it looks like a zip bomb" in err
    # Raised past the bomb's ratio, the check lets it through to openpyxl (patched to refuse).
    with pytest.raises(AssertionError, match="openpyxl was asked"):
        read_records(source, max_ratio=10_000)


def test_default_limit_refuses_a_400_mb_bomb(tmp_path, openpyxl_unreached):
    source = _bomb(tmp_path / "bomb.xlsx", 400 * MB, level=1)
    assert source.stat().st_size < 5 * MB
    with pytest.raises(InputTooLargeError) as caught:
        read_records(source)
    assert caught.value.limit == "size"
    assert caught.value.unpacked_bytes == 400 * MB
    assert str(caught.value).startswith("bomb.xlsx unpacks to 400.0 MB, over the limit of 50.0 MB")


def test_legitimate_xlsx_passes_the_check_and_is_read(tmp_path):
    source = _workbook(tmp_path / "in.xlsx")
    with zipfile.ZipFile(source) as archive:
        unpacked = sum(m.file_size for m in archive.infolist())
    assert check_input_size(source) == unpacked
    assert [r["id"] for r in read_records(source)] == [r["id"] for r in ROWS]


def test_member_declaring_less_than_it_holds_fails_instead_of_unpacking(tmp_path):
    # The check trusts the declared sizes because zipfile never unpacks past them: a member
    # that lies about its size ends in a CRC error, not in 5 MB read.
    source = _workbook(tmp_path / "in.xlsx")
    with zipfile.ZipFile(source) as archive:
        members = {m.filename: archive.read(m) for m in archive.infolist()}
    declared = len(members[SHEET])
    members[SHEET] = members[SHEET].replace(
        b"<sheetData>", b"<sheetData><!--" + b"x" * (5 * MB) + b"-->", 1
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    data = bytearray(buffer.getvalue())
    entry = data.index(b"PK\x01\x02")
    while True:  # walk the central directory to the sheet's entry, then lie about its size
        name_length, extra_length, comment_length = struct.unpack_from("<HHH", data, entry + 28)
        if data[entry + 46 : entry + 46 + name_length] == SHEET.encode():
            struct.pack_into("<I", data, entry + 24, declared)
            break
        entry += 46 + name_length + extra_length + comment_length
    liar = tmp_path / "liar.xlsx"
    liar.write_bytes(bytes(data))
    assert check_input_size(liar) < MB
    with pytest.raises(InputFileError, match=r"liar\.xlsx is (a damaged|not a readable)"):
        read_records(liar)


def test_uploaded_file_object_is_checked_and_rewound(tmp_path):
    upload = io.BytesIO(_bomb(tmp_path / "bomb.xlsx", 3 * MB).read_bytes())
    upload.seek(7)
    with pytest.raises(InputTooLargeError, match=r"^import\.xlsx unpacks to 3\.0 MB"):
        check_input_size(upload, name="import.xlsx", max_unpacked_mb=1)
    assert upload.tell() == 0
    legitimate = io.BytesIO(_workbook(tmp_path / "in.xlsx").read_bytes())
    assert check_input_size(legitimate, name="in.xlsx") > 0
    assert openpyxl.load_workbook(legitimate, read_only=True).worksheets[0].max_column == 2


def test_archive_that_is_not_a_zip_is_refused(tmp_path):
    source = tmp_path / "in.xlsx"
    source.write_bytes(b"id,text\n1,hello\n")
    with pytest.raises(InputFileError, match=r"^in\.xlsx is not a readable XLSX workbook"):
        check_input_size(source)


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_plain_file_over_the_limit_is_refused_before_it_is_read(tmp_path, capsys, suffix):
    source = tmp_path / f"in{suffix}"
    source.write_bytes(b"id,text\n" + b"1,hello\n" * (3 * MB // 16))
    code, err = _run(capsys, source, "--out", tmp_path / "out", "--max-unpacked-mb", "1")
    assert code == 2
    assert f"error: in{suffix} is 1.5 MB, over the limit of 1.0 MB (--max-unpacked-mb)" in err


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "many"])
def test_limits_must_be_positive_numbers(tmp_path, capsys, value):
    source = _workbook(tmp_path / "in.xlsx")
    for option in ("--max-unpacked-mb", "--max-ratio"):
        code, err = _run(capsys, source, "--out", tmp_path / "out", option, value)
        assert code == 2
        assert f"argument {option}:" in err
