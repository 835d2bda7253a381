import json

import pytest

from tashawur.synthesis import (
    LexicalEmbedder,
    SynthesisInputError,
    SynthesisResult,
    Synthesizer,
)
from tashawur.synthesis._embed import amazigh_bridge

from .corpus import IDEAS, records


def _finding_of(result, record_id):
    return next(a["finding"] for a in result.assignments if a["id"] == record_id)


def test_the_same_idea_in_darija_msa_and_french_lands_in_one_finding(use_result):
    for idea in IDEAS:
        findings = {_finding_of(use_result, f"{idea}-{lang}") for lang in ("ar", "ary", "fr")}
        assert len(findings) == 1, idea


def test_different_ideas_land_in_different_findings(use_result):
    findings = {_finding_of(use_result, f"{idea}-ar") for idea in IDEAS}
    assert len(findings) == len(IDEAS)


def test_arabizi_joins_its_idea_through_transliteration(use_result):
    joined = [
        _finding_of(use_result, f"{idea}-ary-Latn") == _finding_of(use_result, f"{idea}-ary")
        for idea in IDEAS
    ]
    assert sum(joined) >= 2


def test_every_representative_quote_is_a_member_text_verbatim(use_result, trilingual_records):
    texts = {r["id"]: r["text"] for r in trilingual_records}
    for finding in use_result.findings:
        assert 1 <= len(finding.quotes) <= 3
        assert [q.id for q in finding.quotes] == finding.representative_ids
        for quote in finding.quotes:
            assert quote.id in finding.member_ids
            assert quote.text == texts[quote.id]


def test_quotes_prefer_different_languages(use_result):
    finding = next(f for f in use_result.findings if "school-ar" in f.member_ids)
    languages = [q.language for q in finding.quotes]
    assert len(languages) == len(set(languages)) == 3


def test_findings_partition_the_non_duplicate_input(use_result, trilingual_records):
    members = [m for f in use_result.findings for m in f.member_ids]
    non_duplicates = {a["id"] for a in use_result.assignments if a["duplicate_of"] is None}
    assert len(members) == len(set(members))
    assert set(members) == non_duplicates
    assert len(use_result.assignments) == len(trilingual_records)


def test_every_finding_has_members_and_a_theme_that_lists_it(use_result):
    themes = {t.id: t for t in use_result.themes}
    for finding in use_result.findings:
        assert finding.member_ids
        assert finding.id in themes[finding.theme].finding_ids


def test_exact_and_normalised_copies_point_to_their_canonical_item(use_result):
    by_id = {a["id"]: a for a in use_result.assignments}
    assert by_id["water-ar-copy"]["duplicate_of"] == "water-ar"
    assert by_id["water-fr-shout"]["duplicate_of"] == "water-fr"
    assert by_id["water-ar-copy"]["finding"] == by_id["water-ar"]["finding"]
    group = next(d for d in use_result.duplicates if d.canonical_id == "water-ar")
    assert (group.duplicate_ids, group.levels) == (("water-ar-copy",), ("exact",))


def test_finding_size_counts_duplicates(use_result):
    finding = next(f for f in use_result.findings if "water-ar" in f.member_ids)
    assert finding.size == len(finding.member_ids) + 2
    assert finding.duplicate_count == 2


def test_assignments_carry_language_and_script(use_result):
    by_id = {a["id"]: a for a in use_result.assignments}
    assert (by_id["jobs-ary-Latn"]["language"], by_id["jobs-ary-Latn"]["script"]) == (
        "ary-Latn",
        "Latn",
    )
    assert (by_id["jobs-ar"]["language"], by_id["jobs-ar"]["script"]) == ("ar", "Arab")


def test_labels_have_arabic_and_french_key_phrases(use_result):
    from tashawur.synthesis._stopwords import FRENCH

    finding = next(f for f in use_result.findings if "school-fr" in f.member_ids)
    assert finding.key_phrases_ar[0] == "المدرسة بعيدة"  # in both the MSA and the Darija text
    french = IDEAS["school"]["fr"].casefold()
    assert len(finding.key_phrases_fr) == 5
    for phrase in finding.key_phrases_fr:
        assert all(word in french and word not in FRENCH for word in phrase.split())
    assert finding.label_fr == ", ".join(finding.key_phrases_fr[:3])
    assert finding.label_ar == "، ".join(finding.key_phrases_ar[:3])


def test_profiles_break_findings_down_by_language_and_metadata(use_result):
    finding = next(f for f in use_result.findings if "jobs-ar" in f.member_ids)
    assert {"language", "province", "actor_type"} <= set(finding.profiles)
    assert sum(g.count for g in finding.profiles["language"]) == finding.size


def test_result_is_json_serialisable_with_version_parameters_and_timings(use_result):
    data = json.loads(json.dumps(use_result.to_dict()))
    assert data["engine_version"].startswith("tashawur.synthesis")
    assert data["parameters"]["embedder"] == "use"
    assert data["timings"]["total"] >= 0
    assert len(data["assignments"]) == len(use_result.assignments)


def test_runs_are_deterministic_for_a_random_state(trilingual_records):
    first = Synthesizer(embedder="lexical", random_state=3).run(trilingual_records)
    second = Synthesizer(embedder="lexical", random_state=3).run(trilingual_records)
    one, two = first.to_dict(), second.to_dict()
    one.pop("timings")
    two.pop("timings")
    assert one == two


def test_n_themes_forces_the_number_of_themes(trilingual_records):
    result = Synthesizer(n_themes=3, embedder="lexical").run(trilingual_records)
    assert len(result.themes) == 3


def test_fit_returns_self_with_the_result():
    synthesizer = Synthesizer(embedder="lexical")
    assert synthesizer.fit(records(("fr",))) is synthesizer
    assert isinstance(synthesizer.result_, SynthesisResult)


def test_incremental_update_keeps_finding_ids_and_adds_new_records(use_result, trilingual_records):
    more = [
        *trilingual_records,
        {"id": "school-new", "text": "المدرسة بعيدة بزاف والدراري كيمشيو على رجليهم كل نهار"},
        {
            "id": "sport-new",
            "text": "Nous voulons un terrain de football pour les jeunes du quartier",
        },
    ]
    updated = Synthesizer(random_state=0).run(more, previous=use_result)
    before = {a["id"]: a["finding"] for a in use_result.assignments}
    after = {a["id"]: a["finding"] for a in updated.assignments}
    assert all(after[i] == f for i, f in before.items())
    assert after["school-new"] == before["school-ar"]
    assert after["sport-new"] not in set(before.values())


def test_incremental_update_accepts_the_json_form(use_result, trilingual_records):
    previous = json.loads(json.dumps(use_result.to_dict(assignments=False)))
    again = Synthesizer(random_state=0).run(trilingual_records, previous=previous)
    assert [(f.id, f.member_ids) for f in again.findings] == [
        (f.id, f.member_ids) for f in use_result.findings
    ]


def test_one_record_gives_one_theme_and_one_finding():
    result = Synthesizer(embedder="lexical").run([{"id": 1, "text": "بغينا الما"}])
    assert [(f.id, f.theme, f.member_ids) for f in result.findings] == [("F1", "T1", ["1"])]


def test_only_duplicates_give_one_finding_with_the_copies_counted():
    rows = [{"id": i, "text": "L'eau est coupée"} for i in range(5)]
    result = Synthesizer(embedder="lexical").run(rows)
    assert [(f.member_ids, f.size) for f in result.findings] == [(["0"], 5)]
    assert result.duplicates[0].duplicate_ids == ("1", "2", "3", "4")


def test_one_language_only_works():
    result = Synthesizer(embedder="lexical").run(records(("fr",)))
    assert {a["language"] for a in result.assignments} == {"fr"}
    assert sum(len(f.member_ids) for f in result.findings) == 4


def test_only_tifinagh_gives_a_valid_result():
    result = Synthesizer(random_state=0).run(records(("zgh",)))
    assert sorted(m for f in result.findings for m in f.member_ids) == sorted(
        f"{idea}-zgh" for idea in IDEAS
    )
    if amazigh_bridge() is None:
        assert "Amazigh bridge is not available" in result.warnings[0]


def test_amazigh_with_a_translation_is_read_through_it():
    rows = records(("ar", "fr"))
    rows.append(
        {"id": "water-zgh", "text": IDEAS["water"]["zgh"], "translation": IDEAS["water"]["fr"]}
    )
    result = Synthesizer(random_state=0).run(rows)
    assert _finding_of(result, "water-zgh") == _finding_of(result, "water-ar")


def test_empty_and_one_character_texts_are_handled():
    rows = [*records(("fr",)), {"id": "empty", "text": ""}, {"id": "dots", "text": "..."}]
    rows.append({"id": "one", "text": "x"})
    result = Synthesizer(embedder="lexical").run(rows)
    by_id = {a["id"]: a for a in result.assignments}
    assert by_id["empty"]["finding"] is None
    assert by_id["dots"]["finding"] is None
    assert by_id["one"]["finding"] is not None
    assert result.warnings == ["2 contribution(s) without any letter or digit were left out"]


def test_a_very_long_text_is_kept_whole():
    long_text = "Le village manque d'eau potable. " * 400
    rows = [*records(("fr",)), {"id": "long", "text": long_text}]
    synthesizer = Synthesizer(embedder="lexical").fit(rows)
    assert next(r for r in synthesizer.records_ if r.id == "long").text == long_text


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([], "there are no records to synthesise"),
        (
            [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}],
            "the id 'a' is used by more than one record",
        ),
        ([{"text": "x"}], "record 1 has no id"),
        (
            [{"id": "a", "text": ""}, {"id": "b", "text": None}],
            "no contribution has any text to analyse",
        ),
    ],
)
def test_bad_records_raise_a_clear_error(rows, message):
    with pytest.raises(SynthesisInputError, match=f"^{message}$"):
        Synthesizer(embedder="lexical").run(rows)


def test_an_embedder_instance_can_be_passed():
    result = Synthesizer(embedder=LexicalEmbedder(dim=8)).run(records(("fr",)))
    assert result.parameters["embedder"] == "lexical"


def test_progress_shows_each_map_step_on_stderr(capsys):
    Synthesizer(embedder="lexical", progress=True).run(records(("fr",)))
    err = capsys.readouterr().err
    assert "clean: 100%" in err
    assert "embed: 100%" in err


def test_timings_cover_every_step(use_result):
    assert set(use_result.timings) == {
        "clean_identify",
        "duplicates",
        "embed",
        "group",
        "label",
        "profile",
        "assemble",
        "total",
    }


class _CountingEmbedder:
    name = "counting"
    dim = 4

    def __init__(self):
        self.embedded = 0

    def embed(self, texts, languages):
        import numpy as np

        self.embedded += len(texts)
        rng = np.random.default_rng(len(texts))
        vectors = rng.normal(size=(len(texts), 4)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_the_embedding_cache_spares_a_second_run_any_embedding(tmp_path):
    from tashawur.synthesis import EmbeddingCache

    embedder = _CountingEmbedder()
    cache = EmbeddingCache()
    rows = records(("ar", "fr"))
    Synthesizer(embedder=embedder, cache=cache).run(rows)
    assert embedder.embedded == len(rows)
    Synthesizer(embedder=embedder, cache=cache).run(rows)
    assert embedder.embedded == len(rows)


def test_a_cache_directory_is_reused_by_a_later_run(tmp_path):
    embedder = _CountingEmbedder()
    rows = records(("fr",))
    Synthesizer(embedder=embedder, cache=str(tmp_path)).run(rows)
    Synthesizer(embedder=embedder, cache=str(tmp_path)).run([*rows, {"id": "n", "text": "Route"}])
    assert embedder.embedded == len(rows) + 1


def test_a_paraphrase_and_its_exact_copy_fold_into_the_first_wording():
    rows = [
        *records(("ar", "fr")),
        {"id": "p1", "text": "L'eau est coupée dans le village depuis une semaine"},
        {"id": "p2", "text": "L'eau est coupée dans notre village depuis une semaine déjà"},
        {"id": "p3", "text": "L'eau est coupée dans notre village depuis une semaine déjà"},
    ]
    result = Synthesizer(random_state=0).run(rows)
    by_id = {a["id"]: a for a in result.assignments}
    assert (by_id["p2"]["duplicate_of"], by_id["p3"]["duplicate_of"]) == ("p1", "p1")
    group = next(d for d in result.duplicates if d.canonical_id == "p1")
    assert (group.duplicate_ids, group.levels) == (("p2", "p3"), ("paraphrase", "paraphrase"))


def test_incremental_update_drops_findings_whose_members_are_all_gone(
    use_result, trilingual_records
):
    jobs = {a["finding"] for a in use_result.assignments if a["id"].startswith("jobs-")}
    kept = [r for r in trilingual_records if not r["id"].startswith("jobs-")]
    updated = Synthesizer(random_state=0).run(kept, previous=use_result)
    assert not jobs & {f.id for f in updated.findings}
    before = {a["id"]: a["finding"] for a in use_result.assignments}
    assert all(a["finding"] == before[a["id"]] for a in updated.assignments)
