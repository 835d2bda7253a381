"""An incremental update works titles out only for the findings whose members changed (issue 15:
a refresh in seconds); the others keep theirs while their words are still their members'."""

from dataclasses import asdict

import numpy as np

from tashawur.synthesis import Record, Synthesizer
from tashawur.synthesis import _title as title_module
from tashawur.synthesis._title import kept_titles

from .corpus import records


def _counting_titles(monkeypatch) -> list[int]:
    """Count the findings whose titles are worked out (two sides each)."""
    calls: list[int] = []
    original = title_module._side_title

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(title_module, "_side_title", counting)
    return calls


def _members(result) -> dict[str, frozenset[str]]:
    return {f.id: frozenset(f.member_ids) for f in result.findings}


def _titles(result) -> dict[str, tuple]:
    return {
        f.id: (f.title_ar, f.title_fr, f.title_ar_source, f.title_fr_source, f.title_borrowed_from)
        for f in result.findings
    }


def test_an_update_with_nothing_new_works_out_no_title_and_keeps_them_all(monkeypatch):
    data = records()
    first = Synthesizer(embedder="lexical", random_state=0).run(data)
    calls = _counting_titles(monkeypatch)

    again = Synthesizer(embedder="lexical", random_state=0).run(data, previous=first.to_dict())

    assert calls == []
    assert _members(again) == _members(first)
    assert _titles(again) == _titles(first)
    assert any(title[0] or title[1] for title in _titles(again).values())


def test_an_update_works_titles_out_only_for_the_findings_whose_members_changed(monkeypatch):
    data = records()
    first = Synthesizer(embedder="lexical", random_state=0).run(data)
    road = "Les routes du douar sont pleines de trous et personne ne vient les réparer"
    added = [*data, {"id": "road-fr", "text": road}]
    calls = _counting_titles(monkeypatch)

    again = Synthesizer(embedder="lexical", random_state=0).run(added, previous=first.to_dict())

    before, after = _members(first), _members(again)
    changed = {f for f, members in after.items() if before.get(f) != members}
    assert changed, "the new contribution joined or opened a finding"
    assert len(calls) == 2 * len(changed)  # an Arabic-script and a French side each
    own = {f: t for f, t in _titles(first).items() if not t[4]}
    for finding, title in _titles(again).items():
        if finding not in changed and finding in own:
            assert title == own[finding]


def _record(id: str, text: str) -> Record:
    return Record(id=id, text=text, language="fr", script="Latn", analysis_text=text)


def test_a_kept_title_whose_words_left_its_edited_member_is_worked_out_again():
    previous = {
        "findings": [
            {
                "id": "F1",
                "member_ids": ["a", "b"],
                "title_ar": "",
                "title_fr": "coupures d'eau",
                "title_ar_source": None,
                "title_fr_source": "a",
                "title_borrowed_from": None,
            },
            {
                "id": "F2",
                "member_ids": ["c"],
                "title_ar": "",
                "title_fr": "école lointaine",
                "title_ar_source": None,
                "title_fr_source": "c",
                "title_borrowed_from": None,
            },
        ]
    }
    finding_of = np.array([0, 0, 1], dtype=np.int64)
    same = [
        _record("a", "Les coupures d'eau, encore."),
        _record("b", "Plus d'eau au douar"),
        _record("c", "Une école lointaine"),
    ]
    edited = [same[0], same[1], _record("c", "Une école trop loin")]
    moved = [same[0], _record("c", "Une école lointaine"), same[1]]

    assert set(kept_titles(previous, same, finding_of, ["F1", "F2"])) == {0, 1}
    assert set(kept_titles(previous, edited, finding_of, ["F1", "F2"])) == {0}
    # Other members (b moved to F2, c to F1): neither keeps its title.
    assert kept_titles(previous, moved, finding_of, ["F1", "F2"]) == {}
    # A title found through the parse (punctuation between the words is no match as written).
    spaced = [_record("a", "coupures  d'eau !"), same[1], same[2]]
    assert set(kept_titles(previous, spaced, finding_of, ["F1", "F2"])) == {0, 1}


def test_a_finding_that_borrowed_its_titles_borrows_again():
    previous = {
        "findings": [
            {
                "id": "F1",
                "member_ids": ["t"],
                "title_ar": "الماء مقطوع",
                "title_fr": "",
                "title_ar_source": None,
                "title_fr_source": None,
                "title_borrowed_from": "F2",
            }
        ]
    }
    tifinagh = Record(id="t", text="ⴰⵎⴰⵏ ⴱⴱⵉⵏ", language="zgh", script="Tfng")

    kept = kept_titles(previous, [tifinagh], np.array([0], dtype=np.int64), ["F1"])

    assert kept == {0: title_module.FindingTitle()}


def test_the_results_dict_form_is_dataclasses_asdict():
    result = Synthesizer(embedder="lexical", random_state=0).run(records())

    expected = {
        "themes": [asdict(t) for t in result.themes],
        "findings": [asdict(f) for f in result.findings],
    }
    out = result.to_dict()
    assert {"themes": out["themes"], "findings": out["findings"]} == expected
    assert any(f["profiles"] and f["quotes"] for f in out["findings"])
