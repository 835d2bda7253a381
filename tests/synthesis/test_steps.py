"""Steps are swappable: the orchestrator reads what a step declares, never which class it is,
and copies a caller's step (scikit-learn's ``clone``) rather than fitting it in place."""

import numpy as np
import pytest
from sklearn.base import clone

from tashawur.synthesis import (
    ClassTfidfLabeler,
    FittableEmbedder,
    HypergeometricProfiler,
    LexicalEmbedder,
    LinkageFindings,
    LinkageThemes,
    MutualNeighbourThemes,
    Synthesizer,
    ThemeClusterer,
    USEEmbedder,
)

from .corpus import records

#: What the recording theme step below saw, by call (steps are copied, so not on the step).
SEEN: list[dict[str, object]] = []


class RecordingThemes(ThemeClusterer):
    """A caller's own theme step: delegates to the default and records its arguments."""

    def __init__(self, *, sample_size: int = 4000) -> None:
        self.sample_size = sample_size

    def fit(self, vectors, groups=None):
        SEEN.append({"rows": len(vectors), "groups": groups})
        inner = MutualNeighbourThemes(n_themes=2, random_state=0).fit(vectors, groups)
        self.labels_, self.centroids_ = inner.labels_, inner.centroids_
        return self


@pytest.fixture
def rows():
    return records(("ar", "ary", "fr"))


def test_a_callers_lexical_embedder_is_not_fitted_in_place(rows):
    embedder = LexicalEmbedder(dim=8)
    Synthesizer(embedder=embedder).run(rows)
    assert not hasattr(embedder, "vectorizer_")


def test_a_lexical_embedder_instance_gives_the_result_of_its_name(rows):
    by_name = Synthesizer(embedder="lexical").run(rows)
    by_instance = Synthesizer(embedder=LexicalEmbedder()).run(rows)
    assert by_instance.assignments == by_name.assignments


@pytest.mark.parametrize(
    ("parameter", "step"),
    [
        ("theme_clusterer", LinkageThemes(n_themes=2)),
        ("finding_clusterer", LinkageFindings(similarity=0.5)),
        ("labeler", ClassTfidfLabeler()),
        ("profiler", HypergeometricProfiler()),
    ],
)
def test_a_callers_step_is_copied_not_fitted(rows, parameter, step):
    Synthesizer(embedder="lexical", **{parameter: step}).run(rows)
    learned = [name for name in vars(step) if name.endswith("_")]
    assert learned == []


def test_a_callers_theme_step_receives_the_language_of_each_row(rows):
    SEEN.clear()
    synthesizer = Synthesizer(embedder="lexical", theme_clusterer=RecordingThemes()).fit(rows)
    [call] = SEEN
    languages = sorted({r.language for r in synthesizer.records_})
    assert call["rows"] == len(synthesizer.embeddings_)
    assert sorted(set(call["groups"])) == languages


def test_a_callers_theme_step_keeps_the_default_cross_language_grouping(rows):
    default = Synthesizer(embedder="use", n_themes=2).run(rows)
    own = Synthesizer(embedder="use", theme_clusterer=RecordingThemes()).run(rows)
    assert [f.theme for f in own.findings] == [f.theme for f in default.findings]


def test_the_theme_step_is_fitted_on_at_most_its_sample_size(rows):
    SEEN.clear()
    result = Synthesizer(embedder="lexical", theme_clusterer=RecordingThemes(sample_size=5)).run(
        rows
    )
    assert SEEN[0]["rows"] == 5
    assert all(a["theme"] is not None for a in result.assignments)


def test_only_an_embedder_that_learns_from_the_run_is_fittable():
    assert isinstance(LexicalEmbedder(), FittableEmbedder)
    assert not isinstance(USEEmbedder(), FittableEmbedder)


def test_steps_follow_scikit_learns_parameter_protocol():
    themes = MutualNeighbourThemes(n_themes=3, random_state=4)
    copy = clone(themes)
    assert copy is not themes
    assert copy.get_params() == themes.get_params()
    assert themes.set_params(n_fine=10).n_fine == 10
    synthesizer = Synthesizer(embedder=LexicalEmbedder(dim=8), n_themes=2)
    assert synthesizer.get_params()["embedder__dim"] == 8
    assert clone(synthesizer).get_params(deep=False)["n_themes"] == 2


def test_set_params_refuses_an_unknown_parameter():
    with pytest.raises(ValueError, match="LinkageThemes has no parameter 'colour'"):
        LinkageThemes().set_params(colour="red")


def test_a_fitted_step_copies_unfitted():
    vectors = np.eye(4, dtype=np.float32)
    themes = LinkageThemes(n_themes=2).fit(vectors)
    assert not hasattr(clone(themes), "labels_")
