"""Reading votes, statements and participants from Pol.is exports and plain CSV files.

Votes come in three shapes, told apart by their header:

- Pol.is ``votes.csv``: ``timestamp, datetime, comment-id, voter-id, vote`` (every vote event;
  the latest one of a participant on a statement wins);
- Pol.is ``participants-votes.csv``: one row per participant, one column per statement id
  after ``participant, group-id, n-comments, n-votes, n-agree, n-disagree``;
- plain long format: ``participant, statement, vote`` and optionally ``timestamp``.

Statements come from Pol.is ``comments.csv`` (``comment-id, moderated, comment-body``;
``moderated = -1`` is rejected) or a plain ``statement, text[, moderated]`` file.

Files are UTF-8 (a byte-order mark is fine), separated by commas, semicolons or tabs (guessed
from the header line).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

#: Columns of Pol.is's participants-votes.csv that are not statements.
WIDE_META = ("participant", "group-id", "n-comments", "n-votes", "n-agree", "n-disagree")

_VOTE_WORDS = {
    "1": 1, "+1": 1, "1.0": 1, "agree": 1,
    "-1": -1, "-1.0": -1, "disagree": -1,
    "0": 0, "0.0": 0, "-0": 0, "pass": 0,
}  # fmt: skip


class InputError(ValueError):
    """An input file that cannot be read as asked; the message says where and why."""


@dataclass(slots=True)
class Votes:
    """Votes as read, one entry per vote event, with what is known about them."""

    participants: list[str] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)
    values: list[int] = field(default_factory=list)
    timestamps: list[float] | None = None
    format: str = ""


@dataclass(slots=True)
class Statements:
    """Statement texts and the statements rejected by moderation."""

    text: dict[str, str] = field(default_factory=dict)
    moderated_out: set[str] = field(default_factory=set)


def _normalise(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def _rows(path: Path, label: str) -> tuple[list[str], Iterator[list[str]]]:
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except FileNotFoundError:
        raise InputError(f"{label} {path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{label} {path}: cannot be read ({exc.strerror})") from None

    def rows() -> Iterator[list[str]]:
        with handle:
            try:
                yield from reader
            except UnicodeDecodeError:
                raise InputError(f"{label} {path}: not UTF-8 text") from None
            except csv.Error as exc:
                raise InputError(f"{label} {path} line {reader.line_num}: {exc}") from None

    try:
        first_line = handle.readline()
        handle.seek(0)
    except UnicodeDecodeError:
        handle.close()
        raise InputError(f"{label} {path}: not UTF-8 text") from None
    # Spreadsheets in French locales save CSV with semicolons; tab-separated files happen too.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(handle, delimiter=delimiter)
    iterator = rows()
    header = next(iterator, None)
    if header is None or not any(cell.strip() for cell in header):
        handle.close()
        raise InputError(f"{label} {path}: the file is empty")
    return [cell.strip() for cell in header], iterator


def _vote(cell: str, where: str) -> int:
    value = _VOTE_WORDS.get(cell.strip().lower())
    if value is None:
        raise InputError(
            f"{where}: unknown vote value {cell.strip()!r} (expected 1 agree, -1 disagree, 0 pass)"
        )
    return value


def _timestamp(cell: str, where: str) -> float:
    try:
        value = float(cell)
    except ValueError:
        raise InputError(f"{where}: timestamp {cell.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise InputError(f"{where}: timestamp {cell.strip()!r} is not a number")
    return value


def read_votes(path: Path, label: str = "VOTES") -> Votes:
    """Read votes from any of the three formats.

    Raises
    ------
    InputError
        On a missing, empty or unreadable file, an unknown header, a blank id, an unknown vote
        value or a bad timestamp, naming the line.
    """
    header, rows = _rows(path, label)
    names = [_normalise(h) for h in header]
    if {"voter-id", "comment-id", "vote"} <= set(names):
        return _read_long(path, label, rows, names, "voter-id", "comment-id", "polis-votes")
    if {"participant", "statement", "vote"} <= set(names):
        return _read_long(path, label, rows, names, "participant", "statement", "long")
    if names and names[0] == "participant":
        return _read_wide(path, label, rows, header)
    raise InputError(
        f"{label} {path}: unrecognised header {', '.join(header)!r}; expected Pol.is votes.csv "
        "(voter-id, comment-id, vote), Pol.is participants-votes.csv (participant, group-id, "
        "..., one column per statement) or participant, statement, vote[, timestamp]"
    )


def _read_long(
    path: Path,
    label: str,
    rows: Iterator[list[str]],
    names: list[str],
    who: str,
    what: str,
    format_: str,
) -> Votes:
    i_who, i_what, i_vote = names.index(who), names.index(what), names.index("vote")
    i_time = names.index("timestamp") if "timestamp" in names else None
    width = max(i_who, i_what, i_vote, -1 if i_time is None else i_time) + 1
    votes = Votes(timestamps=[] if i_time is not None else None, format=format_)
    participants, statements, values = votes.participants, votes.statements, votes.values
    timestamps = votes.timestamps
    words = _VOTE_WORDS
    for line, row in enumerate(rows, start=2):
        # The common case stays cheap: messages are only built for a bad row.
        if len(row) < width:
            if not any(cell.strip() for cell in row):
                continue
            where = f"{label} {path} line {line}"
            raise InputError(f"{where}: expected at least {width} columns, found {len(row)}")
        participant, statement = row[i_who].strip(), row[i_what].strip()
        if not participant or not statement:
            if not any(cell.strip() for cell in row):
                continue
            where = f"{label} {path} line {line}"
            raise InputError(f"{where}: blank {who if not participant else what}")
        value = words.get(row[i_vote])
        participants.append(participant)
        statements.append(statement)
        values.append(
            value if value is not None else _vote(row[i_vote], f"{label} {path} line {line}")
        )
        if timestamps is not None and i_time is not None:
            cell = row[i_time]
            try:
                timestamps.append(float(cell))
            except ValueError:
                timestamps.append(_timestamp(cell, f"{label} {path} line {line}"))
    if timestamps is not None and not all(map(math.isfinite, timestamps)):
        bad = next(i for i, t in enumerate(timestamps) if not math.isfinite(t))
        raise InputError(f"{label} {path}: vote {bad + 1} has a timestamp that is not a number")
    return votes


def _read_wide(path: Path, label: str, rows: Iterator[list[str]], header: list[str]) -> Votes:
    statement_columns = [
        (i, name) for i, name in enumerate(header) if _normalise(name) not in WIDE_META
    ]
    votes = Votes(format="polis-participants-votes")
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{label} {path} line {line}"
        participant = row[0].strip()
        if not participant:
            raise InputError(f"{where}: blank participant")
        for i, statement in statement_columns:
            cell = row[i].strip() if i < len(row) else ""
            if cell:
                votes.participants.append(participant)
                votes.statements.append(statement)
                votes.values.append(_vote(cell, f"{where}, statement {statement}"))
    return votes


def read_statements(path: Path, label: str = "COMMENTS") -> Statements:
    """Read statement texts and moderation from Pol.is comments.csv or a plain file."""
    header, rows = _rows(path, label)
    names = [_normalise(h) for h in header]
    id_column = next((c for c in ("comment-id", "statement", "id") if c in names), None)
    if id_column is None:
        raise InputError(
            f"{label} {path}: expected a comment-id (Pol.is comments.csv) or statement column"
        )
    i_id = names.index(id_column)
    i_text = next((names.index(c) for c in ("comment-body", "text") if c in names), None)
    i_mod = names.index("moderated") if "moderated" in names else None
    statements = Statements()
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (len(header) - len(row))
        statement = cells[i_id].strip()
        if not statement:
            raise InputError(f"{label} {path} line {line}: blank {id_column}")
        if i_text is not None:
            statements.text[statement] = cells[i_text]
        if i_mod is not None and cells[i_mod].strip() in {"-1", "-1.0"}:
            statements.moderated_out.add(statement)
    return statements


def read_participants(path: Path, label: str = "PARTICIPANTS") -> dict[str, dict[str, str]]:
    """Read participant fields (``actor_type``, ``province``, ``gender``, ``age_band`` …)."""
    header, rows = _rows(path, label)
    names = [_normalise(h).replace("-", "_") for h in header]
    id_column = next(
        (c for c in ("participant", "participant_id", "voter_id", "id") if c in names), None
    )
    if id_column is None:
        raise InputError(f"{label} {path}: expected a participant column")
    i_id = names.index(id_column)
    participants: dict[str, dict[str, str]] = {}
    for row in rows:
        if not any(cell.strip() for cell in row):
            continue
        cells = row + [""] * (len(header) - len(row))
        fields = {n: cells[i].strip() for i, n in enumerate(names) if i != i_id}
        participants[cells[i_id].strip()] = fields
    return participants
