"""The contribution form's shape: the idempotency key it renders is one the service accepts."""

from __future__ import annotations

from tashawur.contributions.forms import ContributionForm, new_idempotency_key
from tashawur.core.validation import IDEMPOTENCY_KEY_PATTERN


def test_generated_keys_match_the_services_pattern() -> None:
    keys = {new_idempotency_key() for _ in range(200)}
    assert len(keys) == 200
    assert all(IDEMPOTENCY_KEY_PATTERN.fullmatch(key) for key in keys)


def test_unbound_form_carries_a_key_and_bound_form_keeps_the_posted_one() -> None:
    assert ContributionForm().initial["idempotency_key"]
    bound = ContributionForm({"text": "x", "dimension": "question", "idempotency_key": "k-1"})
    assert bound.is_valid()
    assert bound.cleaned_data["idempotency_key"] == "k-1"


def test_language_is_optional_and_limited_to_known_codes() -> None:
    assert ContributionForm({"text": "x", "dimension": "question"}).is_valid()
    assert not ContributionForm({"text": "x", "dimension": "question", "language": "xx"}).is_valid()
