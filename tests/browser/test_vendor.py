"""The vendored axe-core matches its VENDOR.md (no browser needed to check this)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

AXE = Path(__file__).resolve().parent / "vendor/axe-core"
ROW = re.compile(r"^\| (\S+) \| (axe-core@\S+) \| (\S+) \| ([0-9a-f]{64}) \|$", re.MULTILINE)
ROWS = ROW.findall((AXE / "VENDOR.md").read_text())


def test_vendor_list_names_every_file() -> None:
    on_disk = {p.name for p in AXE.iterdir() if p.is_file() and p.name != "VENDOR.md"}
    assert {path for path, *_ in ROWS} == on_disk


@pytest.mark.parametrize(("path", "package", "licence", "sha256"), ROWS)
def test_vendored_file_matches_its_checksum(
    path: str, package: str, licence: str, sha256: str
) -> None:
    assert hashlib.sha256((AXE / path).read_bytes()).hexdigest() == sha256


def test_axe_is_a_4x_release_under_the_mpl() -> None:
    assert {(package, licence) for _, package, licence, _ in ROWS} == {
        ("axe-core@4.14.1", "MPL-2.0")
    }
    assert (AXE / "axe.min.js").read_text()[:200].startswith("/*! axe v4.14.1")
