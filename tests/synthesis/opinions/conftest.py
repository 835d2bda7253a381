"""Small vote sets with planted opinion groups, written for these tests."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

#: Statements 0-5 split the two planted groups; 6 and 7 everyone agrees with.
SPLIT = range(6)
CONSENSUS = (6, 7)
N_STATEMENTS = 8


def planted_votes(
    per_group: int = 20, *, noise: float = 0.1, seed: int = 0
) -> tuple[list[str], list[str], list[int], dict[str, int]]:
    """Two groups voting opposite ways on the split statements, with some noise.

    Group 0 agrees with statements 0-2 and disagrees with 3-5; group 1 the reverse. Returns
    participants, statements, votes and each participant's planted group.
    """
    rng = np.random.default_rng(seed)
    participants, statements, votes, planted = [], [], [], {}
    for group in (0, 1):
        for i in range(per_group):
            pid = f"p{group}{i:02d}"
            planted[pid] = group
            for s in range(N_STATEMENTS):
                agrees = s in CONSENSUS or (s < 3) == (group == 0)
                vote = 1 if agrees else -1
                if rng.random() < noise:
                    vote = int(rng.choice([0, -vote]))
                participants.append(pid)
                statements.append(str(s))
                votes.append(vote)
    return participants, statements, votes, planted


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def polis_export(tmp_path: Path) -> Path:
    """A Pol.is-style export folder: votes.csv, comments.csv, participants-votes.csv."""
    participants, statements, votes, _ = planted_votes()
    rows = [
        [1000 + i, "", s, p, v]
        for i, (p, s, v) in enumerate(zip(participants, statements, votes, strict=True))
    ]
    rows += [[4000 + i, "", "8", f"p0{i:02d}", 1] for i in range(5)]  # on a rejected statement
    rows.append([5000, "", "0", "late", 1])  # a participant with a single vote
    write_csv(
        tmp_path / "votes.csv", ["timestamp", "datetime", "comment-id", "voter-id", "vote"], rows
    )
    comments = [[1, "", s, "a", 0, 0, 1, f"statement {s}"] for s in range(N_STATEMENTS)]
    comments[0][-1] = '=HYPERLINK("x")'
    comments[1][-1] = "على التعاونيات أن تتوفر على تمويل"
    comments.append([1, "", "8", "a", 0, 0, -1, "rejected"])
    comments.append([1, "", "9", "a", 0, 0, 1, "nobody voted"])
    write_csv(
        tmp_path / "comments.csv",
        [
            "timestamp",
            "datetime",
            "comment-id",
            "author-id",
            "agrees",
            "disagrees",
            "moderated",
            "comment-body",
        ],
        comments,
    )
    return tmp_path
