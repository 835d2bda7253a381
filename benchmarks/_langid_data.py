"""The labelled language-identification rows of ../shared/eval-data, with a fixed split.

Shared by ``scripts/langid_train.py`` (which trains on the ``train`` rows only) and
``benchmarks/bench_langid.py`` (which scores on the ``held-out`` rows only), so that the two can
never disagree about which row is which. The files are read by path, never copied.

The split, per corpus:

- SIB-200 (``sib200/<lang>/{train,dev}.tsv``): its own split; ``train`` → train, ``dev`` →
  held-out.
- Flores-200 dev (``flores200/flores200_dev.tsv``): rows that are in SIB-200 are skipped (they are
  already there, with SIB-200's split); the other rows go by sentence, ``line_no``, through the
  hash below, so that the translations of one sentence all fall on the same side.
- MAC, MYC, the French STS sentences, the Mawdoo3 questions, the Pol.is English comments: each
  distinct text (after stripping HTML line breaks and spaces) goes through the hash below.

The hash: the first byte of SHA-256 of the key (UTF-8); keys whose byte is below 52 (about 20 %)
are held out. A text that occurs twice lands on the same side both times.
"""

from __future__ import annotations

import csv
import hashlib
import html
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("TASHAWUR_EVAL_DATA", REPO.parent / "shared" / "eval-data"))

HELD_OUT_BYTE = 52  # of 256: about 20 % held out
MAWDOO3_LIMIT = 4000  # distinct questions kept (in file order), so MSA questions do not swamp
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled text: ``label`` in ``ar ary ary-Latn fr en``, ``split`` train/held-out."""

    text: str
    label: str
    corpus: str
    split: str


def split_of(key: str) -> str:
    """``held-out`` for about 20 % of keys, ``train`` for the rest (fixed: a hash)."""
    first = hashlib.sha256(key.encode("utf-8")).digest()[0]
    return "held-out" if first < HELD_OUT_BYTE else "train"


def tidy(text: str) -> str:
    """Undo the HTML escapes and line breaks of scraped comments; single spaces."""
    text = html.unescape(_BREAK.sub(" ", text)).strip().strip('"').strip()
    return _SPACES.sub(" ", text)


def _csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


SIB_LABELS = {"arb_Arab": "ar", "ary_Arab": "ary", "fra_Latn": "fr", "eng_Latn": "en"}


def _sib(data: Path) -> Iterator[Row]:
    for code, label in SIB_LABELS.items():
        for part, split in (("train", "train"), ("dev", "held-out")):
            for row in _csv(data / "sib200" / code / f"{part}.tsv", "\t"):
                yield Row(tidy(row["text"]), label, "sib200", split)


def _flores(data: Path) -> Iterator[Row]:
    for row in _csv(data / "flores200" / "flores200_dev.tsv", "\t"):
        if row["sib_split"]:
            continue  # the same sentence is in SIB-200, with SIB-200's split
        split = split_of(f"flores:{row['line_no']}")
        for code, label in SIB_LABELS.items():
            yield Row(tidy(row[code]), label, "flores200", split)


def _keyed(texts: Iterator[tuple[str, str]], corpus: str) -> Iterator[Row]:
    seen: set[str] = set()
    for raw, label in texts:
        text = tidy(raw)
        if len(text) < 2 or text in seen:
            continue
        seen.add(text)
        yield Row(text, label, corpus, split_of(text))


def _mac(data: Path) -> Iterator[Row]:
    labels = {"standard": "ar", "dialectal": "ary"}
    rows = _csv(data / "darija_sentiment" / "mac_corpus.csv")
    yield from _keyed(((r["text"], labels[r["variety"]]) for r in rows), "mac")


def _myc(data: Path) -> Iterator[Row]:
    rows = _csv(data / "darija_sentiment" / "myc_cleaned.csv")
    # Only the Latin-script comments (Arabizi); the Arabic-script ones carry no variety label.
    yield from _keyed(((r["text"], "ary-Latn") for r in rows if r["script"] == "latin"), "myc")


def _french_sts(data: Path) -> Iterator[Row]:
    def texts() -> Iterator[tuple[str, str]]:
        for name in ("stsb_fr_dev.csv", "stsb_fr_test.csv"):
            for row in _csv(data / "french_sts_mt" / name):
                yield row["sentence1"], "fr"
                yield row["sentence2"], "fr"

    yield from _keyed(texts(), "stsb-fr")


def _mawdoo3(data: Path) -> Iterator[Row]:
    def texts() -> Iterator[tuple[str, str]]:
        seen: set[str] = set()
        for row in _csv(data / "arabic_q2q_mawdoo3" / "q2q_similarity_workshop_v2.1.tsv", "\t"):
            for question in (row["question1"], row["question2"]):
                if question not in seen and len(seen) < MAWDOO3_LIMIT:
                    seen.add(question)
                    yield question, "ar"

    yield from _keyed(texts(), "mawdoo3")


def _polis_english(data: Path) -> Iterator[Row]:
    def texts() -> Iterator[tuple[str, str]]:
        for name in ("scoop-hivemind.biodiversity", "15-per-hour-seattle"):
            for row in _csv(data / "polis" / name / "comments.csv"):
                yield row["comment-body"], "en"

    yield from _keyed(texts(), "polis-en")


def load_rows(data: Path = DEFAULT_DATA) -> list[Row]:
    """Every labelled row of the evaluation data that language identification uses."""
    rows: list[Row] = []
    for reader in (_sib, _flores, _mac, _myc, _french_sts, _mawdoo3, _polis_english):
        rows.extend(r for r in reader(data) if r.text)
    return rows
