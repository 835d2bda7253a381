# ruff: noqa: E501 (sentences quoted verbatim from the corpus)
"""Amazigh records go through the bridge of ``_amazigh`` (when it is shipped).

The eight sentence triples below are copied from SIB-200 (dev split; Tifinagh, MSA and French),
Adelani et al. 2023, derived from FLORES-200 (NLLB Team, Meta), licensed CC BY-SA 4.0.
"""

from unittest import mock

import pytest

import tashawur.synthesis._embed as embed_step
from tashawur.synthesis import Synthesizer
from tashawur.synthesis._embed import amazigh_bridge

TRIPLES = {
    "1282": (
        "ⴷⴼⴼⵉⵔⴰⵙ ⵉⵡⵉⵏ ⵜ ⵙ ⵓⵙⴳⵏⴰⴼ ⴰⴷⴷⵏⴱⵔⵓⴽⵙ ⴳ ⴽⴰⵎⴱⵔⵉⴷⵊ.",
        "ثم نُقل بعد ذلك إلى مستشفى أدنبروك في كامبريدج.",
        "Il a ensuite été transféré au centre hospitalier Addenbrooke's Hospital de Cambridge.",
    ),
    "1944": (
        "ⵡⵓⵜⵓⵢ ⵅⴼ ⵓⵙⵓⵏ ⵉⵙⵜⴰⵡⵀⵎⵎⴰⵏ ⴷⵉⴳⵙ ⵖⵓⵔ ⵓⵣⴳⵏ ⵏ ⵜⵙⵔⴰⴳⵜ.",
        "يستحق الأمر نصف ساعة من التجوّل في القرية المثيرة للاهتمام.",
        "Cela vaut la peine de se promener pendant une demi-heure dans ce village fascinant.",
    ),
    "1915": (
        "ⵖ ⵜⴳⵣⵉⵔⵉⵏ ⵓ ⵙⵍⵉⵎ ⴷ ⵉⴳⵍⵎⴰⵎⵏ, ⵓⵔ ⴰⴽⴽⵯ ⵜⵙⵖⴰⵡⵙⴰⵜ ⴰⵍⴰⵅⵜⵓ.",
        "لا تحتاج إلى يخت في الأرخبيل والبحيرات.",
        "Vous n'avez pas forcément besoin d'un yacht dans les archipels et sur les lacs.",
    ),
    "1075": (
        "ⵉⵙⴱⵔⵔⴽ ⵓⵏⵙⵙⵉⵅⴼ ⵏ ⵉⵡⵓⵏⴰⴽ ⵉⵎⵓⵏⵏ ⵊⵓⵔⵊ ⵡⵓⵍⴽⵔ ⴱⵓⵛ ⵜⵓⵙⵎⵉⵔⵜ.",
        "رحّب الرئيسُ الأمريكيُّ جورج دبليو بوش بالإعلان.",
        "Le président américain George W. Bush a accueilli cette annonce avec satisfaction.",
    ),
    "435": (
        "ⴳ 1957 ⵜⴳⴰ ⵍⵓⴽⵙⵓⵎⴱⵓⵔⴳ ⴰⵏⴳⵎⴰⵎ ⴰⵎⵙⴽⵓ ⵏ ⵜⴰⵎⵓⵏⵜ ⵏ ⵜⵓⵔⵓⴼⵜ.",
        "في عام 1957 أصبحت لوكسمبورغ عضواً مؤسساً في المنظمة التي تعرف اليوم بالاتحاد الأوروبي.",
        "En 1957, le Luxembourg est devenu l'un des membres fondateurs de l'organisme aujourd'hui connu sous le nom d'Union Européenne.",
    ),
    "1855": (
        "ⵜⴰⵏⴰⴹⵜ ⵏ ⵜⵛⵉⵏⴳⵏ, ⴷⴳ ⵎⴰⵏ ⴰⵢⴰ ⴷⴰ ⵜⵙⵡⵓⵔⵉ ⵣⵓⵏ ⴷ ⵢⴰⵜ ⵜⵎⴰⵣⵉⵔⵜ.",
        "وبالرغم من ذلك، فإن منطقة شنغن تعمل إلى حد ما كدولة واحدة في هذا الشأن.",
        "L’espace Schengen, cependant, fonctionne un peu comme un seul pays à cet égard.",
    ),
    "1026": (
        "ⴰⵔ ⴰⵡⴷ ⵜⴰⴽⴽⴰ ⵜⵡⴰⴼⵉⵜ ⵉⵏⵖⵎⵉⵙⵏ ⵖⴼ ⵓⴱⵓⵖⵍⵓ ⵏ ⵢⵉⵊⵊⵉⵊ ⵖⵓⵔ ⵉⴳⴹⴰⴹ.",
        "يمنح الاكتشاف أيضاً نظرة على تطور الريش في الطيور.",
        "Cette découverte permet également de mieux comprendre l'évolution des plumes chez les oiseaux.",
    ),
    "1351": (
        "ⴷⴰ ⵉⵜⵜⴰⵎⵥ ⵓⵙⴰⵜⵉⵍⵉⵜ ⴳ ⵓⵙⴰⵢⵔⴰⵔ ⵜⵓⵖⵔⵉ ⵉⵔⴰⵔ ⵜⵜ, ⵄⵍⴰⵢⵏ ⴳ ⵓⴷⵖⴰⵔ.",
        "يستقبل القمر الصناعي بالفضاء المكالمة ثم يعكسها في نفس اللحظة تقريباً.",
        "Le satellite reçoit l'appel dans l'espace puis le renvoie sur Terre,\xa0presque instantanément.",
    ),
}


def _joined(result):
    finding = {a["id"]: a["finding"] for a in result.assignments}
    return sum(
        finding[f"{key}-zgh"] in (finding[f"{key}-ar"], finding[f"{key}-fr"]) for key in TRIPLES
    )


@pytest.fixture(scope="module")
def triples():
    if amazigh_bridge() is None:
        pytest.skip("the Amazigh bridge (tashawur/synthesis/data/) is not shipped in this tree")
    return [
        {"id": f"{key}-{language}", "text": text}
        for key, texts in TRIPLES.items()
        for language, text in zip(("zgh", "ar", "fr"), texts, strict=True)
    ]


def test_tifinagh_records_join_their_translations_more_often_with_the_bridge(triples):
    with_bridge = _joined(Synthesizer(random_state=0).run(triples))
    with mock.patch.object(embed_step, "amazigh_bridge", lambda: None):
        without = _joined(Synthesizer(random_state=0).run(triples))
    assert with_bridge > without
    assert with_bridge >= len(TRIPLES) // 2


def test_the_bridge_leaves_no_warning(triples):
    assert Synthesizer(random_state=0).run(triples).warnings == []


def test_bridged_vectors_are_cached_and_a_rerun_does_not_load_the_bridge():
    import numpy as np

    from tashawur.synthesis import EmbeddingCache

    if amazigh_bridge() is None:
        pytest.skip("the Amazigh bridge is not shipped")
    texts = [TRIPLES[key][0] for key in ("1282", "1944")]
    cache = EmbeddingCache(None)

    first = embed_step._bridge_embed(texts, cache)
    with mock.patch.object(embed_step, "amazigh_bridge", side_effect=AssertionError("loaded")):
        again = embed_step._bridge_embed(texts, cache)

    assert first is not None and again is not None
    assert np.array_equal(first, again)
    assert np.allclose(first, amazigh_bridge().transform(texts), atol=1e-6)
    assert len(cache) == 2
