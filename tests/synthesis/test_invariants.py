"""Properties every result keeps, on random mixes of texts, copies, near-copies and empties."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tashawur.synthesis import Synthesizer

from .corpus import IDEAS

POOL = [text for idea in IDEAS.values() for text in idea.values()]
VARIANTS = st.sampled_from(POOL).flatmap(
    lambda text: st.sampled_from([text, text.upper(), f"  {text} !!", text + "."])
)
TEXTS = st.one_of(VARIANTS, st.sampled_from(["", "...", "x", "ok"]))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TEXTS, min_size=1, max_size=25), st.integers(min_value=0, max_value=3))
def test_every_result_keeps_the_contract(texts, seed):
    rows = [{"id": f"r{i}", "text": text} for i, text in enumerate(texts)]
    if not any(any(c.isalnum() for c in t) for t in texts):
        return  # no text at all is refused with a message (tested elsewhere)
    result = Synthesizer(embedder="lexical", random_state=seed).run(rows)
    by_id = {a["id"]: a for a in result.assignments}
    text_of = {r["id"]: r["text"] for r in rows}
    members = [m for f in result.findings for m in f.member_ids]
    # Findings partition the non-duplicate contributions that have text.
    assert len(members) == len(set(members))
    assert set(members) == {
        i for i, a in by_id.items() if a["duplicate_of"] is None and a["finding"] is not None
    }
    for finding in result.findings:
        assert finding.member_ids
        assert finding.size == sum(1 for a in by_id.values() if a["finding"] == finding.id)
        for quote in finding.quotes:
            assert quote.id in finding.member_ids
            assert quote.text == text_of[quote.id]
    # A duplicate points to a canonical item, which is in the same finding.
    for a in by_id.values():
        if a["duplicate_of"] is not None:
            canonical = by_id[a["duplicate_of"]]
            assert canonical["duplicate_of"] is None
            assert canonical["finding"] == a["finding"]
