"""Finding titles in words (issue 14) against the key-phrase labels, in the same run.

For every synthesis result it prints, for the new titles (``title_ar``/``title_fr``) and for the
old labels (``label_ar``/``label_fr``, three key phrases joined) side by side:

- contiguous: the share of titles that are a contiguous phrase of a member's text (or of the
  translation given with it; a borrowed title, of its donor's members) with no stop word at
  either end, after the same letter unification on both sides (no diacritics, no hamza on alef,
  ى -> ي, ة -> ه, lower case); a trailing ellipsis is not a word;
- Arabic ≥3: the share of findings with three members or more that have an Arabic-script title
  (and the same among those with a member text, or translation, in Arabic script);
- any: the share of findings with a title in either language; id: titles equal to a finding id
  or a contribution id; profane: titles holding a word of ``data/profanity.txt``.

Data: the demo's contributions (``src/tashawur/demo/data/contributions.yaml``: MSA, Darija,
Arabizi, French and Tamazight with French translations), SIB-200 dev in MSA + Darija + French
(+ Tamazight in Tifinagh, no translations, for borrowed titles), and the same SIB-200 sentences
grouped by their gold topic (7 large groups: titles of big findings).

    .venv/bin/python benchmarks/bench_titles.py [--data DIR] [--examples N]
"""

from __future__ import annotations

import argparse
import re
import time
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import yaml

from _synthesis_common import DEFAULT_DATA, read_table
from tashawur.synthesis import SynthesisResult, Synthesizer
from tashawur.synthesis._title import ELLIPSIS, finding_titles, is_profane, is_stop_word

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "src" / "tashawur" / "demo" / "data" / "contributions.yaml"
_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u0640]")
_UNIFY = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "ة": "ه", "’": "'"})
_WORD = re.compile(r"[^\W_](?:[\w'’.-]*[^\W_])?")
_ARABIC = re.compile("[\u0621-\u064a]")


def words(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text).replace(ELLIPSIS, " ")
    return _WORD.findall(_DIACRITICS.sub("", text).translate(_UNIFY).casefold())


def contiguous_in(title: str, texts: Iterable[str]) -> bool:
    """Whether the title's words occur, in order and contiguous, in one of the texts, and its
    first and last words are not stop words."""
    phrase = words(title)
    if not phrase:
        return False
    raw = title.replace(ELLIPSIS, " ").split()
    if is_stop_word(raw[0].strip(".,;:!?،؛؟")) or is_stop_word(raw[-1].strip(".,;:!?،؛؟")):
        return False
    n = len(phrase)
    for text in texts:
        tokens = words(text)
        if any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1)):
            return True
    return False


def measure(
    result: SynthesisResult, texts_of: dict[str, list[str]], ids: set[str], new: bool
) -> dict[str, float]:
    by_id = {f.id: f for f in result.findings}
    titles: list[tuple[str, list[str]]] = []
    firsts: list[tuple[str, list[str]]] = []
    arabic = large = any_title = profane = bare_ids = can = arabic_can = 0
    for f in result.findings:
        source = by_id[f.title_borrowed_from] if new and f.title_borrowed_from else f
        members = [t for m in source.member_ids for t in texts_of[m]]
        ar, fr = (f.title_ar, f.title_fr) if new else (f.label_ar, f.label_fr)
        titles += [(t, members) for t in (ar, fr) if t]
        if not new:  # the old label's first key phrase alone, to be fair to it
            firsts += [(p[0], members) for p in (f.key_phrases_ar, f.key_phrases_fr) if p]
        any_title += bool(ar or fr)
        if len(f.member_ids) >= 3:
            large += 1
            arabic += bool(ar and _ARABIC.search(ar))
            if any(_ARABIC.search(t) for t in members):
                can += 1
                arabic_can += bool(ar and _ARABIC.search(ar))
        for t in (ar, fr):
            profane += any(is_profane(w) for w in t.split())
            bare_ids += t.strip() in ids
    n = len(result.findings)
    return {
        "contiguous": sum(contiguous_in(t, m) for t, m in titles) / max(len(titles), 1),
        "first_phrase": sum(contiguous_in(t, m) for t, m in firsts) / max(len(firsts), 1),
        "arabic_3": arabic / max(large, 1),
        "arabic_can": arabic_can / max(can, 1),
        "large": large,
        "any": any_title / max(n, 1),
        "profane": profane,
        "ids": bare_ids,
        "borrowed": sum(bool(f.title_borrowed_from) for f in result.findings) if new else 0,
        "fallback": sum(f.title_language_fallback for f in result.findings) if new else 0,
    }


def report(name: str, result: SynthesisResult, records: list[dict], examples: int) -> None:
    texts_of = {
        r["id"]: [r["text"]] + ([r["translation"]] if r.get("translation") else []) for r in records
    }
    ids = set(texts_of) | {f.id for f in result.findings}
    old = measure(result, texts_of, ids, new=False)
    new = measure(result, texts_of, ids, new=True)
    print(
        f"\n## {name}: {len(records)} contributions, {len(result.findings)} findings, "
        f"{old['large']} with ≥ 3 members"
    )
    print(f"{'':22}{'old labels':>12}{'new titles':>12}")
    for key, label in (
        ("contiguous", "contiguous, clean ends"),
        ("arabic_3", "Arabic title, ≥3"),
        ("arabic_can", "  …with Arabic member"),
        ("any", "any title"),
    ):
        print(f"{label:22}{old[key]:>12.2f}{new[key]:>12.2f}")
        if key == "contiguous":
            print(f"{'  old: 1st key phrase':22}{old['first_phrase']:>12.2f}{'':>12}")
    for key, label in (("ids", "bare ids"), ("profane", "profane words")):
        print(f"{label:22}{old[key]:>12d}{new[key]:>12d}")
    print(f"borrowed titles: {new['borrowed']}; French only (marked): {new['fallback']}")
    big = sorted(result.findings, key=lambda f: -len(f.member_ids))[:examples]
    for f in big:
        borrowed = f" from {f.title_borrowed_from}" if f.title_borrowed_from else ""
        print(
            f"  {f.id} ({len(f.member_ids)}): [{f.label_ar} | {f.label_fr}] -> "
            f"[{f.title_ar} | {f.title_fr}]{borrowed}"
        )


def demo_records() -> list[dict]:
    data = yaml.safe_load(DEMO.read_text("utf-8"))
    return [
        {"id": c["key"], "text": c["text"], "translation": c.get("translation_fr")}
        for w in data["workshops"]
        for c in w["contributions"]
    ]


def sib_records(data: Path, split: str, languages: tuple[str, ...]) -> list[dict]:
    records = []
    for lang in languages:
        for row in read_table(data / "sib200" / lang / f"{split}.tsv"):
            records.append(
                {"id": f"{lang}-{row['index_id']}", "text": row["text"], "topic": row["category"]}
            )
    return records


def gold_topics(records: list[dict]) -> SynthesisResult:
    """The SIB-200 topics as findings: titles of large groups (the synthesis only identifies,
    embeds and titles; the grouping is the gold one)."""
    synth = Synthesizer(embedder="use", random_state=0).fit(
        [{"id": r["id"], "text": r["text"]} for r in records]
    )
    by_id = {r.id: r for r in synth.records_}
    topics = sorted({r["topic"] for r in records})
    members = [by_id[r["id"]] for r in records]
    finding_of = np.array([topics.index(r["topic"]) for r in records], dtype=np.int64)
    from tashawur.synthesis import USEEmbedder

    vectors = USEEmbedder().embed([m.text for m in members], [m.language for m in members])
    centres = np.stack([vectors[finding_of == t].mean(axis=0) for t in range(len(topics))])
    titles = finding_titles(members, finding_of, vectors, centres, topics)
    result = synth.result_
    from tashawur.synthesis import Finding

    result.findings = [
        Finding(
            id=topic,
            theme="T1",
            size=int((finding_of == t).sum()),
            label_ar="",
            label_fr="",
            key_phrases_ar=[],
            key_phrases_fr=[],
            representative_ids=[],
            member_ids=[m.id for m, g in zip(members, finding_of, strict=True) if g == t],
            profiles={},
            title_ar=titles[t].ar,
            title_fr=titles[t].fr,
            title_borrowed_from=titles[t].borrowed_from,
            title_language_fallback=titles[t].language_fallback,
        )
        for t, topic in enumerate(topics)
    ]
    # The old labels of the same groups, from the same labeler the synthesis uses.
    from tashawur.synthesis import ClassTfidfLabeler
    from tashawur.synthesis._assemble import label_texts

    arabic, french = label_texts(members)
    ar, fr = ClassTfidfLabeler().fit(arabic, french).key_phrases(finding_of, len(topics))
    for t, f in enumerate(result.findings):
        f.label_ar, f.label_fr = "، ".join(ar[t][:3]), ", ".join(fr[t][:3])
        f.key_phrases_ar, f.key_phrases_fr = ar[t], fr[t]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--examples", type=int, default=6)
    args = parser.parse_args()

    started = time.perf_counter()
    records = demo_records()
    result = Synthesizer(embedder="use", random_state=0).fit(records).result_
    report("Demo (Souss-Massa 2018)", result, records, args.examples)

    trio = ("arb_Arab", "ary_Arab", "fra_Latn")
    records = sib_records(args.data, "dev", trio)
    result = Synthesizer(embedder="use", random_state=0).fit(records).result_
    report("SIB-200 dev, MSA + Darija + French", result, records, args.examples)

    records = sib_records(args.data, "dev", (*trio, "tzm_Tfng"))
    result = Synthesizer(embedder="use", random_state=0).fit(records).result_
    report("SIB-200 dev, MSA + Darija + French + Tifinagh", result, records, args.examples)

    records = sib_records(args.data, "dev", trio)
    report("SIB-200 dev grouped by gold topic", gold_topics(records), records, 7)
    print(f"\n{time.perf_counter() - started:.1f} s in all")


if __name__ == "__main__":
    main()
