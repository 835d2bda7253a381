"""Whether the browser tests run, skip or fail (no browser needed to check this)."""

from __future__ import annotations

import pytest

from .conftest import browser_plan


@pytest.mark.parametrize(
    ("present", "required", "plan"),
    [(True, False, "run"), (True, True, "run"), (False, False, "skip"), (False, True, "fail")],
)
def test_browser_plan(present: bool, required: bool, plan: str) -> None:
    assert browser_plan(chromium_present=present, required=required) == plan
