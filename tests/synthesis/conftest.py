import pytest

from tashawur.synthesis import Synthesizer

from .corpus import records


@pytest.fixture(scope="session")
def trilingual_records():
    """Four ideas in MSA, Darija, French and Arabizi, plus an exact and a normalised copy."""
    rows = records(("ar", "ary", "fr", "ary-Latn"))
    rows.append({**rows[0], "id": "water-ar-copy"})
    rows.append({**rows[2], "id": "water-fr-shout", "text": rows[2]["text"].upper() + " !!!"})
    return rows


@pytest.fixture(scope="session")
def use_result(trilingual_records):
    return Synthesizer(random_state=0).run(trilingual_records)
