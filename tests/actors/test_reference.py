import pytest

from tashawur.actors.models import ActorType, ConsentText, QualitySign
from tashawur.actors.services import (
    actor_types_load_reference,
    consent_texts_load_reference,
    quality_signs_load_reference,
)
from tashawur.consultations.models import Theme
from tashawur.consultations.services import themes_load_reference

pytestmark = pytest.mark.django_db


def test_actor_types_load_reference_loads_types_and_subtypes():
    actor_types_load_reference()

    top = ActorType.objects.filter(parent__isnull=True)
    assert top.count() == 31
    assert len(set(top.values_list("category", flat=True))) == 8
    cooperative = ActorType.objects.get(slug="cooperative")
    assert "112-12" in cooperative.legal_basis
    assert list(cooperative.subtypes.values_list("slug", flat=True)) == [
        "cooperative-womens_cooperative",
        "cooperative-agricultural",
        "cooperative-argan",
        "cooperative-handicraft",
        "cooperative-housing",
        "cooperative-fishing",
        "cooperative-services",
    ]
    assert list(
        ActorType.objects.filter(needs_verification=True).values_list("slug", flat=True)
    ) == ["cooperative_federation"]


def test_quality_signs_load_reference_loads_the_signs_with_optional_years():
    quality_signs_load_reference()

    argane = QualitySign.objects.get(name="Argane")
    assert (argane.sign_type, argane.year, argane.status) == ("IGP", 2009, "recognised")
    assert QualitySign.objects.get(name="Dattes Bouittob de Tata").year is None
    assert QualitySign.objects.count() == 13


def test_themes_load_reference_puts_the_five_taroudant_round_tables_first():
    themes_load_reference()

    top = Theme.objects.filter(parent__isnull=True)
    assert list(top.filter(in_taroudant_2018_workshops=True).values_list("slug", flat=True)) == [
        "ess_framework",
        "financing",
        "product_quality",
        "quality_labels",
        "financial_education",
    ]
    assert list(top.values_list("slug", flat=True)[:5]) == [
        "ess_framework",
        "financing",
        "product_quality",
        "quality_labels",
        "financial_education",
    ]
    assert Theme.objects.get(slug="territorial_resources-saffron").label_fr == "Safran"
    assert Theme.objects.get(slug="financing").source_refs[0]["key"] == "taroudant_2018_ar"


@pytest.mark.parametrize(
    "load",
    [
        actor_types_load_reference,
        quality_signs_load_reference,
        themes_load_reference,
        consent_texts_load_reference,
    ],
)
def test_reference_loaders_twice_change_nothing(load):
    first = load()

    second = load()

    assert (second.created, second.updated, second.unchanged) == (0, 0, first.created)


def test_consent_texts_load_reference_publishes_version_1_of_participation():
    consent_texts_load_reference()

    text = ConsentText.objects.get()
    assert (text.purpose, text.version) == ("participation", 1)
    assert "09-08" in text.text_ar and "09-08" in text.text_fr
