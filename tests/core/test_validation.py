"""The one reading of ids, lists of ids and page numbers: ASCII digits only, bounded, within a
64-bit id; every refusal a translated `DomainError` with a stable code."""

from __future__ import annotations

import pytest
from django.utils import translation

from tashawur.core.converters import IdConverter
from tashawur.core.errors import DomainError
from tashawur.core.validation import (
    ID_MAX,
    id_list_text_parse,
    id_parse,
    ids_parse,
    page_number_parse,
)

NOT_ASCII_DIGITS = ["٣", "۳", "²", "３", "𝟙", "1²", "١٢"]


@pytest.mark.parametrize("raw", ["1", "12", "007", str(ID_MAX)])
def test_an_id_of_ascii_digits_is_read(raw: str) -> None:
    assert id_parse(raw, field="pk") == int(raw)


@pytest.mark.parametrize("raw", [*NOT_ASCII_DIGITS, "", " 1", "1 ", "+1", "-1", "1.0", "1e3", 12])
def test_other_digits_and_signs_are_refused_not_read(raw: object) -> None:
    # int("٣") is 3 and "²".isdigit() is true: neither may reach int().
    with pytest.raises(DomainError) as refused:
        id_parse(raw, field="contributions")
    assert refused.value.code == "id_invalid"
    assert refused.value.field == "contributions"


@pytest.mark.parametrize("raw", ["0", str(ID_MAX + 1), "9" * 25, "1" * 10_000])
def test_an_id_no_row_can_have_is_out_of_range(raw: str) -> None:
    with pytest.raises(DomainError) as refused:
        id_parse(raw, field="pk")
    assert refused.value.code == "id_out_of_range"


def test_the_refusal_is_translated() -> None:
    with translation.override("ar"), pytest.raises(DomainError) as refused:
        id_parse("٣", field="pk")
    assert refused.value.message == "اكتب الأرقام بالأرقام من 0 إلى 9 فقط، مثل 12."
    with translation.override("fr"), pytest.raises(DomainError) as refused:
        id_parse("0", field="pk")
    assert refused.value.message == (
        "Aucun élément ne porte ce numéro : les numéros vont ici de 1 à 9223372036854775807."
    )


def test_a_list_of_ids_is_read_in_order_without_repeats() -> None:
    assert ids_parse(["15", "3", "15"], field="findings") == [3, 15]


def test_a_list_with_one_bad_id_is_refused_whole() -> None:
    with pytest.raises(DomainError) as refused:
        ids_parse(["3", "²"], field="findings")
    assert refused.value.code == "id_invalid"


def test_a_list_longer_than_allowed_is_refused_before_reading() -> None:
    with pytest.raises(DomainError) as refused:
        ids_parse(["1"] * 4, field="findings", max_count=3)
    assert refused.value.code == "ids_too_many"


def test_a_typed_list_takes_spaces_commas_arabic_commas_and_hashes() -> None:
    assert id_list_text_parse("12, 15 #3 ، 4\t7", field="contributions") == [3, 4, 7, 12, 15]
    assert id_list_text_parse("  ", field="contributions") == []


def test_a_typed_list_refuses_arabic_indic_numbers() -> None:
    with pytest.raises(DomainError) as refused:
        id_list_text_parse("12, ٣", field="contributions")
    assert refused.value.code == "id_invalid"


def test_a_huge_typed_list_is_refused_before_it_is_split() -> None:
    with pytest.raises(DomainError) as refused:
        id_list_text_parse("1 " * 500_000, field="contributions", max_count=10)
    assert refused.value.code == "ids_too_many"


@pytest.mark.parametrize(("raw", "page"), [(None, 1), ("", 1), ("1", 1), ("42", 42)])
def test_a_page_number_is_read(raw: str | None, page: int) -> None:
    assert page_number_parse(raw) == page


@pytest.mark.parametrize("raw", [*NOT_ASCII_DIGITS, "0", "-1", "abc", "1000001", "1" * 5_000])
def test_a_page_that_is_not_a_whole_number_in_range_is_refused(raw: str) -> None:
    with pytest.raises(DomainError) as refused:
        page_number_parse(raw)
    assert refused.value.code == "page_invalid"


@pytest.mark.parametrize("raw", ["0", str(ID_MAX + 1)])
def test_an_address_id_out_of_range_matches_no_route(raw: str) -> None:
    # Django reads a ValueError from a converter as "no match": a 404.
    with pytest.raises(ValueError, match="id_out_of_range"):
        IdConverter().to_python(raw)
    assert IdConverter().to_python("12") == 12
