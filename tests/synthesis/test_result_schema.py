"""The stored result's shape is pinned by ``synthesis/data/result.schema.json``; ``previous=``
reads only documents of that shape."""

import copy
import json
from importlib import resources

import pytest

from tashawur.synthesis import SynthesisInputError, Synthesizer, result_schema
from tashawur.synthesis._schema import check_result

from .corpus import records


@pytest.fixture(scope="module")
def result():
    rows = records(("ar", "ary", "fr", "zgh"))
    rows.append({**rows[0], "id": "copy-of-first"})
    return Synthesizer(embedder="lexical").run(rows)


def test_the_schema_ships_as_package_data():
    # pyproject's package-data ships every "data/**/*" file of the package.
    shipped = resources.files("tashawur.synthesis") / "data" / "result.schema.json"
    assert json.loads(shipped.read_text("utf-8")) == result_schema()
    assert result_schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("assignments", [True, False])
def test_a_real_result_matches_the_schema(result, assignments):
    document = json.loads(json.dumps(result.to_dict(assignments=assignments)))
    check_result(document)


def test_an_incremental_result_matches_the_schema(result):
    rows = [*records(("ar", "ary", "fr", "zgh")), {"id": "late", "text": "le bus ne passe plus"}]
    later = Synthesizer(embedder="lexical").run(rows, previous=result.to_dict(assignments=False))
    check_result(json.loads(json.dumps(later.to_dict())))


def test_the_schema_names_every_field_the_result_writes(result):
    # additionalProperties is false throughout: a new field fails the check until the schema
    # (and ENGINE_VERSION) say so.
    document = result.to_dict()
    document["findings"][0]["weight"] = 1.0
    with pytest.raises(
        ValueError,
        match=r"^findings\[0\]: Additional properties are not allowed \('weight' was unexpected\)$",
    ):
        check_result(document)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("findings"), "the document: 'findings' is a required property"),
        (
            lambda d: d["findings"][0].__setitem__("member_ids", "c1"),
            "findings[0].member_ids: 'c1' is not of type 'array'",
        ),
        (
            lambda d: d["duplicates"][0].__setitem__("levels", ["copied"]),
            "duplicates[0].levels[0]: 'copied' is not one of ['exact', 'normalised', 'paraphrase']",
        ),
        (
            lambda d: d["parameters"].__setitem__("n_records", "12"),
            "parameters.n_records: '12' is not of type 'integer'",
        ),
    ],
)
def test_previous_refuses_a_document_that_does_not_match(result, change, message):
    document = copy.deepcopy(result.to_dict(assignments=False))
    change(document)
    with pytest.raises(SynthesisInputError) as error:
        Synthesizer(embedder="lexical").run(records(("fr",)), previous=document)
    assert str(error.value) == f"the previous result is not a synthesis result: {message}"


def test_previous_accepts_the_result_object_itself(result):
    later = Synthesizer(embedder="lexical").run(records(("ar", "fr")), previous=result)
    assert later.parameters["incremental"] is True


def test_findings_as_dicts_are_dataclasses_asdict_with_fresh_containers(result):
    # The profile step shares one frozen ProfileGroup between cells alike; to_dict reads each
    # group once but gives every finding its own dicts, equal to dataclasses.asdict's.
    from dataclasses import asdict

    findings = result.to_dict()["findings"]
    assert findings == [asdict(f) for f in result.findings]
    groups = [g for f in findings for gs in f["profiles"].values() for g in gs]
    shared = [g for f in result.findings for gs in f.profiles.values() for g in gs]
    assert len({id(g) for g in shared}) < len(shared)  # the library does share groups
    assert len({id(g) for g in groups}) == len(groups)  # the dicts are never shared
