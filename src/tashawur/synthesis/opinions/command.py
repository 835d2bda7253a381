"""``tashawur opinions VOTES [--comments FILE] [--participants FILE] --out DIR``.

Writes ``DIR/groups.csv``, ``DIR/statements.csv``, ``DIR/report.html``, ``DIR/opinions.json``
(everything, for programs) and, with participant fields, ``DIR/breakdowns.csv``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ._io import InputError, read_participants, read_statements, read_votes
from ._map import OpinionMap
from ._matrix import VoteError, vote_matrix
from ._report import write_breakdowns, write_groups, write_report, write_statements

PROG = "tashawur opinions"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Opinion groups, representative statements, group-informed consensus and divisive "
            "statements from agree/disagree/pass votes, computed as Pol.is does."
        ),
    )
    parser.add_argument(
        "votes",
        type=Path,
        metavar="VOTES",
        help="Pol.is votes.csv or participants-votes.csv, or participant,statement,vote CSV",
    )
    parser.add_argument(
        "--comments", type=Path, help="Pol.is comments.csv or statement,text[,moderated] CSV"
    )
    parser.add_argument(
        "--participants",
        type=Path,
        help="participant CSV with actor_type, province, gender, age_band columns",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument("--random-state", type=int, default=0, help="seed (default 0)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit status (2 on bad input, with a message on stderr)."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    try:
        return _run(args)
    except (InputError, VoteError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    votes = read_votes(args.votes)
    if not votes.values:
        raise InputError(f"VOTES {args.votes}: no votes in the file")
    statements = read_statements(args.comments) if args.comments else None
    participants = read_participants(args.participants) if args.participants else None
    notes: list[str] = []

    matrix = vote_matrix(
        votes.participants,
        votes.statements,
        votes.values,
        timestamps=votes.timestamps,
        moderated_out=statements.moderated_out if statements else (),
    )
    if matrix.n_duplicates:
        kept = "latest" if votes.timestamps is not None else "last"
        notes.append(
            f"{matrix.n_duplicates} repeated vote{'s' if matrix.n_duplicates != 1 else ''} of a "
            f"participant on a statement replaced by the {kept} one."
        )
    if matrix.n_moderated_out:
        notes.append(
            f"{matrix.n_moderated_out} statement{'s' if matrix.n_moderated_out != 1 else ''} "
            "rejected by moderation removed."
        )
    if statements and statements.text:
        unvoted = set(statements.text) - set(matrix.statement_ids) - statements.moderated_out
        if unvoted:
            notes.append(
                f"{len(unvoted)} statement{'s' if len(unvoted) != 1 else ''} with no vote, "
                "not mapped."
            )
    if matrix.n_votes == 0:
        raise InputError("no votes left once the statements rejected by moderation are removed")

    result = OpinionMap(random_state=args.random_state).fit(matrix, participants)
    if result.n_groups_ < 2:
        notes.append(
            "Too few participants with distinct votes to form two groups: "
            f"{result.n_groups_} group{'s' if result.n_groups_ != 1 else ''}."
        )

    out: Path = args.out
    try:
        out.mkdir(parents=True, exist_ok=True)
        write_groups(out / "groups.csv", result)
        texts = statements.text if statements else {}
        write_statements(out / "statements.csv", result, texts)
        if result.breakdowns_:
            write_breakdowns(out / "breakdowns.csv", result)
        write_report(out / "report.html", result, texts, notes=notes)
        (out / "opinions.json").write_text(
            json.dumps(result.to_dict(), ensure_ascii=False, indent=1), encoding="utf-8"
        )
    except OSError as exc:
        raise InputError(f"--out {out}: cannot write ({exc.strerror})") from None

    for note in notes:
        print(f"{PROG}: note: {note}", file=sys.stderr)
    n_clustered = int((result.labels_ >= 0).sum())
    print(
        f"{matrix.shape[0]} participants, {matrix.shape[1]} statements, {matrix.n_votes} votes; "
        f"{n_clustered} participants clustered in {result.n_groups_} "
        f"group{'s' if result.n_groups_ != 1 else ''}; written to {out}"
    )
    return 0
