import csv
from pathlib import Path

import pytest

from tashawur.cli import main as tashawur
from tashawur.synthesis.opinions.command import main

from .conftest import N_STATEMENTS, planted_votes, write_csv


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _run_ok(args, capsys) -> str:
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    return captured.err


def test_polis_export_writes_groups_statements_and_report(polis_export, capsys):
    out = polis_export / "out"
    _run_ok(
        [polis_export / "votes.csv", "--comments", polis_export / "comments.csv", "--out", out],
        capsys,
    )
    groups = {row["participant"]: row["group"] for row in _read(out / "groups.csv")}
    assert len(groups) == 41
    assert groups["late"] == ""  # a single vote: not clustered
    assert {groups[f"p0{i:02d}"] for i in range(20)} != {groups[f"p1{i:02d}"] for i in range(20)}
    assert {g for p, g in groups.items() if p != "late"} == {"0", "1"}
    statements = _read(out / "statements.csv")
    assert list(statements[0]) == [
        "statement", "text", "consensus", "divisiveness",
        "group_0_agree", "group_0_disagree", "group_0_pass", "group_0_repness",
        "group_0_repful_for",
        "group_1_agree", "group_1_disagree", "group_1_pass", "group_1_repness",
        "group_1_repful_for",
    ]  # fmt: skip
    assert sorted(int(r["statement"]) for r in statements) == list(range(N_STATEMENTS))
    assert (out / "report.html").exists()
    assert (out / "opinions.json").exists()


def test_statement_counts_add_up_to_the_clustered_votes(polis_export, capsys):
    out = polis_export / "out"
    _run_ok([polis_export / "votes.csv", "--out", out], capsys)
    rows = {r["statement"]: r for r in _read(out / "statements.csv")}
    # Statement 0: 40 clustered voters ("late" is not clustered).
    total = sum(
        int(rows["0"][f"group_{g}_{k}"]) for g in (0, 1) for k in ("agree", "disagree", "pass")
    )
    assert total == 40


def test_rejected_statements_are_removed_and_noted(polis_export, capsys):
    out = polis_export / "out"
    err = _run_ok(
        [polis_export / "votes.csv", "--comments", polis_export / "comments.csv", "--out", out],
        capsys,
    )
    assert "8" not in {r["statement"] for r in _read(out / "statements.csv")}
    assert "1 statement rejected by moderation removed." in err
    assert "1 statement with no vote, not mapped." in err


def test_formula_cells_are_escaped(polis_export, capsys):
    out = polis_export / "out"
    _run_ok(
        [polis_export / "votes.csv", "--comments", polis_export / "comments.csv", "--out", out],
        capsys,
    )
    texts = {r["statement"]: r["text"] for r in _read(out / "statements.csv")}
    assert texts["0"] == '\'=HYPERLINK("x")'
    assert texts["1"] == "على التعاونيات أن تتوفر على تمويل"


def test_report_is_self_contained_and_rtl_aware(polis_export, capsys):
    out = polis_export / "out"
    _run_ok(
        [polis_export / "votes.csv", "--comments", polis_export / "comments.csv", "--out", out],
        capsys,
    )
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<span dir="auto">على التعاونيات أن تتوفر على تمويل</span>' in page
    assert "=HYPERLINK(&quot;x&quot;)" in page
    for external in ("http://", "https://", "<script", "<link", "@import", "url("):
        assert external not in page


def test_latest_vote_wins_in_polis_votes(tmp_path, capsys):
    participants, statements, votes, _ = planted_votes()
    rows = [
        [i, "", s, p, v]
        for i, (p, s, v) in enumerate(zip(participants, statements, votes, strict=True))
    ]
    # p000 first disagrees with statement 0, then agrees; the earlier vote comes later in file.
    rows.append([-5, "", "0", "p000", -1])
    write_csv(
        tmp_path / "votes.csv", ["timestamp", "datetime", "comment-id", "voter-id", "vote"], rows
    )
    err = _run_ok([tmp_path / "votes.csv", "--out", tmp_path / "out"], capsys)
    assert "1 repeated vote of a participant on a statement replaced by the latest one." in err
    rows_out = {r["statement"]: r for r in _read(tmp_path / "out" / "statements.csv")}
    agree_0 = sum(int(rows_out["0"][f"group_{g}_agree"]) for g in (0, 1))
    assert agree_0 == sum(
        1 for p, s, v in zip(participants, statements, votes, strict=True) if s == "0" and v == 1
    )


def test_wide_participants_votes_gives_the_same_groups_as_long(tmp_path, capsys):
    participants, statements, votes, _ = planted_votes()
    long = write_csv(
        tmp_path / "long.csv",
        ["participant", "statement", "vote"],
        [list(r) for r in zip(participants, statements, votes, strict=True)],
    )
    cells: dict[str, dict[str, int]] = {}
    for p, s, v in zip(participants, statements, votes, strict=True):
        cells.setdefault(p, {})[s] = v
    header = [
        "participant",
        "group-id",
        "n-comments",
        "n-votes",
        "n-agree",
        "n-disagree",
        *map(str, range(N_STATEMENTS)),
    ]
    wide = write_csv(
        tmp_path / "wide.csv",
        header,
        [
            [p, "", 0, 0, 0, 0, *(cells[p].get(str(s), "") for s in range(N_STATEMENTS))]
            for p in cells
        ],
    )
    _run_ok([long, "--out", tmp_path / "a"], capsys)
    _run_ok([wide, "--out", tmp_path / "b"], capsys)
    assert _read(tmp_path / "a" / "groups.csv") == _read(tmp_path / "b" / "groups.csv")


def test_participants_file_adds_breakdowns(polis_export, capsys):
    fields = [
        [f"p{g}{i:02d}", "cooperative" if g else "association", "Tiznit", "f", "25-34"]
        for g in (0, 1)
        for i in range(20)
    ]
    people = write_csv(
        polis_export / "people.csv",
        ["participant", "actor_type", "province", "gender", "age_band"],
        fields,
    )
    out = polis_export / "out"
    _run_ok([polis_export / "votes.csv", "--participants", people, "--out", out], capsys)
    rows = _read(out / "breakdowns.csv")
    assert {r["field"] for r in rows} == {"actor_type", "province", "gender", "age_band"}
    assert "Who is in each group" in (out / "report.html").read_text(encoding="utf-8")


def test_the_tashawur_command_dispatches_here(polis_export, capsys):
    assert (
        tashawur(["opinions", str(polis_export / "votes.csv"), "--out", str(polis_export / "out")])
        == 0
    )
    assert "40 participants clustered in 2 groups" in capsys.readouterr().out


def _fails(args, capsys) -> str:
    status = main([str(a) for a in args])
    captured = capsys.readouterr()
    assert status == 2
    assert "Traceback" not in captured.err
    return captured.err.strip()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "the file is empty"),
        ("participant,statement,vote\n", "no votes in the file"),
        (
            "participant,statement,vote\na,s,2\n",
            "line 2: unknown vote value '2' (expected 1 agree, -1 disagree, 0 pass)",
        ),
        ("participant,statement,vote\na,s,maybe\n", "line 2: unknown vote value 'maybe'"),
        ("participant,statement,vote\n,s,1\n", "line 2: blank participant"),
        (
            "participant,statement,vote,timestamp\na,s,1,yesterday\n",
            "line 2: timestamp 'yesterday' is not a number",
        ),
        (
            "participant,statement,vote,timestamp\na,s,1,nan\n",
            "vote 1 has a timestamp that is not a number",
        ),
        ("participant,statement,vote\na,s\n", "line 2: expected at least 3 columns, found 2"),
        ("who,what\na,b\n", "unrecognised header 'who, what'"),
    ],
)
def test_bad_votes_fail_with_a_clear_message(tmp_path, capsys, content, message):
    path = tmp_path / "votes.csv"
    path.write_text(content, encoding="utf-8")
    err = _fails([path, "--out", tmp_path / "out"], capsys)
    assert err.startswith(f"tashawur opinions: error: VOTES {path}")
    assert message in err


def test_missing_votes_file_fails_with_a_clear_message(tmp_path, capsys):
    err = _fails([tmp_path / "nope.csv", "--out", tmp_path / "out"], capsys)
    assert err == f"tashawur opinions: error: VOTES {tmp_path / 'nope.csv'}: no such file"


def test_non_utf8_votes_fail_with_a_clear_message(tmp_path, capsys):
    path = tmp_path / "votes.csv"
    path.write_bytes("participant,statement,vote\nété,s,1\n".encode("latin-1"))
    assert _fails([path, "--out", tmp_path / "out"], capsys).endswith("not UTF-8 text")


def test_every_statement_rejected_fails_with_a_clear_message(tmp_path, capsys):
    votes = write_csv(tmp_path / "v.csv", ["participant", "statement", "vote"], [["a", "s", 1]])
    comments = write_csv(tmp_path / "c.csv", ["statement", "text", "moderated"], [["s", "x", -1]])
    err = _fails([votes, "--comments", comments, "--out", tmp_path / "out"], capsys)
    assert err == (
        "tashawur opinions: error: no votes left once the statements rejected by "
        "moderation are removed"
    )


def test_too_few_participants_give_one_group_and_a_note(tmp_path, capsys):
    votes = write_csv(
        tmp_path / "v.csv", ["participant", "statement", "vote"], [["a", "s", 1], ["a", "t", -1]]
    )
    err = _run_ok([votes, "--out", tmp_path / "out"], capsys)
    assert "Too few participants with distinct votes to form two groups: 1 group." in err
    assert _read(tmp_path / "out" / "groups.csv") == [{"participant": "a", "group": "0"}]


def test_duplicate_votes_without_times_keep_the_last_row(tmp_path, capsys):
    votes = write_csv(
        tmp_path / "v.csv", ["participant", "statement", "vote"], [["a", "s", 1], ["a", "s", -1]]
    )
    err = _run_ok([votes, "--out", tmp_path / "out"], capsys)
    assert "1 repeated vote of a participant on a statement replaced by the last one." in err
    row = _read(tmp_path / "out" / "statements.csv")[0]
    assert (row["group_0_agree"], row["group_0_disagree"]) == ("0", "1")


def test_semicolon_separated_votes_from_a_french_spreadsheet_are_read(tmp_path, capsys):
    participants, statements, votes, _ = planted_votes()
    lines = ["\ufeffparticipant;statement;vote"] + [
        f"{p};{s};{v}" for p, s, v in zip(participants, statements, votes, strict=True)
    ]
    path = tmp_path / "votes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    _run_ok([path, "--out", tmp_path / "out"], capsys)
    assert len(_read(tmp_path / "out" / "groups.csv")) == 40


def test_comments_without_an_id_column_fail_with_a_clear_message(polis_export, tmp_path, capsys):
    comments = write_csv(tmp_path / "c.csv", ["text"], [["x"]])
    err = _fails(
        [polis_export / "votes.csv", "--comments", comments, "--out", tmp_path / "o"], capsys
    )
    assert err == (
        f"tashawur opinions: error: COMMENTS {comments}: expected a comment-id "
        "(Pol.is comments.csv) or statement column"
    )


def test_participants_without_an_id_column_fail_with_a_clear_message(
    polis_export, tmp_path, capsys
):
    people = write_csv(tmp_path / "p.csv", ["province"], [["Tiznit"]])
    err = _fails(
        [polis_export / "votes.csv", "--participants", people, "--out", tmp_path / "o"], capsys
    )
    assert err == f"tashawur opinions: error: PARTICIPANTS {people}: expected a participant column"
